/**
 * Packet number truncation on send and recovery on receive.
 * @see RFC 9000 §17.1 and Appendix A.2, A.3
 */

/**
 * Bytes (1-4) to encode `pn` so the receiver can recover it, given the largest packet number
 * the peer has acknowledged in this space (-1 when none): the encoding must cover twice the
 * range of unacknowledged packets.
 */
export function packetNumberLength(pn: number, largestAcked: number): 1 | 2 | 3 | 4 {
  const unacked = largestAcked < 0 ? pn + 1 : pn - largestAcked;
  const range = unacked * 2;
  if (range < 0x100) return 1;
  if (range < 0x10000) return 2;
  if (range < 0x1000000) return 3;
  return 4;
}

/**
 * The full packet number closest to `largest + 1` whose low `length * 8` bits equal
 * `truncated`.
 * @see RFC 9000 Appendix A.3
 */
export function decodePacketNumber(largest: number, truncated: number, length: number): number {
  const expected = largest + 1;
  const win = 2 ** (length * 8);
  const hwin = win / 2;
  // (expected & ~mask) | truncated, without 32-bit bitwise truncation.
  const candidate = expected - (expected % win) + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}
