/**
 * Parses a Content-Length value: 1–15 decimal digits (RFC 9110 §8.6), so the result stays an
 * exact integer. Returns -1 for anything else (signs, spaces, empty, too long).
 */
export function parseLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
