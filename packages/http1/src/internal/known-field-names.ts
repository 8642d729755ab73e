/**
 * Common field names as constant lower-case strings. The parser matches a name's bytes
 * against them (ASCII case-insensitively) before it makes a string: a known name costs no
 * native `latin1Slice` call and no `toLowerCase()`, and later comparisons (`name === 'host'`)
 * meet the same internalised string. Unknown names are sliced as before.
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

interface KnownName {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Longer names are never known (the longest is 17); keeps the key below 32 * 32. */
const MAX_LENGTH = 31;
const NONE: KnownName[] = [];

/**
 * Known names by `length * 32 + (first byte | 0x20) % 32`: the length and the first byte pick
 * at most a couple of candidates with one load (most keys hold none, or exactly one name).
 * Collisions of the key only cost a comparison; every byte is still compared.
 */
const BY_KEY: KnownName[][] = new Array<KnownName[]>(32 * 32).fill(NONE);
for (const name of NAMES) {
  const key = name.length * 32 + ((name.charCodeAt(0) | 0x20) & 31);
  const list = BY_KEY[key] === NONE ? [] : BY_KEY[key]!;
  list.push({ name, bytes: Buffer.from(name, 'latin1') });
  BY_KEY[key] = list;
}

/**
 * The constant lower-case string for the token `buf[start, end)` when it is a known field
 * name in any letter case, else null. `| 0x20` lower-cases a letter and leaves digits and `-`
 * as they are; no other token byte becomes a lower-case letter, digit or `-` that way.
 */
export function knownFieldName(buf: Uint8Array, start: number, end: number): string | null {
  const length = end - start;
  if (length > MAX_LENGTH || length <= 0) return null;
  const candidates = BY_KEY[length * 32 + ((buf[start]! | 0x20) & 31)]!;
  next: for (let k = 0; k < candidates.length; k++) {
    const known = candidates[k]!;
    const bytes = known.bytes;
    for (let i = 0; i < length; i++) {
      if ((buf[start + i]! | 0x20) !== bytes[i]) continue next;
    }
    return known.name;
  }
  return null;
}
