/**
 * `createIngressRouter()`: serves the routes an `IngressSource` yields. Each change builds a
 * new route table aside and swaps it in with one assignment, so a request runs wholly on the
 * table it started with; Services that stay keep their upstream (pools, health) and only get
 * `update()`d, and an upstream a change dropped closes once its last request finished.
 */
import type { Handler, Middleware, Request, Response } from '@rws/core';
import {
  type IngressRoute,
  type IngressSnapshot,
  type IngressSource,
  isIngressMatch,
} from './discovery/kubernetes-ingress.js';
import { type ReverseProxy, reverseProxy } from './reverse-proxy.js';
import { createUpstream, type Upstream } from './upstream.js';

/** Options of `createIngressRouter`. */
export interface IngressRouterOptions {
  /** Re-resolve this often besides watch events. Default 30000. */
  refreshMs?: number | undefined;
  /**
   * A failed resolution keeps the table in force and is reported here, as is a TLS Secret
   * that is missing or invalid (its last good certificate stays).
   */
  onError?: ((error: Error) => void) | undefined;
  /** Called after each applied change (routes and TLS entries now in force). */
  onUpdate?: ((snapshot: IngressSnapshot) => void) | undefined;
}

/** A running ingress router: middleware that passes unmatched requests to `next`. */
export interface IngressRouter extends Middleware {
  /** Resolves once the first resolution was applied (or failed). */
  readonly ready: Promise<void>;
  /** The snapshot in force (empty before the first success). */
  readonly snapshot: IngressSnapshot;
  refresh(): Promise<void>;
  close(): Promise<void>;
}

interface Service {
  readonly upstream: Upstream;
  readonly proxy: ReverseProxy;
  inflight: number;
  isDropped: boolean;
}

/** A dropped Service's upstream lives this long after its last request head, for bodies. */
const DRAIN_MS = 30_000;

/**
 * Serves the routes of `source`, swapping them in atomically on every change.
 *
 * @example
 * ```ts
 * import { createIngressRouter, kubernetesIngressSource } from '@rws/proxy';
 * const router = createIngressRouter(kubernetesIngressSource({ ingressClass: 'rws' }));
 * await router.ready;
 * // router.handle(req, next) is middleware: unmatched requests go to next.
 * ```
 */
export function createIngressRouter(
  source: IngressSource,
  options: IngressRouterOptions = {},
): IngressRouter {
  const onError = options.onError ?? (() => {});
  let snapshot: IngressSnapshot = { routes: [], tls: [] };
  let table: { route: IngressRoute; service: Service }[] = [];
  let services = new Map<string, Service>();
  let lastKey = '';
  let isClosed = false;
  let running: Promise<void> | null = null;
  const controller = new AbortController();

  const release = (s: Service): void => {
    if (!s.isDropped || s.inflight !== 0) return;
    setTimeout(() => {
      if (s.inflight === 0) void s.proxy.close().then(() => s.upstream.close());
    }, DRAIN_MS).unref();
  };

  const apply = (next: IngressSnapshot): void => {
    const kept = new Map<string, Service>();
    const nextTable: typeof table = [];
    for (const route of next.routes) {
      let s = kept.get(route.service);
      if (s === undefined) {
        s = services.get(route.service);
        if (s === undefined) {
          const upstream = createUpstream({ name: route.service, backends: [...route.backends] });
          s = { upstream, proxy: reverseProxy({ upstream }), inflight: 0, isDropped: false };
        } else s.upstream.update([...route.backends]);
        kept.set(route.service, s);
      }
      nextTable.push({ route, service: s });
    }
    const old = services;
    services = kept;
    table = nextTable;
    snapshot = next;
    for (const [key, s] of old) {
      if (kept.has(key)) continue;
      s.isDropped = true;
      release(s);
    }
    options.onUpdate?.(next);
  };

  const run = async (): Promise<void> => {
    try {
      const next = await source.resolve({ signal: controller.signal, onWarning: onError });
      if (isClosed) return;
      // TLS entries are compared too, so a renewed certificate is applied.
      const key = JSON.stringify(next);
      if (key === lastKey) return;
      apply(next);
      lastKey = key;
    } catch (err) {
      if (!isClosed) onError(err instanceof Error ? err : new Error(String(err)));
    }
  };
  const refresh = (): Promise<void> => {
    running ??= run().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => void refresh(), options.refreshMs ?? 30_000);
  timer.unref();
  const unwatch = source.watch(() => void refresh(), onError);

  const handle = async (req: Request, next: Handler): Promise<Response> => {
    const host = (req.headers.get('host') ?? '').replace(/:\d+$/, '').toLowerCase();
    const hit = table.find((e) => isIngressMatch(e.route, host, req.path));
    if (hit === undefined) return next(req);
    const s = hit.service;
    s.inflight++;
    try {
      return await s.proxy.handle(req, next);
    } finally {
      s.inflight--;
      release(s);
    }
  };

  return {
    ready: refresh(),
    get snapshot() {
      return snapshot;
    },
    refresh,
    handle,
    async close() {
      isClosed = true;
      clearInterval(timer);
      unwatch();
      controller.abort();
      await Promise.all(
        [...services.values()].map((s) => s.proxy.close().then(() => s.upstream.close())),
      );
    },
  };
}
