/**
 * How the gateway uses the reverse proxy: one `Upstream` (`createUpstream`) per `[[upstream]]`
 * (and per inline backend address), shared by the routes that name it, and one
 * `reverseProxy` per proxy route.
 */
import { createHash } from 'node:crypto';
import type { Middleware } from '@rws/core';
import type { ClientTlsOptions } from '@rws/http1';
import type {
  GatewayBackend,
  GatewayHealthCheck,
  GatewayProxyAction,
  GatewayStrategy,
} from '../../config/gateway-config.js';
import { reverseProxy } from '../../reverse-proxy.js';
import { type BackendPicker, createUpstream, type Upstream } from '../../upstream.js';

/** An upstream and what it was built from, so a reload can tell whether to keep it. */
export interface GatewayUpstreamHandle {
  /** Backends and settings: equal keys mean the very same upstream. */
  readonly key: string;
  /** Name, strategy and health check: equal means `update()` can take new backends. */
  readonly settingsKey: string;
  readonly upstream: Upstream;
  close(): Promise<void>;
}

/** What an upstream is besides its backends. */
export interface UpstreamSettings {
  readonly name: string;
  readonly strategy: GatewayStrategy;
  readonly hashKey: string | null;
  readonly healthCheck: GatewayHealthCheck | null;
  /** TLS for https:// backends, files already read. */
  readonly tls: ClientTlsOptions | null;
}

export function settingsKey(s: UpstreamSettings): string {
  // Certificates by digest: a reload that re-reads changed PEM files builds a new upstream.
  const tls =
    s.tls === null ? null : createHash('sha256').update(JSON.stringify(s.tls)).digest('base64');
  return JSON.stringify([s.name, s.strategy, s.hashKey, s.healthCheck, tls]);
}

/** An upstream's identity: equal keys mean the same backends and settings (reusable on reload). */
export function upstreamKey(s: UpstreamSettings, backends: readonly GatewayBackend[]): string {
  return JSON.stringify([settingsKey(s), backends.map((b) => b.url)]);
}

export function createGatewayUpstream(
  s: UpstreamSettings,
  backends: readonly GatewayBackend[],
): GatewayUpstreamHandle {
  const { name, strategy, healthCheck } = s;
  const upstream = createUpstream({
    name,
    backends: backends.map((b) => b.url),
    strategy,
    ...(s.hashKey === null ? {} : { hashKey: s.hashKey }),
    ...(s.tls === null ? {} : { tls: s.tls }),
    ...(healthCheck === null
      ? {}
      : {
          healthCheck: {
            path: healthCheck.path,
            intervalMs: healthCheck.intervalMs,
            timeoutMs: healthCheck.timeoutMs,
            healthyThreshold: healthCheck.healthyThreshold,
            unhealthyThreshold: healthCheck.unhealthyThreshold,
          },
        }),
  });
  return {
    key: upstreamKey(s, backends),
    settingsKey: settingsKey(s),
    upstream,
    close: () => upstream.close(),
  };
}

/** A handle for the same upstream object with a new backend list (applied on commit). */
export function withBackends(
  handle: GatewayUpstreamHandle,
  s: UpstreamSettings,
  backends: readonly GatewayBackend[],
): GatewayUpstreamHandle {
  return { ...handle, key: upstreamKey(s, backends) };
}

/** The reverse proxy of a route; `picker` replaces the upstream's own choice (mcp affinity). */
export function createProxyRoute(
  handle: GatewayUpstreamHandle,
  action: Omit<GatewayProxyAction, 'type'>,
  picker: BackendPicker = handle.upstream,
): Middleware {
  return reverseProxy({
    upstream: picker,
    ...(action.stripPathPrefix === null ? {} : { stripPrefix: action.stripPathPrefix }),
    ...(action.addPathPrefix === null ? {} : { addPrefix: action.addPathPrefix }),
    preserveHost: action.preserveHost,
    forwarded: action.forwarded,
    trustedProxies: action.trustedProxies,
    clientHalfClose: action.clientHalfClose,
    timeouts: {
      connectMs: action.connectTimeoutMs,
      responseHeadersMs: action.readTimeoutMs,
      bodyIdleMs: action.readTimeoutMs,
    },
  });
}
