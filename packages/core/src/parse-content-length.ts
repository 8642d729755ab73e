/** The longest Content-Length accepted: 15 digits keep every value below 2^53, exact. */
const MAX_DIGITS = 15;

/**
 * Parses a Content-Length value strictly: 1 to 15 ASCII decimal digits and nothing else
 * (RFC 9110 §8.6), so `1e3`, `0x10`, `+1`, `-1`, ` 1`, `1,1` and the empty string are all
 * invalid. Returns the length, or -1 for an absent (null) or invalid value. The one parser
 * every rws layer uses (transports, adapters, metrics), so none can read a length another
 * rejected.
 *
 * @see RFC 9110 §8.6, RFC 9112 §6.3 item 5
 */
export function parseContentLength(value: string | null): number {
  if (value === null) return -1;
  const len = value.length;
  if (len === 0 || len > MAX_DIGITS) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
