/** `[[route]]`: `[route.match]`, the action (read-action.ts) and `[route.middleware]`. */
import { isToken } from '@rws/core';
import { checkHeaderName } from './checks.js';
import type { KeyPath } from './config-problem.js';
import type { GatewayMatch, GatewayRoute, GatewayUpstream } from './gateway-config.js';
import { readAction } from './read-action.js';
import { NO_MIDDLEWARE, readMiddleware } from './read-middleware.js';
import { type Reader, typeName } from './reader.js';

function readMatch(r: Reader, v: unknown, path: KeyPath): GatewayMatch {
  const none: GatewayMatch = {
    host: null,
    path: null,
    methods: null,
    contentType: null,
    headers: {},
  };
  const t = r.table(v, path, 'a table ([route.match])');
  if (t === null) return none;
  r.keys(t, path, ['host', 'path', 'method', 'content_type', 'headers']);
  const host = r.string(t, 'host', path);
  if (
    host !== null &&
    !/^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(host)
  ) {
    r.invalid(
      [...path, 'host'],
      `${JSON.stringify(host)} is not a host name (optionally *.domain or with :port)`,
    );
  }
  let pathMatch: GatewayMatch['path'] = null;
  const p = r.string(t, 'path', path);
  if (p !== null) {
    const isPrefix = p.endsWith('*');
    const value = isPrefix ? p.slice(0, -1) : p;
    if (!value.startsWith('/') || value.includes('*') || /[\s?#]/.test(value)) {
      r.invalid(
        [...path, 'path'],
        `${JSON.stringify(p)} must start with "/" and may only end with "*" (prefix match)`,
      );
    } else pathMatch = { kind: isPrefix ? 'prefix' : 'exact', value };
  }
  let methods: string[] | null = null;
  const m = r.strings(t, 'method', path, true);
  if (m !== null) {
    methods = [];
    m.forEach((method, i) => {
      const at = Array.isArray(t['method']) ? [...path, 'method', i] : [...path, 'method'];
      if (!isToken(method)) r.invalid(at, `${JSON.stringify(method)} is not an HTTP method`);
      else methods!.push(method.toUpperCase());
    });
  }
  let contentType = r.string(t, 'content_type', path);
  if (contentType !== null) contentType = contentType.replace(/\*$/, '').trim().toLowerCase();
  const headers: Record<string, string> = {};
  const h = r.table(t['headers'], [...path, 'headers'], 'a table of header name = value');
  if (h !== null) {
    for (const [name, value] of Object.entries(h)) {
      if (!checkHeaderName(r, name, [...path, 'headers', name])) continue;
      if (typeof value !== 'string') {
        r.invalid([...path, 'headers', name], `must be a string, got ${typeName(value)}`);
      } else headers[name.toLowerCase()] = value;
    }
  }
  return { host: host?.toLowerCase() ?? null, path: pathMatch, methods, contentType, headers };
}

export function readRoutes(
  r: Reader,
  v: unknown,
  upstreams: ReadonlyMap<string, GatewayUpstream>,
): GatewayRoute[] {
  const out: GatewayRoute[] = [];
  r.tables(v, ['route'], 'route').forEach((t, i) => {
    const path = ['route', i];
    r.keys(t, path, ['name', 'match', 'action', 'middleware']);
    const name = r.string(t, 'name', path);
    const match = readMatch(r, t['match'], [...path, 'match']);
    const action = readAction(r, t['action'], [...path, 'action'], upstreams);
    const middleware =
      readMiddleware(r, t['middleware'], [...path, 'middleware'], false) ?? NO_MIDDLEWARE;
    if (action !== null) out.push({ name, index: i, match, action, middleware });
  });
  return out;
}
