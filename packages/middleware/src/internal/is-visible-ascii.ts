/** True when `value` is 1–`max` visible ASCII characters (0x21–0x7e): safe to echo and log. */
export function isVisibleAscii(value: string, max: number): boolean {
  if (value.length === 0 || value.length > max) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
