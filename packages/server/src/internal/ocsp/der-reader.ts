/**
 * A minimal DER reader (ITU-T X.690): walks tag-length-value nodes of a certificate or an
 * OCSP response without copying. Only definite lengths exist in DER, so that is all it reads.
 */

/** One TLV node: `buf.subarray(start, end)` is the whole node, `content` its value. */
export interface DerNode {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
  readonly content: Buffer;
}

function fail(what: string): never {
  throw new Error(`malformed DER: ${what}`);
}

/** The node starting at `offset` of `buf`. */
export function readNode(buf: Buffer, offset = 0): DerNode {
  const tag = buf[offset];
  let lengthByte = buf[offset + 1];
  if (tag === undefined || lengthByte === undefined) fail('truncated header');
  let pos = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const count = lengthByte & 0x7f;
    if (count === 0 || count > 4) fail('unsupported length');
    length = 0;
    for (let i = 0; i < count; i++) {
      lengthByte = buf[pos++];
      if (lengthByte === undefined) fail('truncated length');
      length = length * 256 + lengthByte;
    }
  }
  const end = pos + length;
  if (end > buf.length) fail('length past the end');
  return { tag, start: offset, end, content: buf.subarray(pos, end) };
}

/** The child nodes of a constructed node. */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  for (let offset = 0; offset < node.content.length; ) {
    const child = readNode(node.content, offset);
    out.push(child);
    offset = child.end;
  }
  return out;
}

/** The `index`th child, which must have `tag`. */
export function child(node: DerNode, index: number, tag?: number): DerNode {
  const found = children(node)[index];
  if (found === undefined) fail(`missing element ${index}`);
  if (tag !== undefined && found.tag !== tag) fail(`element ${index} has tag ${found.tag}`);
  return found;
}

/** The whole encoding of a node (tag and length included). */
export function raw(parent: Buffer, node: DerNode): Buffer {
  return parent.subarray(node.start, node.end);
}

/** OBJECT IDENTIFIER content → dotted form. */
export function oidText(node: DerNode): string {
  const bytes = node.content;
  const arcs: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if ((byte & 0x80) === 0) {
      if (arcs.length === 0)
        arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/** GeneralizedTime `YYYYMMDDHHMMSS[.fff]Z` → epoch ms. */
export function generalizedTime(node: DerNode): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(
    node.content.toString('latin1'),
  );
  if (m === null) fail('bad GeneralizedTime');
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return Date.UTC(y as number, (mo as number) - 1, d, h, mi, s);
}
