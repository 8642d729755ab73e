/**
 * What the gateway needs from the reverse proxy: a shared upstream per `[[upstream]]` and a
 * proxy middleware per route. Until the i10-proxy work (`createUpstream`/`reverseProxy`)
 * lands, this is a small stand-in on @rws/http1's keep-alive `Pool`: round robin, streamed
 * bodies, hop-by-hop headers stripped, `X-Forwarded-*`, 502/504. The gateway only talks to
 * this interface, so swapping the implementation touches this file alone.
 */
import {
  type Handler,
  Headers,
  isRwsError,
  type Middleware,
  type Request,
  type Response,
  withoutHopByHop,
} from '@rws/core';
import { createPool, type Pool } from '@rws/http1';
import type {
  GatewayBackend,
  GatewayHealthCheck,
  GatewayStrategy,
} from '../../config/gateway-config.js';

/** A named group of backends shared by the routes that name it. */
export interface GatewayUpstreamHandle {
  readonly key: string;
  pick(req: Request): { readonly backend: GatewayBackend; readonly pool: Pool } | null;
  close(): Promise<void>;
}

/** Options of one proxy route. */
export interface ProxyRouteOptions {
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly stripPathPrefix: string | null;
  readonly addPathPrefix: string | null;
  readonly preserveHost: boolean;
}

/** An upstream's identity: equal keys mean the same backends and settings (reusable on reload). */
export function upstreamKey(
  backends: readonly GatewayBackend[],
  strategy: GatewayStrategy,
  healthCheck: GatewayHealthCheck | null,
): string {
  return JSON.stringify([backends.map((b) => b.url), strategy, healthCheck]);
}

export function createGatewayUpstream(
  backends: readonly GatewayBackend[],
  strategy: GatewayStrategy,
  healthCheck: GatewayHealthCheck | null,
): GatewayUpstreamHandle {
  const members = backends.map((backend) => ({ backend, pool: createPool(backend.url) }));
  let next = 0;
  return {
    key: upstreamKey(backends, strategy, healthCheck),
    pick() {
      if (members.length === 0) return null;
      const m = members[next % members.length]!;
      next++;
      return m;
    },
    async close() {
      await Promise.all(members.map((m) => m.pool.close()));
    },
  };
}

function rewritePath(target: string, strip: string | null, add: string | null): string {
  let t = target;
  if (strip !== null) {
    const s = strip.endsWith('/') && strip.length > 1 ? strip.slice(0, -1) : strip;
    if (t === s || t.startsWith(`${s}/`) || t.startsWith(`${s}?`)) t = t.slice(s.length);
    if (!t.startsWith('/')) t = `/${t}`;
  }
  if (add !== null && add !== '/') t = (add.endsWith('/') ? add.slice(0, -1) : add) + t;
  return t;
}

function errorResponse(status: number, message: string): Response {
  return {
    status,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: `${message}\n`,
  };
}

export function createProxyRoute(
  upstream: GatewayUpstreamHandle,
  o: ProxyRouteOptions,
): Middleware {
  return {
    async handle(req: Request, _next: Handler): Promise<Response> {
      const member = upstream.pick(req);
      if (member === null) return errorResponse(502, 'Bad Gateway: no backend');
      const headers = withoutHopByHop(req.headers);
      const host = req.headers.get('host');
      const prior = req.headers.get('x-forwarded-for');
      headers.set(
        'x-forwarded-for',
        prior === null ? req.conn.remoteAddress : `${prior}, ${req.conn.remoteAddress}`,
      );
      headers.set('x-forwarded-proto', req.conn.tls === null ? 'http' : 'https');
      if (host !== null) headers.set('x-forwarded-host', host);
      headers.append('via', `${req.protocol === 'http/1.0' ? '1.0' : '1.1'} rws`);
      if (!o.preserveHost) {
        const b = member.backend;
        const isDefault =
          (b.protocol === 'http' && b.port === 80) || (b.protocol === 'https' && b.port === 443);
        const h = b.host.includes(':') ? `[${b.host}]` : b.host;
        headers.set('host', isDefault ? h : `${h}:${b.port}`);
      }
      try {
        const res = await member.pool.request({
          method: req.method,
          path: rewritePath(req.target, o.stripPathPrefix, o.addPathPrefix),
          headers,
          body: req.body.hasBody ? req.body : null,
          signal: req.signal,
          timeouts: {
            connectTimeoutMs: o.connectTimeoutMs,
            headersTimeoutMs: o.readTimeoutMs,
            bodyTimeoutMs: o.readTimeoutMs,
          },
        });
        return { status: res.status, headers: withoutHopByHop(res.headers), body: res.body };
      } catch (err) {
        if (isRwsError(err) && err.code.endsWith('_TIMEOUT'))
          return errorResponse(504, 'Gateway Timeout');
        return errorResponse(502, 'Bad Gateway');
      }
    },
  };
}
