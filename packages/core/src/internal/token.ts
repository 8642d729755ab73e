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
