/**
 * A return-to target that can only lead back into this site: a path starting with one `/`,
 * never `//host` or `/\host` (browsers treat both as another origin), no backslash and no
 * control characters. Anything else becomes `fallback`, so a crafted login link cannot bounce
 * the user to another site after login (open redirect).
 */
export function safeReturnTo(value: string | null | undefined, fallback: string): string {
  if (value === null || value === undefined || value.length === 0 || value.length > 2048) {
    return fallback;
  }
  if (value.charCodeAt(0) !== 47 /* / */) return fallback;
  const second = value.charCodeAt(1);
  if (second === 47 /* / */ || second === 92 /* \ */) return fallback;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 92 /* \ */) return fallback;
  }
  return value;
}
