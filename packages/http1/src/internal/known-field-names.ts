/**
 * Common field names as constant lower-case strings. The parser matches a line's bytes
 * against them (ASCII case-insensitively) before it scans the name: a known name costs one
 * pass over its bytes, no native `latin1Slice` call and no `toLowerCase()`, and later
 * comparisons (`name === 'host'`) meet the same internalised string. Unknown names are
 * scanned and sliced as before.
 */

const NAMES = [
  'accept',
  'accept-encoding',
  'accept-language',
  'accept-ranges',
  'age',
  'authorization',
  'cache-control',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'cookie',
  'date',
  'etag',
  'expect',
  'forwarded',
  'host',
  'if-modified-since',
  'if-none-match',
  'keep-alive',
  'last-modified',
  'location',
  'origin',
  'referer',
  'server',
  'set-cookie',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'user-agent',
  'vary',
  'via',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-request-id',
];

/**
 * The known names, flattened: by first byte (`& 31`, which is
 * the same for both cases of a letter), the range `[FIRST[k], FIRST[k + 1])` of candidates;
 * each candidate's lower-case bytes start at `OFFSET[i]` in `LOWER` and number `LENGTH[i]`.
 * Flat typed arrays, not objects: the matcher runs once per field line.
 */
const FIRST = new Int32Array(33);
const OFFSET = new Int32Array(NAMES.length);
const LENGTH = new Int32Array(NAMES.length);
/** The names in the order `matchKnownFieldName` numbers them. */
export const KNOWN_NAMES: string[] = [];
const NAME = KNOWN_NAMES;
const LOWER = new Uint8Array(NAMES.reduce((sum, name) => sum + name.length, 0));
{
  const sorted = [...NAMES].sort((a, b) => (a.charCodeAt(0) & 31) - (b.charCodeAt(0) & 31));
  let at = 0;
  for (let i = 0; i < sorted.length; i++) {
    const name = sorted[i]!;
    FIRST[(name.charCodeAt(0) & 31) + 1]!++;
    OFFSET[i] = at;
    LENGTH[i] = name.length;
    NAME.push(name);
    for (let j = 0; j < name.length; j++) {
      const c = name.charCodeAt(j);
      // The matcher's case folding is exact only for a-z and `-`.
      if (c !== 0x2d && (c < 0x61 || c > 0x7a)) throw new Error(`known name ${name}`);
      LOWER[at++] = c;
    }
  }
  for (let k = 1; k < 33; k++) FIRST[k]! += FIRST[k - 1]!;
}

/**
 * When `buf[start, …)` begins with a known field name in any letter case immediately followed
 * by `:` (before `end`), that name's index in `KNOWN_NAMES` (its constant lower-case string),
 * else -1. A match proves
 * what the parser's token scan would: every byte up to the colon is a tchar. Letters of the
 * name match either case (`| 0x20`), and every other byte (`-`) must be equal, so no
 * non-token byte can pass (`\r | 0x20` is `-`: hence no case-folding of non-letters).
 * One pass over the name finds, validates and names it; the length of each candidate is
 * checked first (is its colon there?), so most candidates cost one comparison.
 *
 * @see RFC 9110 §5.1 (field names are case-insensitive tokens)
 */
export function matchKnownFieldName(buf: Uint8Array, start: number, end: number): number {
  const lower = LOWER;
  const first = FIRST;
  const lengths = LENGTH;
  const offsets = OFFSET;
  const key = buf[start]! & 31;
  const last = first[key + 1]!;
  for (let k = first[key]!; k < last; k++) {
    const n = lengths[k]!;
    const colon = start + n;
    if (colon >= end || buf[colon] !== 0x3a) continue;
    // One index walks the name; `| 0` keeps the other index's sum a plain 32-bit add (no
    // overflow check per byte).
    const delta = offsets[k]! - start;
    let i = start;
    for (; i < colon; i++) {
      const e = lower[(i + delta) | 0]!;
      // (e >> 1) & 0x20 is 0x20 for a lower-case letter (0x61-0x7a) and 0 for `-` (0x2d).
      if ((buf[i]! | ((e >> 1) & 0x20)) !== e) break;
    }
    if (i === colon) return k;
  }
  return -1;
}
