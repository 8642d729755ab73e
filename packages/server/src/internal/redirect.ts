/**
 * The handler of the plain-HTTP redirect listener: every request is sent to the same host and
 * target over HTTPS. GET and HEAD get 301 (cacheable, what browsers expect); other methods get
 * 308 so the method and body are kept on the second request (RFC 9110 §15.4.2, RFC 9110
 * §15.4.9 — a 301 lets clients rewrite POST to GET).
 */
import { type Handler, Headers, type Request } from '@rws/core';

/** The host of a `Host` header without its port (`[::1]:80` → `[::1]`, `a.com:80` → `a.com`). */
function hostWithoutPort(host: string): string {
  if (host.charCodeAt(0) === 91) {
    // '[': an IPv6 literal, RFC 3986 §3.2.2; the port follows the closing bracket.
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** The path and query of a request-target (origin-form, or absolute-form reduced to it). */
function pathAndQuery(req: Request): string {
  const target = req.target;
  if (target.charCodeAt(0) === 47) return target; // '/'
  if (target === '*') return '/';
  return req.search.length > 0 ? `${req.path}?${req.search}` : req.path || '/';
}

/**
 * A handler redirecting to `https://<host>[:<httpsPort>]<target>`; the port is left out when it
 * is 443. `fallbackHost` is used when the request has no Host (HTTP/1.0).
 */
export function redirectHandler(httpsPort: () => number, fallbackHost: string): Handler {
  return (req) => {
    const host = req.headers.get('host');
    const name = host === null || host.length === 0 ? fallbackHost : hostWithoutPort(host);
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
