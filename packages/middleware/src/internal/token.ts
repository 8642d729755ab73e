/**
 * True when `value` is an RFC 9110 §5.6.2 token: one or more of
 * `!#$%&'*+-.^_`|~`, digits and letters. Used to validate method and field names in options.
 */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80 || TCHAR[c] !== 1) return false;
  }
  return true;
}

/** 1 for each ASCII code that is a tchar. */
const TCHAR: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  for (const ch of "!#$%&'*+-.^_`|~") table[ch.charCodeAt(0)] = 1;
  return table;
})();

/** True when `value` is 1–`max` visible ASCII characters (0x21–0x7e): safe to echo and log. */
export function isVisibleAscii(value: string, max: number): boolean {
  if (value.length === 0 || value.length > max) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
