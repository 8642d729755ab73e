/**
 * JSON numbers of an access-log line, as `JSON.stringify` writes them, written as digits
 * straight into the line's buffer for the two kinds a line is made of: integers (status,
 * bytes, attempts) and milliseconds rounded to the microsecond (durations). `${n}` of a
 * fraction runs a shortest round-trip conversion (~700 instructions in callgrind per number,
 * two per gateway line), and any number's text is a string to encode again.
 */
import { writeLatin1 } from './byte-writes.js';

/** Numbers from here on take the general path (the fast one keeps its arithmetic in 32 bits). */
const FAST_LIMIT = 2 ** 31;

/** Most bytes `writeJsonNumber` writes (`-1.2345678901234567e-123` and the like are 24). */
export const MAX_NUMBER_BYTES = 32;

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

/** Writes the decimal digits of the integer `n` (0 to 2^31) at `pos`; returns the end. */
function writeDigits(out: Uint8Array, pos: number, n: number): number {
  let digits = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
  const end = pos + digits;
  let i = end;
  let t = n;
  do {
    const q = Math.floor(t / 10);
    out[--i] = 0x30 + (t - q * 10);
    t = q;
  } while (t > 0);
  return end;
}

/**
 * Writes `n` as JSON at `pos` (its shortest round-trip text, `null` when it is not finite);
 * returns the end. `out` has room for `MAX_NUMBER_BYTES` more.
 */
export function writeJsonNumber(out: Buffer, pos: number, n: number): number {
  const k = thousandths(n);
  if (k < 0) return pos + writeLatin1(out, Number.isFinite(n) ? `${n}` : 'null', pos);
  const int = Math.floor(k / 1000);
  let end = writeDigits(out, pos, int);
  const f = k - int * 1000;
  if (f === 0) return end;
  // `.fff` with its trailing zeros dropped.
  const d1 = Math.floor(f / 100);
  const d2 = Math.floor(f / 10) - d1 * 10;
  const d3 = f - Math.floor(f / 10) * 10;
  out[end++] = 0x2e;
  out[end++] = 0x30 + d1;
  if (d2 !== 0 || d3 !== 0) out[end++] = 0x30 + d2;
  if (d3 !== 0) out[end++] = 0x30 + d3;
  return end;
}
