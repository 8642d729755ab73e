/**
 * RFC 9110 §5.6.2 token characters: `!#$%&'*+-.^_`|~`, digits and letters.
 * A 256-entry table so parsers test a byte with one load.
 */
export const TOKEN_CHARS: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  for (const ch of "!#$%&'*+-.^_`|~") table[ch.charCodeAt(0)] = 1;
  return table;
})();

/** True when `s` is a non-empty RFC 9110 token. */
export function isTokenString(s: string): boolean {
  if (typeof s !== 'string' || s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || TOKEN_CHARS[c] !== 1) return false;
  }
  return true;
}
