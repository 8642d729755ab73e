import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import {
  compose,
  type Handler,
  Headers,
  isRwsError,
  type Middleware,
  type Request,
  type Response,
} from '@rws/core';
import type { ClientTlsOptions } from '@rws/http1';
import { createMemoryRateLimitStore, type RateLimitStore } from '@rws/middleware/rate-limit';
import type { RedisClientLike, SessionStore } from '@rws/middleware/session';
import { serveStatic } from '@rws/middleware/static';
import type { KeyPath } from '../../config/config-problem.js';
import type {
  GatewayAction,
  GatewayBackend,
  GatewayConfig,
  GatewayRoute,
  GatewayUpstreamTls,
} from '../../config/gateway-config.js';
import { grpcProxyAction } from '../../config/read-grpc-action.js';
import type { Upstream } from '../../upstream.js';
import { buildOidc, buildSession, type GatewayLogin } from './build-identity.js';
import { type BuildContext, buildMiddleware } from './build-middleware.js';
import type { RunningListener } from './listeners.js';
import { isCatchAll, isRouteMatch, normalizeRoutePath } from './match-route.js';
import { createMcpRoute } from './mcp-route.js';
import {
  createGatewayUpstream,
  createProxyRoute,
  type GatewayUpstreamHandle,
  settingsKey,
  type UpstreamSettings,
  upstreamKey,
  withBackends,
} from './proxy-binding.js';
import { createStorageRoute } from './storage-route.js';

interface CompiledRoute {
  readonly route: GatewayRoute;
  readonly handler: Handler;
  /** `isCatchAll(route.match)`, computed once per configuration. */
  readonly isCatchAll: boolean;
}

/** One generation of the gateway: everything a config builds. Swapped whole on reload. */
export interface Runtime {
  readonly config: GatewayConfig;
  readonly upstreams: ReadonlyMap<string, GatewayUpstreamHandle>;
  readonly routes: readonly CompiledRoute[];
  readonly global: readonly Middleware[];
  /** The admin reload token, or null when the endpoint is off. */
  readonly adminToken: string | null;
  /** Its bound `[[tcp_proxy]]`/`[[udp_proxy]]` listeners (set once they are bound). */
  listeners: readonly RunningListener[];
  /** Closes what this generation opened that `previous` does not own (a later step failed). */
  discard(): void;
  /** The rate-limit counters of this generation, by identity (see `BuildContext`). */
  readonly rateLimitStores: ReadonlyMap<string, RateLimitStore>;
  /** Stores this generation opened (bucket-backed static actions); closed once it drained. */
  readonly stores: readonly Closable[];
  /** The `[session]` store the gateway made (memory), passed on to the next generation. */
  readonly ownedSessionStore: SessionStore | null;
  /** Requests that started on this generation and have not returned their response head. */
  inflight: number;
  isRetired: boolean;
  /** Applies what reusing `previous`'s upstreams needs (new backend lists); call at the swap. */
  commit(): void;
  /** Resolves once retired and drained. */
  drained: Promise<void>;
  markDrained: () => void;
  /**
   * Ends one request's hold on this generation, passing its response head through: made once
   * per generation so a request adds no closure of its own (`.then(rt.settled, rt.failed)`).
   */
  readonly settled: (res: Response) => Response;
  /** As `settled`, for a handler that threw or rejected; rethrows `err`. */
  readonly failed: (err: unknown) => never;
  /** Ends one request's hold, whatever its outcome; returns nothing and never throws. */
  readonly release: () => void;
}

export interface RuntimeOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** For `[session] store = "redis"`. */
  readonly redis: RedisClientLike | undefined;
  /** For `[session] store = "sql"`. */
  readonly sqlSessionStore: SessionStore | undefined;
}

function respondWith(status: number, body: string, contentType: string): Handler {
  return () => ({ status, headers: new Headers({ 'content-type': contentType }), body });
}

/** What building a generation's actions needs beyond the middleware's context. */
interface ActionContext extends BuildContext {
  /** Stores opened by bucket-backed static actions; closed with their generation. */
  readonly stores: Closable[];
}

interface Closable {
  close(): Promise<void>;
}

