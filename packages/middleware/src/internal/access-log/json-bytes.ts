/**
 * The JSON access-log line written as bytes straight into the log sink's batch buffer, for the
 * common line whose every value is printable ASCII without `"` or `\`. `formatJson` builds the
 * same text as a string of ~25 concatenations, which the sink then had to flatten (V8's
 * `WriteToFlat`) and encode as UTF-8: in callgrind of the `rws` gateway about 3.3k instructions
 * per request for the flattening alone, plus the concatenations and the encode. Here each value
 * is scanned and copied in one pass, the key fragments are constants, and numbers are written
 * as digits; a value that needs escaping (or is not ASCII) makes `encodeJsonLine` give up, and
 * the caller falls back to `formatJson` and a UTF-8 write. The bytes are always exactly
 * `formatJson(entry)` (a property test holds it to that).
 */
import {
  fieldPrefix,
  isoSecondPrefix,
  type LogEntry,
  MILLIS_Z,
  REQUEST_ID_PREFIX,
} from './format.js';

/**
 * Bytes a line can take at most when every value is plain ASCII: the key fragments and
 * numbers (well under this), plus one byte per character of each string value.
 */
const FIXED_BYTES = 512;

/** Copies a constant ASCII fragment; returns the position after it. */
function put(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
  return at;
}

/**
 * Copies `s` when it is printable ASCII without `"` and `\` (the text JSON leaves as it is);
 * returns the position after it, or -1 when a character needs escaping or is not ASCII.
 */
function putPlain(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    buf[at++] = c;
  }
  return at;
}

/** Decimal digits of a non-negative integer below 2^31. */
function putUint(buf: Uint8Array, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 0x30 + n;
    return at + 1;
  }
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  const end = at + digits;
  for (let p = end - 1; p >= at; p--) {
    buf[p] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return end;
}

/** Largest integer written digit by digit; beyond it numbers go through `${n}`. */
const MAX_DIGITS_INT = 0x7fffffff;

/**
 * A number as JSON writes it. Integers below 2^31 and multiples of 0.001 below 2^31 / 1000
 * (durations rounded to the microsecond) are written as digits: for those the shortest
 * round-trip decimal JavaScript prints is exactly the integer part, a point and the
 * thousandths without trailing zeros (the decimal has at most 10 significant digits, far
 * inside a double's precision). Anything else uses the engine's own conversion.
 */
function putNumber(buf: Uint8Array, at: number, n: number): number {
  if (n >= 0 && n <= MAX_DIGITS_INT) {
    if (Number.isInteger(n)) return putUint(buf, at, n);
    const k = Math.round(n * 1000);
    if (k <= MAX_DIGITS_INT && k / 1000 === n) {
      const whole = Math.floor(k / 1000);
      at = putUint(buf, at, whole);
      const frac = k - whole * 1000;
      buf[at++] = 0x2e;
      const d1 = Math.floor(frac / 100);
      const d2 = Math.floor(frac / 10) % 10;
      const d3 = frac % 10;
      buf[at++] = 0x30 + d1;
      if (d2 !== 0 || d3 !== 0) buf[at++] = 0x30 + d2;
      if (d3 !== 0) buf[at++] = 0x30 + d3;
      return at;
    }
  }
  // NaN and infinities are null in JSON; other numbers are ASCII digits, signs, `.` and `e`.
  return put(buf, at, Number.isFinite(n) ? `${n}` : 'null');
}

/**
 * Upper bound of the bytes `encodeJsonLine` may write for `e` (newline included), enough
 * room whenever it succeeds.
 */
export function jsonLineBound(e: LogEntry): number {
  let n =
    FIXED_BYTES + e.remoteAddress.length + e.method.length + e.target.length + e.protocol.length;
  if (e.userAgent !== null) n += e.userAgent.length;
  if (e.referer !== null) n += e.referer.length;
  if (e.requestId !== null) n += e.requestId.length;
  const fields = e.fields;
  if (fields !== null) {
    for (const key in fields) {
      const value = fields[key];
      // A key's fragment is at most ~6 bytes per character (\uXXXX); a number ≤ 24 bytes.
      n += key.length * 6 + 32 + (typeof value === 'string' ? value.length : 0);
    }
  }
  return n;
}

