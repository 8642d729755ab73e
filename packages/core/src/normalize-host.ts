import { asciiLower } from './ascii-lower.js';

/**
 * The host name of a `Host` field, `:authority` or host pattern, normalised for comparison:
 * the port removed, ASCII letters lower-cased and one trailing dot dropped (`Example.COM.:8080`
 * → `example.com`). An IPv6 literal keeps its brackets (`[::1]:80` → `[::1]`). The one rule
 * every layer that compares hosts uses (host routing, the HTTPS redirect).
 *
 * @see RFC 3986 §3.2.2 (host, IP-literal), RFC 9110 §4.2.3 (case-insensitive host)
 */
export function normalizeHost(host: string): string {
  let end = host.length;
  if (host.charCodeAt(0) === 91 /* [ */) {
    // IPv6 literal: the port follows the closing bracket.
    const close = host.indexOf(']');
    if (close !== -1) end = close + 1;
  } else {
    const colon = host.indexOf(':');
    if (colon !== -1) end = colon;
  }
  if (end > 1 && host.charCodeAt(end - 1) === 46 /* . */) end--;
  return asciiLower(end === host.length ? host : host.slice(0, end));
}
