/**
 * Short strings of a request head (the target, header values such as a Host or an Accept)
 * mostly repeat from one request to the next. Decoding one with `latin1Slice` is a call into
 * C++ that costs several hundred instructions whatever the length; comparing the bytes with
 * the string decoded last time at the same slot costs a few per byte. So short strings are
 * looked up in a small direct-mapped table first and decoded only on a miss.
 *
 * The table holds at most `SLOTS` strings of at most `MAX_CHARS` characters (under 100 KiB),
 * whatever the peers send; a slot is simply overwritten on a miss. A hit returns a string
 * equal to the bytes, checked byte by byte, so it can never return anything else.
 */
import { latin1 } from './token-table.js';

/** Longer strings cost more to compare than to decode. */
export const MAX_INTERNED_CHARS = 64;
const MAX_CHARS = MAX_INTERNED_CHARS;
/** A power of two. */
const SLOTS = 1024;
/** The string of each slot (the field parser reads it when it predicts a slot). */
export const INTERNED: string[] = new Array<string>(SLOTS).fill('');
const table = INTERNED;
/**
 * The bytes of each slot's string, `MAX_CHARS` per slot: a hit compares bytes with bytes.
 * Comparing with the string itself (`charCodeAt`) dispatches on the string's representation
 * at every character, about four times the instructions (issue #10: ~65 per byte).
 */
export const INTERNED_BYTES: Uint8Array = new Uint8Array(SLOTS * MAX_CHARS);
const bytes = INTERNED_BYTES;

/** The slot of `buf[start, end)`, 1 to `MAX_INTERNED_CHARS` bytes. */
export function internSlot(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  return (n * 31 + buf[start]! * 17 + buf[end - 1]! * 5 + buf[start + (n >> 1)]!) & (SLOTS - 1);
}

/** `latin1(buf, start, end)`, from the table when the same bytes were decoded before. */
export function internLatin1(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > MAX_CHARS || n === 0) return n === 0 ? '' : latin1(buf, start, end);
  const slot = internSlot(buf, start, end);
  const cached = table[slot]!;
  const at = slot * MAX_CHARS;
  if (cached.length === n) {
    // One index walks the input; `| 0` keeps the table's index a plain 32-bit add (no
    // overflow check per byte).
    const delta = at - start;
    let i = start;
    while (i < end && bytes[(i + delta) | 0] === buf[i]) i++;
    if (i === end) return cached;
  }
  const decoded = latin1(buf, start, end);
  table[slot] = decoded;
  for (let i = 0; i < n; i++) bytes[at + i] = buf[start + i]!;
  return decoded;
}
