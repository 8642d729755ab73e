/**
 * JSON numbers of an access-log line, as `JSON.stringify` writes them, without V8's
 * double-to-string for the two kinds a line is made of: integers (status, bytes, attempts) and
 * milliseconds rounded to the microsecond (durations). `${n}` of a fraction runs a shortest
 * round-trip conversion (~700 instructions in callgrind per number, two per gateway line).
 */

/** Numbers from here on take the general path (the fast one keeps its arithmetic in 32 bits). */
const FAST_LIMIT = 2 ** 31;

/**
 * `n * 1000` when `n` is a number from 0 to 2^31 with at most three decimals, else -1. Such an
 * `n` is the double nearest to `int.fff`, and no decimal with fewer digits lies within a unit in
 * the last place of it (those are 0.001 apart, a unit there is below 2^-21), so `int.fff` with
 * its trailing zeros dropped is exactly the shortest text `JSON.stringify` writes.
 */
function thousandths(n: number): number {
  if (!(n >= 0 && n < FAST_LIMIT)) return -1;
  const k = Math.round(n * 1000);
  return k / 1000 === n ? k : -1;
}

/** `''`, `.001` … `.999`, trailing zeros dropped: a number's decimals by its thousandths. */
const DECIMALS: readonly string[] = Array.from({ length: 1000 }, (_, f) =>
  f === 0 ? '' : `.${String(f).padStart(3, '0').replace(/0+$/, '')}`,
);

/** `n` as JSON: its shortest round-trip text, `null` when it is not finite. */
export function jsonNumber(n: number): string {
  const k = thousandths(n);
  if (k < 0) return Number.isFinite(n) ? `${n}` : 'null';
  // A template, not String(): the same text without the String constructor's builtin. A small
  // integer's text comes from V8's number-to-string cache.
  const int = Math.floor(k / 1000);
  return `${int}${DECIMALS[k - int * 1000]}`;
}
