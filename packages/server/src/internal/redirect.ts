/**
 * The handler of the plain-HTTP redirect listener: every request is sent to the same host and
 * target over HTTPS. GET and HEAD get 301 (cacheable, what browsers expect); other methods get
 * 308 so the method and body are kept on the second request (RFC 9110 §15.4.2, RFC 9110
 * §15.4.9 — a 301 lets clients rewrite POST to GET).
 *
 * The `Host` is checked before it goes into `Location`: a value that is not a DNS name, an
 * IPv4 address or a bracketed IPv6 literal (with an optional port) gets 400, so a client cannot
 * make the server send it to `https://[evil:…` or anywhere a malformed authority would lead.
 */
import { type Handler, Headers, type Request, type Response, splitTarget } from '@rws/core';
import { parseHost } from './host-check.js';

/**
 * The path and query to redirect to: the target split by core's one splitter (absolute-form
 * reduced to its path and query); a target without a path (`*`, authority-form) goes to `/`.
 */
function pathAndQuery(req: Request): string {
  const [path, search] = splitTarget(req.target);
  const base = path.charCodeAt(0) === 47 ? path : '/';
  return search.length > 0 ? `${base}?${search}` : base;
}

function badHost(): Response {
  return {
    status: 400,
    headers: new Headers([
      ['content-type', 'text/plain; charset=utf-8'],
      ['connection', 'close'],
    ]),
    body: 'bad request: invalid Host header\n',
  };
}

/** True when `name` is listed, exactly or under a `*.` wildcard. */
function isListed(names: readonly string[], name: string): boolean {
  for (const entry of names) {
    if (entry === name || (entry.startsWith('*.') && name.endsWith(entry.slice(1)))) return true;
  }
  return false;
}

/**
 * A handler redirecting to `https://<host>[:<httpsPort>]<target>`; the port is left out when it
 * is 443. `names` are the configured host names (allowed hosts, SNI domains): when there are
 * any, a Host naming none of them is redirected to the first exact one instead of being
 * trusted. `fallbackHost` is used when the request has no Host (HTTP/1.0) and no names exist.
 */
export function redirectHandler(
  httpsPort: () => number,
  fallbackHost: string,
  configuredNames: () => readonly string[] = () => [],
): Handler {
  const fallback = fallbackHost.includes(':') ? `[${fallbackHost}]` : fallbackHost;
  return (req) => {
    // Read per request: a reload may change the names.
    const names = configuredNames();
    const canonical = names.find((n) => !n.startsWith('*.')) ?? null;
    const value = req.headers.get('host');
    let name: string;
    if (value === null || value.length === 0) name = canonical ?? fallback;
    else {
      const host = parseHost(value);
      if (host === null) return badHost();
      name = canonical === null || isListed(names, host.name) ? host.name : canonical;
    }
    const port = httpsPort();
    const location = `https://${name}${port === 443 ? '' : `:${port}`}${pathAndQuery(req)}`;
    const isSafe = req.method === 'GET' || req.method === 'HEAD';
    return {
      status: isSafe ? 301 : 308,
      headers: new Headers([['location', location]]),
      body: null,
    };
  };
}
