import type { Request } from '@rws/core';
import type { GatewayMatch } from '../../config/gateway-config.js';

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * The path as routes see it (RFC 3986 §6.2.2): percent-encoded unreserved characters decoded,
 * dot segments removed, repeated slashes merged (nginx `merge_slashes`). So `/%61dmin` and
 * `/x/../admin` meet the rules of `/admin/*` instead of slipping past them.
 */
export function normalizeRoutePath(path: string): string {
  let p = path;
  if (p.includes('%')) {
    p = p.replace(/%([0-9A-Fa-f]{2})/g, (whole, hex: string) => {
      const c = String.fromCharCode(Number.parseInt(hex, 16));
      return UNRESERVED.test(c) ? c : whole.toUpperCase();
    });
  }
  if (!p.includes('//') && !p.includes('/.')) return p;
  const out: string[] = [];
  const parts = p.split('/');
  for (let i = 1; i < parts.length; i++) {
    const seg = parts[i]!;
    const isLast = i === parts.length - 1;
    if (seg === '..') {
      out.pop();
      if (isLast) out.push('');
    } else if (seg === '.') {
      if (isLast) out.push('');
    } else if (seg === '' && !isLast) {
      // merged slash
    } else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/** The request host, lower-case, with and without its port. */
function hostOf(req: Request): { full: string; name: string } | null {
  const raw = req.headers.get('host') ?? req.conn.tls?.sni ?? null;
  if (raw === null) return null;
  const full = raw.trim().toLowerCase();
  const close = full.lastIndexOf(']');
  const colon = full.lastIndexOf(':');
  const name = colon > close ? full.slice(0, colon) : full;
  return { full, name: name.endsWith('.') ? name.slice(0, -1) : name };
}

function isHostMatch(pattern: string, req: Request): boolean {
  const host = hostOf(req);
  if (host === null) return false;
  const hasPort = pattern.lastIndexOf(':') > pattern.lastIndexOf(']');
  const value = hasPort ? host.full : host.name;
  if (pattern.startsWith('*.'))
    return value.endsWith(pattern.slice(1)) && value.length > pattern.length - 1;
  return value === pattern;
}

/** True when every condition of `m` holds for `req`; `path` is `normalizeRoutePath(req.path)`. */
export function isRouteMatch(m: GatewayMatch, req: Request, path: string): boolean {
  if (m.path !== null) {
    if (m.path.kind === 'exact' ? path !== m.path.value : !path.startsWith(m.path.value))
      return false;
  }
  if (m.methods !== null) {
    // An extended CONNECT (an h2/h3 WebSocket) matches as GET, its HTTP/1.1 form (RFC 8441 §4).
    const method =
      req.upgrade?.kind === 'connect' && req.upgrade.protocol !== null ? 'GET' : req.method;
    if (!m.methods.includes(method) && !(method === 'HEAD' && m.methods.includes('GET')))
      return false;
  }
  if (m.host !== null && !isHostMatch(m.host, req)) return false;
  if (m.contentType !== null) {
    const ct = req.headers.get('content-type');
    if (ct === null || !ct.trim().toLowerCase().startsWith(m.contentType)) return false;
  }
  for (const name in m.headers) {
    const want = m.headers[name]!;
    const got = req.headers.get(name);
    if (got === null || (want !== '*' && got !== want)) return false;
  }
  return true;
}

/**
 * True when `m` matches every request whose path starts with `/` (no condition, or only the
 * path prefix `/`): such a route needs neither the normalised path nor any header.
 */
export function isCatchAll(m: GatewayMatch): boolean {
  return (
    (m.path === null || (m.path.kind === 'prefix' && m.path.value === '/')) &&
    m.methods === null &&
    m.host === null &&
    m.contentType === null &&
    Object.keys(m.headers).length === 0
  );
}