function actionHandler(
  action: GatewayAction,
  path: KeyPath,
  ctx: ActionContext,
  upstreamFor: (
    action: Extract<GatewayAction, { type: 'proxy' | 'grpc' | 'mcp' }>,
  ) => GatewayUpstreamHandle,
): Handler | null {
  switch (action.type) {
    case 'respond':
      return respondWith(action.status, action.body, action.contentType);
    case 'redirect': {
      const { location, status } = action;
      return (req: Request): Response => ({
        status,
        headers: new Headers({ location: location.replaceAll('$path', req.target) }),
        body: null,
      });
    }
    case 'static': {
      if (action.storage !== null) {
        const route = createStorageRoute({ ...action, storage: action.storage }, path, ctx);
        if (route === null) return null;
        ctx.stores.push(route.storage);
        return route.handler;
      }
      let mw: Middleware;
      try {
        mw = serveStatic({
          root: ctx.resolvePath(action.root),
          index: action.index,
          directoryListing: action.directoryListing,
          fallthrough: false,
        });
      } catch (err) {
        if (!isRwsError(err)) throw err;
        ctx.problem([...path, 'root'], err.message);
        return null;
      }
      const notFound = respondWith(404, 'Not Found\n', 'text/plain; charset=utf-8');
      return (req) => mw.handle(req, notFound);
    }
    case 'mcp':
      return createMcpRoute(upstreamFor(action), action);
    case 'grpc':
    case 'proxy': {
      const settings = action.type === 'grpc' ? grpcProxyAction(action) : action;
      const mw = createProxyRoute(upstreamFor(action), settings);
      const unused = respondWith(502, 'Bad Gateway\n', 'text/plain; charset=utf-8');
      return (req) => mw.handle(req, unused);
    }
  }
}

/**
 * `[upstream.tls]` (or `[ws_proxy.tls]`) with its PEM files read; an unreadable file is a
 * problem at its key.
 */
