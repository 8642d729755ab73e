/**
 * Random (version 4) UUIDs as flat strings, formatted in batches: `crypto.randomUUID()` builds
 * each one from ~20 concatenated pieces, which V8 then flattens when the id is checked and
 * written as a header — measurable on every request of `requestId()`. Here one
 * `randomFillSync` and one formatting pass serve `BATCH` ids, and each id is a single latin1
 * decode of its 36 bytes. (A slice of one decoded batch string is cheaper to make, but V8
 * compares and flattens sliced strings on slower paths when the id is written, which ate
 * most of the gain, and each id would keep its whole batch alive.)
 *
 * @see RFC 9562 §5.4 (version 4: 122 random bits, version and variant fixed)
 */
import { randomFillSync } from 'node:crypto';

const BATCH = 128;
const ID_LENGTH = 36;
const bytes = Buffer.alloc(16 * BATCH);
const text = Buffer.alloc(ID_LENGTH * BATCH);
const view = new DataView(text.buffer, text.byteOffset, text.byteLength);
/** A byte's two lower-case hex digits as one little-endian 16-bit store. */
const HEX_PAIRS = new Uint16Array(256);
const DIGITS = '0123456789abcdef';
for (let v = 0; v < 256; v++) {
  HEX_PAIRS[v] = DIGITS.charCodeAt(v >> 4) | (DIGITS.charCodeAt(v & 15) << 8);
}
// The dashes never change: written once.
for (let at = 0; at < text.length; at += ID_LENGTH) {
  text[at + 8] = text[at + 13] = text[at + 18] = text[at + 23] = 0x2d;
}
let next = BATCH;

/**
 * The latin1 decoder `toString('latin1', …)` ends in, called directly: `toString` first checks
 * its arguments and looks the encoding up, ~280 of its ~390 instructions per id (callgrind,
 * `pnpm bench:profile rws-gateway`). Node has had it on every Buffer for years, undocumented;
 * without it `toString` is used.
 */
const latin1Slice = (text as unknown as { latin1Slice?: (start: number, end: number) => string })
  .latin1Slice;
const decode: (start: number, end: number) => string =
  typeof latin1Slice === 'function'
    ? (start, end) => latin1Slice.call(text, start, end)
    : (start, end) => text.toString('latin1', start, end);

function refill(): void {
  randomFillSync(bytes);
  let from = 0;
  // Unrolled, one 16-bit store per byte: a loop over a table of positions with a store per
  // digit cost ~850 instructions per id; this is about a fifth of that.
  for (let to = 0; to < text.length; to += ID_LENGTH) {
    bytes[from + 6] = (bytes[from + 6]! & 0x0f) | 0x40; // version 4
    bytes[from + 8] = (bytes[from + 8]! & 0x3f) | 0x80; // variant 10
    view.setUint16(to, HEX_PAIRS[bytes[from]!]!, true);
    view.setUint16(to + 2, HEX_PAIRS[bytes[from + 1]!]!, true);
    view.setUint16(to + 4, HEX_PAIRS[bytes[from + 2]!]!, true);
    view.setUint16(to + 6, HEX_PAIRS[bytes[from + 3]!]!, true);
    view.setUint16(to + 9, HEX_PAIRS[bytes[from + 4]!]!, true);
    view.setUint16(to + 11, HEX_PAIRS[bytes[from + 5]!]!, true);
    view.setUint16(to + 14, HEX_PAIRS[bytes[from + 6]!]!, true);
    view.setUint16(to + 16, HEX_PAIRS[bytes[from + 7]!]!, true);
    view.setUint16(to + 19, HEX_PAIRS[bytes[from + 8]!]!, true);
    view.setUint16(to + 21, HEX_PAIRS[bytes[from + 9]!]!, true);
    view.setUint16(to + 24, HEX_PAIRS[bytes[from + 10]!]!, true);
    view.setUint16(to + 26, HEX_PAIRS[bytes[from + 11]!]!, true);
    view.setUint16(to + 28, HEX_PAIRS[bytes[from + 12]!]!, true);
    view.setUint16(to + 30, HEX_PAIRS[bytes[from + 13]!]!, true);
    view.setUint16(to + 32, HEX_PAIRS[bytes[from + 14]!]!, true);
    view.setUint16(to + 34, HEX_PAIRS[bytes[from + 15]!]!, true);
    from += 16;
  }
  next = 0;
}

/** A random UUID, `xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`, lower-case. */
export function randomUuid(): string {
  if (next === BATCH) refill();
  const start = next++ * ID_LENGTH;
  // Ids are public (echoed on responses): the formatted batch may stay in memory.
  return decode(start, start + ID_LENGTH);
}
