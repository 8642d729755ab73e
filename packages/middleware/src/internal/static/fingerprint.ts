/**
 * Whether a file name carries a content hash, so its bytes never change under that name and
 * it may be cached for a year as `immutable`. A hash is a `.`- or `-`-separated part of the
 * name before the extension that is either 8+ hex digits, letters and digits both
 * (`app.3f9a1c2b.js`,
 * `main-3f9a1c2b4d5e.css`) or 8+ base64url characters with at least one digit, one upper- and
 * one lower-case letter (Vite/Rollup's `index-BqjV9TxC.js`). Plain words never match.
 */
export function isFingerprinted(fileName: string): boolean {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return false;
  const stem = fileName.slice(0, dot);
  let start = 0;
  for (let i = 0; i <= stem.length; i++) {
    const c = i < stem.length ? stem.charCodeAt(i) : 46;
    if (c !== 46 /* . */ && c !== 45 /* - */) continue;
    // The first part is the name itself (`3f9a1c2b.js` has no name to fingerprint).
    if (start > 0 && isHash(stem, start, i)) return true;
    start = i + 1;
  }
  return false;
}

function isHash(s: string, start: number, end: number): boolean {
  if (end - start < 8) return false;
  let isHex = true;
  let hasHexLetter = false;
  let hasDigit = false;
  let hasUpper = false;
  let hasLower = false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    const isUpper = c >= 65 && c <= 90;
    const isLower = c >= 97 && c <= 122;
    if (!isDigit && !isUpper && !isLower && c !== 95 /* _ */) return false;
    if (c >= 97 && c <= 102) hasHexLetter = true;
    else if (!isDigit) isHex = false;
    hasDigit ||= isDigit;
    hasUpper ||= isUpper;
    hasLower ||= isLower;
  }
  // Digits alone are more often a date (`photo-20240101.jpg`) than a hash.
  return (isHex && hasDigit && hasHexLetter) || (hasDigit && hasUpper && hasLower);
}
