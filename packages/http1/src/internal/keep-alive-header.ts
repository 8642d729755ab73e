/** Reading the `Keep-Alive` response header that tells how long the server keeps a socket idle. */

/** The value of field `name` in a flat `[name, value, …]` list of a response head. */
export function headerValue(fields: string[], name: string): string | null {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === name) return fields[i + 1]!;
  return null;
}

/**
 * `Keep-Alive: timeout=N` (RFC 2068 §19.7.1.1, still sent by nginx and node): the server
 * closes idle sockets after N seconds. Returns the time we may keep the socket idle, with a
 * one-second margin so we never reuse a socket the server is closing; -1 when absent.
 */
export function parseKeepAliveTimeout(value: string): number {
  const i = value.toLowerCase().indexOf('timeout=');
  if (i === -1) return -1;
  let n = 0;
  let k = i + 8;
  let digits = 0;
  for (; k < value.length; k++) {
    const c = value.charCodeAt(k) - 48;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
    digits++;
  }
  if (digits === 0) return -1;
  return Math.max(0, n * 1000 - 1000);
}
