/**
 * The handler of the plain-HTTP redirect listener: every request is sent to the same host and
 * target over HTTPS. GET and HEAD get 301 (cacheable, what browsers expect); other methods get
 * 308 so the method and body are kept on the second request (RFC 9110 §15.4.2, RFC 9110
 * §15.4.9 — a 301 lets clients rewrite POST to GET).
 */
import { type Handler, Headers, normalizeHost, type Request, splitTarget } from '@rws/core';

/**
 * The path and query to redirect to: the target split by core's one splitter (absolute-form
 * reduced to its path and query); a target without a path (`*`, authority-form) goes to `/`.
 */
function pathAndQuery(req: Request): string {
  const [path, search] = splitTarget(req.target);
  const base = path.charCodeAt(0) === 47 ? path : '/';
  return search.length > 0 ? `${base}?${search}` : base;
}

/**
 * A handler redirecting to `https://<host>[:<httpsPort>]<target>`; the port is left out when it
 * is 443. `fallbackHost` is used when the request has no Host (HTTP/1.0).
 */
export function redirectHandler(httpsPort: () => number, fallbackHost: string): Handler {
  return (req) => {
    const host = req.headers.get('host');
    const name = host === null || host.length === 0 ? fallbackHost : normalizeHost(host);
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
