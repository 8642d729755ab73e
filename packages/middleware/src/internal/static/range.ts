/**
 * `Range: bytes=…` parsing, RFC 9110 §14.1.2 and §14.2.
 */

/** An inclusive byte range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** The result of reading a Range header against a representation of `size` bytes. */
export type RangeResult =
  /** Send the whole representation (no header, another unit, bad syntax, or abuse). */
  | { readonly kind: 'ignore' }
  /** No range overlaps the representation: 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'ranges'; readonly ranges: ByteRange[] };

/** Above this many ranges the header is ignored (nginx's answer to range-abuse DoS). */
export const MAX_RANGES = 16;

/** Digits → number; -1 when not digits. Values past 2^53 saturate (they only mean "huge"). */
function parseDigits(s: string): number {
  if (s.length === 0) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return Number.isSafeInteger(n) ? n : Number.MAX_SAFE_INTEGER;
}

/**
 * Reads a Range header. Over-long last positions are clamped to the end (§14.1.2); ranges
 * starting past the end are dropped; when none is left the result is unsatisfiable. More than
 * `maxRanges` ranges, or ranges that together ask for more bytes than the file has (overlap
 * abuse, RFC 9110 §17.15), make the header ignored so the client gets a plain 200.
 */
export function parseRange(
  header: string,
  size: number,
  maxRanges: number = MAX_RANGES,
): RangeResult {
  const eq = header.indexOf('=');
  if (eq === -1) return { kind: 'ignore' };
  if (header.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'ignore' };
  const specs = header.slice(eq + 1).split(',');
  if (specs.length > maxRanges) return { kind: 'ignore' };
  const ranges: ByteRange[] = [];
  let total = 0;
  let count = 0;
  for (const raw of specs) {
    const spec = raw.trim();
    // Empty list elements are allowed by the list syntax (RFC 9110 §5.6.1).
    if (spec.length === 0) continue;
    count++;
    const dash = spec.indexOf('-');
    if (dash === -1) return { kind: 'ignore' };
    const first = spec.slice(0, dash).trim();
    const last = spec.slice(dash + 1).trim();
    if (first.length === 0) {
      // suffix-range: the last N bytes.
      const n = parseDigits(last);
      if (n < 0) return { kind: 'ignore' };
      if (n === 0 || size === 0) continue;
      const start = Math.max(0, size - n);
      ranges.push({ start, end: size - 1 });
      total += size - start;
      continue;
    }
    const start = parseDigits(first);
    if (start < 0) return { kind: 'ignore' };
    let end: number;
    if (last.length === 0) end = size - 1;
    else {
      end = parseDigits(last);
      if (end < 0 || end < start) return { kind: 'ignore' };
      if (end > size - 1) end = size - 1;
    }
    if (start >= size) continue;
    ranges.push({ start, end });
    total += end - start + 1;
  }
  if (count === 0) return { kind: 'ignore' };
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  if (ranges.length > 1 && total > size) return { kind: 'ignore' };
  return { kind: 'ranges', ranges };
}
