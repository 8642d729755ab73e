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

/** Known names grouped by length: a name's length picks the few candidates to compare. */
const BY_LENGTH: KnownName[][] = [];
for (const name of NAMES) {
  (BY_LENGTH[name.length] ??= []).push({ name, bytes: Buffer.from(name, 'latin1') });
}

/**
 * The constant lower-case string for the token `buf[start, end)` when it is a known field
 * name in any letter case, else null. `| 0x20` lower-cases a letter and leaves digits and `-`
 * as they are; no other token byte becomes a lower-case letter, digit or `-` that way.
 */
export function knownFieldName(buf: Uint8Array, start: number, end: number): string | null {
  const candidates = BY_LENGTH[end - start];
  if (candidates === undefined) return null;
  next: for (let k = 0; k < candidates.length; k++) {
    const known = candidates[k]!;
    const bytes = known.bytes;
    for (let i = 0; i < bytes.length; i++) {
      if ((buf[start + i]! | 0x20) !== bytes[i]) continue next;
    }
    return known.name;
  }
  return null;
}
