/**
 * Byte classification tables for the HTTP/1.1 codec. One 256-entry table per question so the
 * parsers test a byte with one load instead of a chain of comparisons or a regular expression.
 */

/**
 * RFC 9110 §5.6.2 tchar: `!#$%&'*+-.^_`|~`, DIGIT, ALPHA. 1 = token char, 2 = upper-case
 * letter (a token char that needs lower-casing), 0 = not a token char.
 */
export const TOKEN: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 2;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  for (const ch of "!#$%&'*+-.^_`|~") table[ch.charCodeAt(0)] = 1;
  return table;
})();

/**
 * RFC 9110 §5.5 field-value bytes: HTAB, SP, VCHAR and obs-text. CR, LF, NUL, the other
 * controls and DEL are 0 (rejected: they enable response splitting and smuggling).
 */
export const FIELD_VALUE: Uint8Array = (() => {
  const table = new Uint8Array(256);
  table[0x09] = 1;
  for (let c = 0x20; c <= 0x7e; c++) table[c] = 1;
  for (let c = 0x80; c <= 0xff; c++) table[c] = 1;
  return table;
})();

/**
 * Bytes allowed in a request-target (RFC 9112 §3.2, RFC 3986 plus the characters browsers
 * and curl send unescaped: `"<>\^`{|}`). Controls, SP, DEL and non-ASCII bytes are 0.
 */
export const TARGET: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0x21; c <= 0x7e; c++) table[c] = 1;
  return table;
})();

/** Bytes allowed in a Host value (RFC 3986 §3.2.2 reg-name / IP-literal / IPv4, plus `:port`). */
export const HOST: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  for (const ch of "-._~!$&'()*+,;=%:[]") table[ch.charCodeAt(0)] = 1;
  return table;
})();

/** Hex digit values + 1 (0 = not a hex digit), for chunk sizes (RFC 9112 §7.1). */
export const HEX: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0; c <= 9; c++) table[0x30 + c] = c + 1;
  for (let c = 0; c < 6; c++) {
    table[0x41 + c] = c + 11;
    table[0x61 + c] = c + 11;
  }
  return table;
})();

/** `buf.latin1Slice` is Node's fastest Buffer-to-string path; it is not in the typings. */
interface Latin1Sliceable {
  latin1Slice(start: number, end: number): string;
}

/** Decodes `buf[start, end)` as latin1 (one byte = one char, no validation, no copy of bytes). */
export function latin1(buf: Uint8Array, start: number, end: number): string {
  return (buf as unknown as Latin1Sliceable).latin1Slice(start, end);
}
