/**
 * Encoding a log line into the sink's batch buffer at an offset it tracks itself.
 * `buf.write(text, offset)` parses and checks its arguments and looks the encoding up on every
 * call before it reaches Node's UTF-8 writer, `utf8Write`, which this calls directly. It is not
 * documented and absent from @types/node, so `write` stands in where a runtime lacks it.
 */
// Imported rather than read from the global: Node's global `Buffer` is a getter, a call per use.
import { Buffer } from 'node:buffer';

type StringWrite = (this: Buffer, text: string, offset: number, length: number) => number;

const utf8Write: StringWrite =
  (Buffer.prototype as { utf8Write?: StringWrite }).utf8Write ??
  function (this: Buffer, text: string, offset: number, length: number): number {
    return this.write(text, offset, length, 'utf8');
  };

/** Writes `text` as UTF-8 into `buf` from `offset` on; returns the bytes written. */
export function writeUtf8(buf: Buffer, text: string, offset: number): number {
  return utf8Write.call(buf, text, offset, buf.length - offset);
}
