/**
 * Builds the `compress`, `security_headers`, `cors`, `csrf` and `forward_auth` middlewares of
 * a `[route.middleware]` / `[middleware]` table from their parsed configuration.
 */
import type { Middleware } from '@rws/core';
import { compress } from '@rws/middleware/compress';
import { cors } from '@rws/middleware/cors';
import { csrf } from '@rws/middleware/csrf';
import { forwardAuth } from '@rws/middleware/forward-auth';
import { type SecurityHeadersOptions, securityHeaders } from '@rws/middleware/security-headers';
import type {
  GatewayCompress,
  GatewayCors,
  GatewayCsrf,
  GatewayForwardAuth,
  GatewaySecurityHeaders,
} from '../../config/gateway-config.js';

/** Copies the non-null fields: null means "the middleware's default". */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as never;
}

export function buildCompress(c: GatewayCompress): Middleware {
  return compress(defined({ encodings: c.encodings, threshold: c.threshold, etag: c.etag }));
}

export function buildSecurityHeaders(s: GatewaySecurityHeaders): Middleware {
  // The factory validates each value (CSP sources, HSTS max-age, frame options…).
  return securityHeaders(defined({ ...s }) as SecurityHeadersOptions);
}

export function buildCors(c: GatewayCors): Middleware {
  return cors({
    allowAll: c.allowAll,
    allowOrigins: c.allowOrigins,
    allowCredentials: c.allowCredentials,
    allowPrivateNetwork: c.allowPrivateNetwork,
    ...defined({
      allowMethods: c.allowMethods,
      allowHeaders: c.allowHeaders,
      exposeHeaders: c.exposeHeaders,
      maxAge: c.maxAgeSecs,
    }),
  });
}

export function buildCsrf(c: GatewayCsrf): Middleware {
  return csrf(
    defined({
      cookieName: c.cookieName,
      headerName: c.headerName,
      formField: c.formField,
      safeMethods: c.safeMethods,
    }),
  );
}

export function buildForwardAuth(f: GatewayForwardAuth): Middleware {
  return forwardAuth({
    address: f.address,
    trustForwardHeader: f.trustForwardHeader,
    ...defined({
      authResponseHeaders: f.authResponseHeaders,
      authRequestHeaders: f.authRequestHeaders,
      timeoutMs: f.timeoutMs,
    }),
  });
}
