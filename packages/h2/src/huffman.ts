/**
 * The static Huffman code of HPACK (RFC 7541 §5.2, Appendix B), shared with QPACK (RFC 9204
 * §4.1.2 uses the same code). The code is canonical: symbols of equal length get consecutive
 * codes in symbol order, so the whole table follows from the 257 code lengths below.
 */

/**
 * Code length in bits of each symbol 0-256 (256 = EOS), one letter each: `a` = 5 … `z` = 30.
 * @see RFC 7541 Appendix B
 */
const LENGTHS =
  'isxxxxxxxtzxxzxxxxxxxxzxxxxxxxxxbffhibdgffdgdbbbaaabbbbbbbcdkbhfibccccccccccccccccccccccdcdioijbkabababbbaccbbbabcbaabccccckgjixprpprrrsrssssststtrstssssqrsrsstrqprrssqsrrtqrssqqrqsrssprrrsrrsvvporsruvvvwwvtuoqvwwvwtqqvvxwwwptpqrqqsrruuttvsvwvvwwwwwxwwwwwvz';

const EOS = 256;
/** Code length of each symbol. */
const CODE_LENGTH = new Uint8Array(257);
/** Code of each symbol, right-aligned. */
const CODE = new Uint32Array(257);

// Decoding walks a binary tree four bits at a time: for each (node, nibble) the table holds
// the node reached, the symbol emitted on the way (at most one: no code is shorter than
// five bits), and whether the walk hit EOS (a decoding error, RFC 7541 §5.2).
/** Internal tree nodes: children per node, `>= 0` a node, `< 0` a leaf `-(symbol + 1)`. */
const children: number[] = [0, 0];
let nodeCount = 1;
/** Per node: true when the path from the root to it is all 1 bits (valid padding). */
const isOnesPath: boolean[] = [true];
/** Per node: its depth (padding is at most 7 bits). */
const depth: number[] = [0];

{
  let code = 0;
  for (let len = 5; len <= 30; len++) {
    for (let sym = 0; sym <= EOS; sym++) {
      if (LENGTHS.charCodeAt(sym) - 97 + 5 !== len) continue;
      CODE_LENGTH[sym] = len;
      CODE[sym] = code;
      code++;
      // Insert into the tree.
      let node = 0;
      for (let bit = len - 1; bit >= 0; bit--) {
        const b = ((code - 1) >>> bit) & 1;
        const slot = node * 2 + b;
        if (bit === 0) {
          children[slot] = -(sym + 1);
        } else {
          let next = children[slot]!;
          if (next === 0) {
            next = nodeCount++;
            children[slot] = next;
            children.push(0, 0);
            isOnesPath[next] = isOnesPath[node]! && b === 1;
            depth[next] = depth[node]! + 1;
          }
          node = next;
        }
      }
    }
    code <<= 1;
  }
}

/** Per (node, nibble): next node in bits 0-8, emitted symbol + 1 in bits 9-17, EOS flag bit 18. */
const NIBBLE = new Uint32Array(nodeCount * 16);
const F_EOS = 1 << 18;
for (let node = 0; node < nodeCount; node++) {
  for (let nibble = 0; nibble < 16; nibble++) {
    let at = node;
    let emitted = 0;
    let flags = 0;
    for (let bit = 3; bit >= 0; bit--) {
      const next = children[at * 2 + ((nibble >>> bit) & 1)]!;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === EOS) flags = F_EOS;
        else emitted = sym + 1;
        at = 0;
      } else {
        at = next;
      }
    }
    NIBBLE[node * 16 + nibble] = at | (emitted << 9) | flags;
  }
}

/** Bytes `src[start, end)` take when Huffman-coded. */
export function huffmanEncodedLength(src: Uint8Array, start = 0, end: number = src.length): number {
  let bits = 0;
  for (let i = start; i < end; i++) bits += CODE_LENGTH[src[i]!]!;
  return (bits + 7) >>> 3;
}

/**
 * Huffman-codes `src` into `dst` at `offset`; returns the offset after the last byte.
 * `dst` needs `huffmanEncodedLength(src)` bytes of room. The last byte is padded with the
 * most significant bits of EOS (all ones), RFC 7541 §5.2.
 */
export function huffmanEncode(src: Uint8Array, dst: Uint8Array, offset: number): number {
  // At most 7 pending bits plus a 30-bit code: 37 bits, exact in a double.
  let acc = 0;
  let pending = 0;
  let out = offset;
  for (let i = 0; i < src.length; i++) {
    const sym = src[i]!;
    const len = CODE_LENGTH[sym]!;
    acc = acc * 2 ** len + CODE[sym]!;
    pending += len;
    while (pending >= 8) {
      pending -= 8;
      const div = 2 ** pending;
      const byte = Math.floor(acc / div);
      dst[out++] = byte;
      acc -= byte * div;
    }
  }
  if (pending > 0) dst[out++] = (acc << (8 - pending)) | (0xff >>> pending);
  return out;
}

/**
 * Decodes Huffman-coded `src[start, end)` into a Latin-1 string (one char per octet).
 * Returns null when the input is invalid: it contains EOS, or ends in padding longer than
 * 7 bits or not made of 1 bits (RFC 7541 §5.2, a COMPRESSION_ERROR for the caller).
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string | null {
  // Each input byte yields at most 8 / 5 symbols; decode into a scratch buffer.
  const out =
    scratch.length >= (end - start) * 2 ? scratch : (scratch = new Uint8Array((end - start) * 2));
  let n = 0;
  let node = 0;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    let e = NIBBLE[node * 16 + (byte >>> 4)]!;
    if ((e & F_EOS) !== 0) return null;
    let sym = (e >>> 9) & 0x1ff;
    if (sym !== 0) out[n++] = sym - 1;
    node = e & 0x1ff;
    e = NIBBLE[node * 16 + (byte & 0xf)]!;
    if ((e & F_EOS) !== 0) return null;
    sym = (e >>> 9) & 0x1ff;
    if (sym !== 0) out[n++] = sym - 1;
    node = e & 0x1ff;
  }
  if (!isOnesPath[node]! || depth[node]! > 7) return null;
  return latin1(out, n);
}

let scratch = new Uint8Array(4096);

function latin1(bytes: Uint8Array, n: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, n).toString('latin1');
}
