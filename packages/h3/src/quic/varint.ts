/**
 * QUIC variable-length integers: the two high bits of the first byte give the length (1, 2, 4
 * or 8 bytes), the rest is the value in network byte order.
 *
 * Values are JavaScript numbers. Every quantity QUIC puts on the wire that an endpoint acts on
 * (offsets, stream ids, packet numbers, limits) stays far below 2^53; values above that (a peer
 * saying "unlimited" with 2^62-1) lose precision but keep their order, and encode back as
 * MAX_VARINT.
 * @see RFC 9000 §16
 */

/** The largest value a varint holds, 2^62 - 1 (as a double it rounds to 2^62). */
export const MAX_VARINT: number = 2 ** 62 - 1;

/** Bytes needed to encode `value` (1, 2, 4 or 8). */
export function varintLength(value: number): 1 | 2 | 4 | 8 {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/**
 * Decodes a varint at `offset`, or returns -1 when `buf` ends first (callers turn that into the
 * transport error their context calls for). The decoded length is `varintLength`-independent:
 * QUIC allows non-minimal encodings, so it comes from the first byte (`1 << (buf[offset] >> 6)`).
 */
export function readVarint(buf: Uint8Array, offset: number): number {
  if (offset >= buf.length) return -1;
  const first = buf[offset]!;
  const size = 1 << (first >> 6);
  if (offset + size > buf.length) return -1;
  let value = first & 0x3f;
  if (size <= 4) {
    for (let i = 1; i < size; i++) value = value * 256 + buf[offset + i]!;
    return value;
  }
  // Eight bytes: combine two 32-bit halves without going through bitwise ops (they truncate).
  const hi = value * 0x1000000 + buf[offset + 1]! * 0x10000 + buf[offset + 2]! * 0x100;
  const hiWord = hi + buf[offset + 3]!;
  const lo =
    buf[offset + 4]! * 0x1000000 +
    buf[offset + 5]! * 0x10000 +
    buf[offset + 6]! * 0x100 +
    buf[offset + 7]!;
  return hiWord * 0x100000000 + lo;
}

/**
 * Writes `value` at `offset` in `size` bytes (default: the minimal size) and returns the offset
 * after it. Throws RangeError for negative or non-integer values, or a size too small: that is a
 * bug in our own code, never peer input.
 */
export function writeVarint(
  buf: Uint8Array,
  offset: number,
  value: number,
  size: 1 | 2 | 4 | 8 = varintLength(value),
): number {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`not a varint: ${value}`);
  if (size < varintLength(value))
    throw new RangeError(`${value} does not fit a ${size}-byte varint`);
  if (size === 8) {
    // 2^62 - 1 is not representable as a double; anything at or above 2^62 means "the maximum".
    const v = value >= 2 ** 62 ? 2n ** 62n - 1n : BigInt(value);
    const hi = Number(v >> 32n);
    const lo = Number(v & 0xffffffffn);
    buf[offset] = 0xc0 | (hi >>> 24);
    buf[offset + 1] = (hi >>> 16) & 0xff;
    buf[offset + 2] = (hi >>> 8) & 0xff;
    buf[offset + 3] = hi & 0xff;
    buf[offset + 4] = lo >>> 24;
    buf[offset + 5] = (lo >>> 16) & 0xff;
    buf[offset + 6] = (lo >>> 8) & 0xff;
    buf[offset + 7] = lo & 0xff;
    return offset + 8;
  }
  const prefix = size === 1 ? 0 : size === 2 ? 0x40 : 0x80;
  for (let i = size - 1; i >= 0; i--) {
    buf[offset + i] = value & 0xff;
    value = Math.floor(value / 256);
  }
  buf[offset] = buf[offset]! | prefix;
  return offset + size;
}

/** `value` as a fresh minimal varint. */
export function encodeVarint(value: number): Uint8Array {
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return out;
}