/** The `key` of the last `fields` object and their prefixes: a gateway's lines all have the same. */
let lastKeys: readonly string[] = [];
let lastPrefixes: readonly (Uint8Array | null)[] = [];

function prefixesOf(keys: readonly string[]): readonly (Uint8Array | null)[] {
  const n = keys.length;
  if (n === lastKeys.length) {
    let i = 0;
    while (i < n && keys[i] === lastKeys[i]) i++;
    if (i === n) return lastPrefixes;
  }
  const out: (Uint8Array | null)[] = [];
  for (const key of keys) {
    const prefix = fieldPrefix(key);
    out.push(prefix === null ? null : prefix.bytes);
  }
  lastKeys = keys;
  lastPrefixes = out;
  return out;
}

/** The bare `,"request_id":` prefix: a `fields` key of that name is skipped when the request has an id. */
const REQUEST_ID_BYTES = REQUEST_ID_PREFIX.bytes;

/**
 * Writes `formatJson(e)` and a newline into `buf` from `at` (which must have
 * `jsonLineBound(e)` bytes of room). Returns the position after the newline, or -1 when some
 * value needs JSON escaping or is not ASCII (nothing usable was written; use `formatJson`).
 */
export function encodeJsonLine(e: LogEntry, buf: Uint8Array, at: number): number {
  const ms = e.startMs;
  const sec = Math.floor(ms / 1000);
  if (!Number.isFinite(sec)) return -1;
  at = put(buf, at, '{"time":"');
  at = put(buf, at, isoSecondPrefix(sec));
  at = put(buf, at, MILLIS_Z[Math.floor(ms - sec * 1000)]!);
  at = put(buf, at, '","remote_addr":"');
  if ((at = putPlain(buf, at, e.remoteAddress)) < 0) return -1;
  at = put(buf, at, '","method":"');
  if ((at = putPlain(buf, at, e.method)) < 0) return -1;
  at = put(buf, at, '","path":"');
  if ((at = putPlain(buf, at, e.target)) < 0) return -1;
  at = put(buf, at, '","protocol":"');
  if ((at = putPlain(buf, at, e.protocol)) < 0) return -1;
  at = put(buf, at, '","status":');
  at = putNumber(buf, at, e.status);
  at = put(buf, at, ',"bytes":');
  at = putNumber(buf, at, e.bytes);
  at = put(buf, at, ',"duration_ms":');
  at = putNumber(buf, at, Math.round(e.durationMs * 1000) / 1000);
  if (e.userAgent === null) at = put(buf, at, ',"user_agent":null');
  else {
    at = put(buf, at, ',"user_agent":"');
    if ((at = putPlain(buf, at, e.userAgent)) < 0) return -1;
    buf[at++] = 0x22;
  }
  if (e.referer === null) at = put(buf, at, ',"referer":null');
  else {
    at = put(buf, at, ',"referer":"');
    if ((at = putPlain(buf, at, e.referer)) < 0) return -1;
    buf[at++] = 0x22;
  }
  if (e.requestId !== null) {
    at = put(buf, at, ',"request_id":"');
    if ((at = putPlain(buf, at, e.requestId)) < 0) return -1;
    buf[at++] = 0x22;
  }
  const fields = e.fields;
  if (fields !== null) {
    const keys = Object.keys(fields);
    const prefixes = prefixesOf(keys);
    for (let i = 0; i < keys.length; i++) {
      const prefix = prefixes[i];
      // As formatJson: a standard key is never replaced; `request_id` comes from a field only
      // when the request has none.
      if (prefix === null || (prefix === REQUEST_ID_BYTES && e.requestId !== null)) continue;
      // A key that is not ASCII has no byte prefix here.
      if (prefix === undefined || prefix.length === 0) return -1;
      // A loop, not `set()`: the native call costs more than copying a dozen bytes.
      for (let j = 0; j < prefix.length; j++) buf[at++] = prefix[j]!;
      const value = fields[keys[i]!];
      if (typeof value === 'string') {
        buf[at++] = 0x22;
        if ((at = putPlain(buf, at, value)) < 0) return -1;
        buf[at++] = 0x22;
      } else if (typeof value === 'number') at = putNumber(buf, at, value);
      else at = put(buf, at, 'null');
    }
  }
  buf[at++] = 0x7d;
  buf[at++] = 0x0a;
  return at;
}