export function readUpstreamTls(
  t: GatewayUpstreamTls,
  path: KeyPath,
  ctx: Pick<BuildContext, 'resolvePath' | 'problem'>,
): ClientTlsOptions {
  const read = (file: string | null, key: string): string | undefined => {
    if (file === null) return undefined;
    try {
      return readFileSync(ctx.resolvePath(file), 'utf8');
    } catch (err) {
      ctx.problem([...path, key], `cannot read ${file}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const out: ClientTlsOptions = { rejectUnauthorized: t.verify };
  const ca = read(t.caFile, 'ca_file');
  const cert = read(t.certFile, 'cert_file');
  const key = read(t.keyFile, 'key_file');
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if (t.serverName !== null) out.servername = t.serverName;
  return out;
}

/**
 * Builds a generation from a validated config. Upstreams whose backends and settings are
 * unchanged are taken from `previous` as they are, so their pools (and health state) live on.
 */
export function buildRuntime(
  config: GatewayConfig,
  options: RuntimeOptions,
  previous: Runtime | null,
  problem: (path: KeyPath, message: string) => void,
): Runtime | null {
  let hasProblem = false;
  const rateLimitStores = new Map<string, RateLimitStore>();
  const stores: Closable[] = [];
  let login: GatewayLogin | null = null;
  const ctx: ActionContext = {
    stores,
    redis: options.redis,
    sqlSessionStore: options.sqlSessionStore,
    get login() {
      return login;
    },
    rateLimitStore: (key) => {
      let store = rateLimitStores.get(key) ?? previous?.rateLimitStores.get(key);
      store ??= createMemoryRateLimitStore();
      rateLimitStores.set(key, store);
      return store;
    },
    env: options.env,
    resolvePath: (p) => (isAbsolute(p) ? p : resolve(options.cwd, p)),
    problem: (path, message) => {
      hasProblem = true;
      problem(path, message);
    },
  };
  // Reuse from `previous`: the same upstream object when nothing changed; the same object
  // with a new backend list (`update()`, applied only on commit) when only backends changed,
  // so unchanged backends keep their pools, health and counters.
  const prior = [...new Set(previous?.upstreams.values() ?? [])];
  const used = new Set<GatewayUpstreamHandle>();
  const pending: (() => void)[] = [];
  const upstreams = new Map<string, GatewayUpstreamHandle>();
  const take = (
    settings: UpstreamSettings,
    backends: readonly GatewayBackend[],
  ): GatewayUpstreamHandle => {
    const key = upstreamKey(settings, backends);
    const same = prior.find((u) => !used.has(u) && u.key === key);
    if (same !== undefined) {
      used.add(same);
      return same;
    }
    const similar = prior.find((u) => !used.has(u) && u.settingsKey === settingsKey(settings));
    if (similar !== undefined) {
      used.add(similar);
      pending.push(() => similar.upstream.update(backends.map((b) => b.url)));
      return withBackends(similar, settings, backends);
    }
    return createGatewayUpstream(settings, backends);
  };
  config.upstreams.forEach((u, i) => {
    const tls = u.tls === null ? null : readUpstreamTls(u.tls, ['upstream', i, 'tls'], ctx);
    upstreams.set(u.name, take({ ...u, tls }, u.backends));
  });
  // Inline `upstream = "host:port"` backends get one upstream per address, shared by routes.
  const upstreamFor = (
    action: Extract<GatewayAction, { type: 'proxy' | 'grpc' | 'mcp' }>,
  ): GatewayUpstreamHandle => {
    if (action.upstream !== null) return upstreams.get(action.upstream)!;
    const b = action.backend!;
    const key = `\u0000inline:${b.url}`;
    let u = upstreams.get(key);
    if (u === undefined) {
      u = take(
        { name: b.url, strategy: 'round_robin', hashKey: null, healthCheck: null, tls: null },
        [b],
      );
      upstreams.set(key, u);
    }
    return u;
  };
  // Sessions and the login run after [middleware] (so its ip_filter and rate_limit guard the
  // login routes too) and before every route, whose `auth = oidc` reads the login.
  const sessions =
    config.session === null
      ? null
      : buildSession(config.session, ctx, previous?.ownedSessionStore ?? null);
  login = config.oidc === null ? null : buildOidc(config.oidc, ctx);
  const global = [
    ...(config.middleware === null
      ? []
      : buildMiddleware(config.middleware, ['middleware'], ctx, '[middleware]')),
    ...(sessions === null ? [] : [sessions.middleware]),
    ...(login === null ? [] : [login.middleware]),
  ];
  const routes: CompiledRoute[] = [];
  for (const route of config.routes) {
    const path = ['route', route.index];
    const action = actionHandler(route.action, [...path, 'action'], ctx, upstreamFor);
    // A named route keeps its counters when routes are reordered; others go by position.
    const scope = route.name === null ? `route[${route.index}]` : `route:${route.name}`;
    const chain = buildMiddleware(route.middleware, [...path, 'middleware'], ctx, scope);
    if (action !== null) {
      routes.push({ route, handler: compose(chain, action), isCatchAll: isCatchAll(route.match) });
    }
  }
  let adminToken: string | null = null;
  if (config.admin.reload && config.admin.tokenEnv !== null) {
    const token = options.env[config.admin.tokenEnv];
    if (token === undefined || token === '') {
      ctx.problem(
        ['admin', 'token_env'],
        `environment variable ${config.admin.tokenEnv} is not set or empty (the reload endpoint is never open)`,
      );
    } else adminToken = token;
  }
  const ownedSessionStore = sessions?.isOwned === true ? sessions.store : null;
  const isNewStore =
    ownedSessionStore !== null && ownedSessionStore !== previous?.ownedSessionStore;
  if (hasProblem) {
    // Close what this attempt opened; reused upstreams still belong to `previous`.
    const owned = new Set([...(previous?.upstreams.values() ?? [])].map((u) => u.upstream));
    for (const u of upstreams.values()) if (!owned.has(u.upstream)) void u.close();
    for (const s of stores) void s.close();
    if (isNewStore) void ownedSessionStore.close?.();
    return null;
  }
  let markDrained!: () => void;
  const drained = new Promise<void>((r) => (markDrained = r));
  const release = (): void => {
    rt.inflight--;
    if (rt.isRetired && rt.inflight === 0) rt.markDrained();
  };
  const rt: Runtime = {
    config,
    upstreams,
    routes,
    global,
    adminToken,
    listeners: [],
    discard: () => {
      const owned = new Set([...(previous?.upstreams.values() ?? [])].map((u) => u.upstream));
      for (const u of upstreams.values()) if (!owned.has(u.upstream)) void u.close();
      for (const s of stores) void s.close();
      if (isNewStore) void ownedSessionStore.close?.();
    },
    stores,
    ownedSessionStore,
    rateLimitStores,
    commit: () => {
      for (const apply of pending.splice(0)) apply();
    },
    inflight: 0,
    isRetired: false,
    drained,
    markDrained,
    settled: (res) => {
      release();
      return res;
    },
    failed: (err) => {
      release();
      throw err;
    },
    release,
  };
  return rt;
}

/** Upstreams of `old` that `next` no longer uses: closed once `old` has drained. */
export function orphanedUpstreams(old: Runtime, next: Runtime | null): GatewayUpstreamHandle[] {
  const kept = new Set([...(next?.upstreams.values() ?? [])].map((u) => u.upstream));
  const seen = new Set<Upstream>();
  return [...old.upstreams.values()].filter((u) => {
    if (kept.has(u.upstream) || seen.has(u.upstream)) return false;
    seen.add(u.upstream);
    return true;
  });
}

/** Picks the first matching route, or null. */
export function findRoute(rt: Runtime, req: Request): CompiledRoute | null {
  // Normalising keeps a leading `/`, so a catch-all route before any other (a whole site
  // behind one upstream) matches without the path scans of normalizeRoutePath (issue #10).
  // An origin-form target (`/…`) has a path starting with `/` (the target up to `?`), so
  // then not even `req.path` is read: transports split it out of the target lazily.
  const isOriginForm = req.target.charCodeAt(0) === 47 || req.path.charCodeAt(0) === 47;
  let path: string | null = null;
  for (const r of rt.routes) {
    if (r.isCatchAll && isOriginForm) return r;
    path ??= normalizeRoutePath(req.path);
    if (isRouteMatch(r.route.match, req, path)) return r;
  }
  return null;
}
