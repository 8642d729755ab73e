/**
 * The handler chain a server runs for every request: HSTS (outermost, so built-in endpoints
 * get it too) → Host check (DNS rebinding) → metrics → built-in endpoints → the application. Built once per configuration
 * and swapped as a whole on reload, so a request sees either the old chain or the new one.
 */
import { type Handler, Headers, type Middleware, type Response } from '@rws/core';
import type { Metrics } from '@rws/middleware/metrics';
import { withHttp01 } from './acme/http01.js';
import { hostCheckMiddleware } from './host-check.js';
import type { ResolvedOptions } from './options.js';

function plain(status: number, body: string): Response {
  return {
    status,
    headers: new Headers([
      ['content-type', 'text/plain; charset=utf-8'],
      ['cache-control', 'no-store'],
    ]),
    body,
  };
}

/** `/healthz`, `/readyz`, `/metrics`, answered for GET and HEAD only (path match, query ignored). */
function healthMiddleware(
  options: ResolvedOptions,
  isReady: () => boolean,
  metrics: Metrics | null,
): Middleware | null {
  const { healthz, readyz } = options.health;
  const metricsPath = metrics === null ? null : options.health.metrics;
  if (healthz === null && readyz === null && metricsPath === null) return null;
  // An origin-form target (`/…`) is the path up to `?`: one that starts with none of the
  // endpoints' paths is none of them, and `req.path` (split out of the target lazily, an
  // allocation) is not read for it.
  const endpoints = [healthz, readyz, metricsPath].filter((p) => p !== null);
  const mayBeEndpoint = (target: string): boolean => {
    if (target.charCodeAt(0) !== 47) return true;
    for (const p of endpoints) if (target.startsWith(p)) return true;
    return false;
  };
  return {
    handle(req, next) {
      const method = req.method;
      if ((method === 'GET' || method === 'HEAD') && mayBeEndpoint(req.target)) {
        const path = req.path;
        if (path === healthz) return plain(200, 'OK');
        if (path === readyz) return isReady() ? plain(200, 'OK') : plain(503, 'not ready');
        if (path === metricsPath && metrics !== null) return metrics.response();
      }
      return next(req);
    },
  };
}

/**
 * Adds `Strict-Transport-Security` to responses on TLS connections that do not set it.
 * RFC 6797 §7.2: the header is ignored over plain HTTP, so it is only sent over TLS.
 */
function hstsMiddleware(value: string): Middleware {
  const add = (res: Response): Response => {
    if (!res.headers.has('strict-transport-security')) {
      res.headers.set('strict-transport-security', value);
    }
    return res;
  };
  return {
    handle(req, next) {
      if (req.conn.tls === null) return next(req);
      const res = next(req);
      return res instanceof Promise ? res.then(add) : add(res);
    },
  };
}

/** Builds the request chain for one configuration; `port` is the bound port (Host check). */
export function buildPipeline(
  app: Handler,
  options: ResolvedOptions,
  isReady: () => boolean,
  metrics: Metrics | null,
  port: () => number,
): Handler {
  const chain: Middleware[] = [];
  if (options.tls !== null && options.hsts !== null) chain.push(hstsMiddleware(options.hsts));
  const hostCheck = hostCheckMiddleware(options.allowedHosts, options.host, port);
  if (hostCheck !== null) chain.push(hostCheck);
  if (metrics !== null) chain.push(metrics);
  const health = healthMiddleware(options, isReady, metrics);
  if (health !== null) chain.push(health);
  // Chained by hand, not by compose(): its check that `next` runs once allocates a closure
  // and a context per layer and request (issue #10). HSTS, the Host check, metrics and health
  // are the server's own and call `next` at most once, so each `next` is built here, once.
  let handler = app;
  for (let i = chain.length - 1; i >= 0; i--) {
    const middleware = chain[i]!;
    const inner = handler;
    handler = (req) => middleware.handle(req, inner);
  }
  // Before the Host check and the site: the CA asks with the domain as Host, over plain HTTP.
  return options.acme === null ? handler : withHttp01(handler, options.acme);
}

/**
 * The admin listener's handler: `/healthz`, `/readyz` and `/metrics` (when metrics are on);
 * anything else goes to `extra` (`admin.handler`), or is 404 without one.
 */
export function adminHandler(
  isReady: () => boolean,
  metrics: () => Metrics | null,
  extra: Handler | null = null,
): Handler {
  return (req) => {
    const builtIn = req.path === '/healthz' || req.path === '/readyz' || req.path === '/metrics';
    if (extra !== null && (!builtIn || (req.path === '/metrics' && metrics() === null))) {
      return extra(req);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const res = plain(405, 'method not allowed');
      res.headers.set('allow', 'GET, HEAD');
      return res;
    }
    switch (req.path) {
      case '/healthz':
        return plain(200, 'OK');
      case '/readyz':
        return isReady() ? plain(200, 'OK') : plain(503, 'not ready');
      case '/metrics': {
        const m = metrics();
        if (m !== null) return m.response();
        break;
      }
    }
    return plain(404, 'not found');
  };
}
