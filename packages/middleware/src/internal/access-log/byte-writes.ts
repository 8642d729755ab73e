/**
 * Writing strings into a Buffer at offsets the access log computed itself (its lines are
 * encoded straight into the sink's batch). `buf.write(text, offset, length, encoding)` parses
 * its arguments and looks the encoding up on every call before it reaches Node's per-encoding
 * writer; `latin1Write` and `utf8Write` are those writers. They are not documented and absent
 * from @types/node, so `write` stands in where a runtime lacks them.
 */
// Imported rather than read from the global: Node's global `Buffer` is a getter, a call per use.
import { Buffer } from 'node:buffer';

type StringWrite = (this: Buffer, text: string, offset: number, length: number) => number;

const proto = Buffer.prototype as { latin1Write?: StringWrite; utf8Write?: StringWrite };

const latin1Write: StringWrite =
  proto.latin1Write ??
  function (this: Buffer, text: string, offset: number, length: number): number {
    return this.write(text, offset, length, 'latin1');
  };

const utf8Write: StringWrite =
  proto.utf8Write ??
  function (this: Buffer, text: string, offset: number, length: number): number {
    return this.write(text, offset, length, 'utf8');
  };

/** Writes `text` (one char per byte) into `buf` at `offset`; returns the bytes written. */
export function writeLatin1(buf: Buffer, text: string, offset: number): number {
  return latin1Write.call(buf, text, offset, buf.length - offset);
}

/** Writes `text` as UTF-8 into `buf` at `offset`; returns the bytes written. */
export function writeUtf8(buf: Buffer, text: string, offset: number): number {
  return utf8Write.call(buf, text, offset, buf.length - offset);
}
