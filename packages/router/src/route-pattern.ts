/**
 * The pattern of the route a request matched (`/users/:id`), recorded on the request by the
 * App, so code outside the router (the metrics middleware of @rws/middleware, an access log)
 * can label by route without the raw path's unbounded values.
 *
 * It is stored under `Symbol.for('rws.route')`: a registered symbol, so a package that cannot
 * import @rws/router reads it by the same key.
 */
import type { Request } from '@rws/core';

/** The key of the matched route's pattern on a request: `Symbol.for('rws.route')`. */
export const ROUTE_PATTERN: unique symbol = Symbol.for('rws.route') as never;

/**
 * The pattern of the route `req` matched, with the prefixes of mounted apps (`/api/users/:id`),
 * or null before routing and when no route matched (404, 405, automatic OPTIONS, trailing-slash
 * redirect). Set before the route's middleware runs, so middleware can read it too.
 */
export function routePattern(req: Request): string | null {
  const value = (req as unknown as { [ROUTE_PATTERN]?: unknown })[ROUTE_PATTERN];
  return typeof value === 'string' ? value : null;
}
