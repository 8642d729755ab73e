/**
 * Lower-cases ASCII letters only, so the string length (and any offsets into it) never
 * changes: `toLowerCase` is locale-free but also maps non-ASCII letters, some to longer
 * strings. Host names and route paths compared case-insensitively use this one rule. Returns
 * the same string when it has no upper-case ASCII letter.
 */
export function asciiLower(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      let out = s.slice(0, i);
      for (let j = i; j < s.length; j++) {
        const d = s.charCodeAt(j);
        out += d >= 65 && d <= 90 ? String.fromCharCode(d + 32) : s[j];
      }
      return out;
    }
  }
  return s;
}
