/** The OpenTelemetry HTTP server span attributes of a request (stable semantic conventions). */
import type { Request } from '@rws/core';

const PROTOCOL_VERSION: Readonly<Record<string, string>> = {
  'http/1.0': '1.0',
  'http/1.1': '1.1',
  h2: '2',
  h3: '3',
};

const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

/** The key @rws/router's App records the matched route pattern under (its `ROUTE_PATTERN`). */
const ROUTE_PATTERN = Symbol.for('rws.route');

/** The route pattern @rws/router matched for `req` (`/users/:id`), or null. */
export function routeOf(req: Request): string | null {
  // A registered symbol: no import of @rws/router.
  const pattern = (req as unknown as Record<symbol, unknown>)[ROUTE_PATTERN];
  return typeof pattern === 'string' ? pattern : null;
}

/**
 * The attributes of an HTTP server span for `req` (OpenTelemetry semantic conventions, stable
 * HTTP set): method, path, query, scheme, protocol version, client and server address, user
 * agent, and `http.route` once @rws/router matched a route. The response status is added when
 * the span ends.
 *
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-server
 */
export function serverSpanAttributes(req: Request): Record<string, string | number> {
  const method = KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
  const attributes: Record<string, string | number> = {
    'http.request.method': method,
    'url.path': req.path,
    'url.scheme': req.conn.tls !== null ? 'https' : 'http',
    'network.protocol.version': PROTOCOL_VERSION[req.protocol] ?? req.protocol,
    'client.address': req.conn.remoteAddress,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = req.method;
  if (req.search !== '') attributes['url.query'] = req.search;
  const route = routeOf(req);
  if (route !== null) attributes['http.route'] = route;
  const host = req.headers.get('host');
  if (host !== null) {
    const colon = host.lastIndexOf(':');
    const hasPort = colon !== -1 && !host.endsWith(']');
    attributes['server.address'] = hasPort ? host.slice(0, colon) : host;
    if (hasPort) attributes['server.port'] = Number(host.slice(colon + 1));
  }
  const agent = req.headers.get('user-agent');
  if (agent !== null) attributes['user_agent.original'] = agent;
  return attributes;
}
