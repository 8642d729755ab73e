/**
 * Entity tags and conditional requests, RFC 9110 §8.8 and §13.
 */

/** Splits an `If-Match` / `If-None-Match` list into its entity tags (`*` kept as is). */
export function parseEtagList(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  const len = value.length;
  while (i < len) {
    const c = value.charCodeAt(i);
    if (c === 32 || c === 9 || c === 44) {
      i++;
      continue;
    }
    if (c === 42) {
      out.push('*');
      i++;
      continue;
    }
    let start = i;
    if (c === 87 && value.charCodeAt(i + 1) === 47) i += 2; // W/
    if (value.charCodeAt(i) !== 34) {
      // Not a quoted entity-tag: skip to the next comma (lenient, like nginx).
      const comma = value.indexOf(',', i);
      const end = comma === -1 ? len : comma;
      const token = value.slice(start, end).trim();
      if (token.length > 0) out.push(token);
      i = end + 1;
      continue;
    }
    const close = value.indexOf('"', i + 1);
    if (close === -1) {
      out.push(value.slice(start).trim());
      break;
    }
    out.push(value.slice(start, close + 1));
    i = close + 1;
    start = i;
  }
  return out;
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** RFC 9110 §8.8.3.2 weak comparison: the opaque tags match, W/ or not. */
export function weakMatch(a: string, b: string): boolean {
  return opaque(a) === opaque(b);
}

/** RFC 9110 §8.8.3.2 strong comparison: both strong and identical. */
export function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && !b.startsWith('W/') && a === b;
}

/** Parses an HTTP-date to whole seconds since the epoch, or null when it is not a date. */
export function parseHttpDate(value: string): number | null {
  // RFC 9110 §5.6.7: recipients accept IMF-fixdate, rfc850 and asctime; Date.parse reads all
  // three. Digits-only values are rejected because Date.parse would read them as a year.
  const trimmed = value.trim();
  if (trimmed.length < 8) return null;
  const ms = Date.parse(trimmed);
  if (Number.isNaN(ms)) return null;
  return Math.floor(ms / 1000);
}

/** The outcome of evaluating preconditions: go on, or answer 304 / 412 now. */
export type PreconditionResult = 'ok' | 304 | 412;

/**
 * Evaluates the preconditions of a GET/HEAD in the order of RFC 9110 §13.2.2:
 * If-Match, else If-Unmodified-Since (→ 412); If-None-Match, else If-Modified-Since (→ 304).
 */
export function evaluatePreconditions(
  headers: { get(name: string): string | null },
  etag: string,
  lastModifiedSec: number,
): PreconditionResult {
  const ifMatch = headers.get('if-match');
  if (ifMatch !== null) {
    const tags = parseEtagList(ifMatch);
    // §13.1.1: `*` matches any current representation; otherwise strong comparison.
    if (!tags.some((t) => t === '*' || strongMatch(t, etag))) return 412;
  } else {
    const ius = headers.get('if-unmodified-since');
    if (ius !== null) {
      const date = parseHttpDate(ius);
      // §13.1.4: an invalid date is ignored.
      if (date !== null && lastModifiedSec > date) return 412;
    }
  }
  const ifNoneMatch = headers.get('if-none-match');
  if (ifNoneMatch !== null) {
    const tags = parseEtagList(ifNoneMatch);
    // §13.1.2: weak comparison; for GET/HEAD a match means 304.
    if (tags.some((t) => t === '*' || weakMatch(t, etag))) return 304;
    return 'ok';
  }
  // §13.1.3: If-Modified-Since is ignored when If-None-Match is present (handled above).
  const ims = headers.get('if-modified-since');
  if (ims !== null) {
    const date = parseHttpDate(ims);
    if (date !== null && lastModifiedSec <= date) return 304;
  }
  return 'ok';
}

/**
 * RFC 9110 §13.1.5: true when the Range header may be honoured. An entity-tag must match
 * strongly; a date must equal Last-Modified exactly.
 */
export function ifRangeAllows(
  ifRange: string | null,
  etag: string,
  lastModifiedSec: number,
): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return strongMatch(value, etag);
  const date = parseHttpDate(value);
  return date !== null && date === lastModifiedSec;
}
