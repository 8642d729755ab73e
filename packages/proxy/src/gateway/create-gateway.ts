/**
 * `createGateway()`: the config-driven gateway as a core handler and middleware. Routes are
 * tried in declaration order; the first match runs its middleware and action (proxy, static,
 * redirect, respond); unmatched requests go to `next` (or get 404). `reload()` builds a new
 * generation aside and swaps it in atomically.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { compose, type Handler, Headers, isPromise, type Request, type Response } from '@rws/core';
import type { RedisClientLike, SessionStore } from '@rws/middleware/session';
import type { KeyPath } from '../config/config-problem.js';
import { formatConfigProblem, keyPathName } from '../config/config-problem.js';
import type { GatewayConfig } from '../config/gateway-config.js';
import { type GatewayConfigProblem, parseGatewayConfig } from '../config/parse-gateway-config.js';
import { tomlLineOf } from '../config/toml-line.js';
import type { IngressTls } from '../discovery/kubernetes-ingress.js';
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import {
  buildRuntime,
  findRoute,
  orphanedUpstreams,
  type Runtime,
} from '../internal/gateway/build-runtime.js';
import {
  checkDiscoveryEnv,
  createDiscoveryWatches,
} from '../internal/gateway/discovery-watches.js';
import { startListeners } from '../internal/gateway/listeners.js';
import type { Upstream } from '../upstream.js';
import { GatewayConfigError } from './gateway-config-error.js';

/** What a gateway is built from: TOML text, an object of the TOML's shape, or a file. */
export type GatewaySource = string | Readonly<Record<string, unknown>> | { readonly path: string };

/** Options of `createGateway()`. */
export interface GatewayOptions {
  /** Where `token_env`/`secret_env` and `env://` references are read. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * A connected node-redis or ioredis client for `[session] store = "redis"` (sessions shared
   * by several gateway instances). The gateway never opens Redis connections itself.
   */
  redis?: RedisClientLike | undefined;
  /**
   * The store for `[session] store = "sql"`: `createSqlSessionStore({ db })` of
   * `@rws/middleware/session-sql` (an @rws/orm database; the caller owns and closes it).
   */
  sqlSessionStore?: SessionStore | undefined;
  /**
   * Base of relative paths (static roots, htpasswd and key files). Default: the config
   * file's directory for `{ path }`, else `process.cwd()`.
   */
  cwd?: string | undefined;
  /** Top-level keys owned by someone else (the CLI's), not reported as unknown. */
  ignoreKeys?: readonly string[] | undefined;
  /**
   * Bind the `[[tcp_proxy]]`/`[[udp_proxy]]`/`[[ws_proxy]]` listeners. Default true; false validates and
   * builds everything else (what `rws check` does).
   */
  startListeners?: boolean | undefined;
  /** Ignore every top-level key outside the gateway sections (a host validates them). */
  ignoreOtherKeys?: boolean | undefined;
  /** The file name used in problems for text sources. Default `rws.config.toml`. */
  file?: string | undefined;
  /**
   * A discovery source (`[upstream.discovery]`, `[kubernetes_ingress]`) failed or went away;
   * the last known backends and routes stay in force. `where` is `upstream <name>` or
   * `kubernetes_ingress`. Default: a warning on stderr.
   */
  onDiscoveryError?: ((error: Error, where: string) => void) | undefined;
  /**
   * The `[kubernetes_ingress]` TLS certificates changed (see `Gateway#certificates`): a
   * Secret rotated, or an Ingress with `spec.tls` came or went. A host serving them by SNI
   * reloads its TLS contexts here (`rws` calls @rws/server's `reloadCertificates()`).
   */
  onCertificatesChange?: (() => void) | undefined;
}

/** A bound L4 (`tcp`, `udp`) or WebSocket (`ws`) listener. */
export interface GatewayListenerInfo {
  readonly kind: 'tcp' | 'udp' | 'ws';
  readonly name: string | null;
  readonly host: string;
  readonly port: number;
}

/** The outcome of `reload()`. */
export interface GatewayReloadResult {
  /** True when the new configuration is now in force. */
  readonly isApplied: boolean;
  /** Why not, one problem each (empty when applied). */
  readonly problems: readonly GatewayConfigProblem[];
}

/** A running gateway. */
export interface Gateway {
  /** Serves every request: unmatched ones get 404. Usable with `serve()`. */
  readonly handler: Handler;
  /** The gateway as middleware: unmatched requests go to `next` (e.g. a static server). */
  handle(req: Request, next: Handler): Promise<Response>;
  /** The configuration in force. */
  readonly config: GatewayConfig;
  /** The bound `[[tcp_proxy]]`/`[[udp_proxy]]`/`[[ws_proxy]]` listeners, with their real ports. */
  readonly listeners: readonly GatewayListenerInfo[];
  /**
   * The `[[upstream]]`s in force by name: backend health, ejections and counters
   * (`backends`), Prometheus text (`metrics()`).
   */
  readonly upstreams: ReadonlyMap<string, Upstream>;
  /**
   * Builds `next` (default: the original source again, e.g. the file re-read) aside and swaps
   * it in atomically. Requests already running finish on the old generation; upstreams whose
   * backends are unchanged carry over with their connections and state. A bad configuration
   * changes nothing and is reported in the result.
   */
  reload(next?: GatewaySource): Promise<GatewayReloadResult>;
  /**
   * The certificates of `[kubernetes_ingress]` Ingresses' `spec.tls` (their Secrets, PEM, by
   * host), to be served by SNI; a removed or invalid Secret keeps its last good pair.
   */
  readonly certificates: readonly IngressTls[];
  /** Stops taking requests and closes upstream connections once in-flight requests finish. */
  close(): Promise<void>;
}

const RELOAD_PATH = '/admin/config/reload';

interface Loaded {
  readonly config: GatewayConfig | null;
  readonly problems: GatewayConfigProblem[];
  readonly text: string | null;
  readonly file: string | undefined;
  readonly cwd: string;
}

function isPathSource(s: GatewaySource): s is { readonly path: string } {
  return (
    typeof s === 'object' &&
    s !== null &&
    Object.keys(s).length === 1 &&
    typeof (s as { path?: unknown }).path === 'string'
  );
}

async function load(source: GatewaySource, options: GatewayOptions): Promise<Loaded> {
  if (isPathSource(source)) {
    const file = source.path;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      return {
        config: null,
        problems: [
          {
            code: GATEWAY_CONFIG_CODES.CONFIG_INVALID,
            source: 'file',
            file,
            key: '(file)',
            message: `cannot read: ${(err as Error).message}`,
          },
        ],
        text: null,
        file,
        cwd: options.cwd ?? dirname(resolve(file)),
      };
    }
    const r = parseGatewayConfig(text, {
      file,
      ignoreKeys: options.ignoreKeys,
      ignoreOtherKeys: options.ignoreOtherKeys,
    });
    return {
      config: r.config,
      problems: [...r.problems],
      text,
      file,
      cwd: options.cwd ?? dirname(resolve(file)),
    };
  }
  const text = typeof source === 'string' ? source : null;
  const file = text === null ? undefined : (options.file ?? 'rws.config.toml');
  const r = parseGatewayConfig(source as string | Record<string, unknown>, {
    file,
    ignoreKeys: options.ignoreKeys,
    ignoreOtherKeys: options.ignoreOtherKeys,
  });
  return {
    config: r.config,
    problems: [...r.problems],
    text,
    file,
    cwd: options.cwd ?? process.cwd(),
  };
}

/** Validates and builds; problems of both steps in one list. */
async function prepare(
  source: GatewaySource,
  options: GatewayOptions,
  previous: Runtime | null,
): Promise<{ runtime: Runtime | null; problems: GatewayConfigProblem[]; cwd: string }> {
  const loaded = await load(source, options);
  const cwd = loaded.cwd;
  if (loaded.config === null) return { runtime: null, problems: loaded.problems, cwd };
  const problems: GatewayConfigProblem[] = [];
  const problem = (path: KeyPath, message: string): void => {
    problems.push({
      code: GATEWAY_CONFIG_CODES.CONFIG_INVALID_VALUE,
      source: loaded.file === undefined ? 'config' : 'file',
      file: loaded.file,
      key: keyPathName(path),
      line: loaded.text === null ? undefined : tomlLineOf(loaded.text, path),
      message,
    });
  };
  checkDiscoveryEnv(loaded.config, options.env ?? process.env, problem);
  if (problems.length > 0) return { runtime: null, problems, cwd };
  const built = buildRuntime(
    loaded.config,
    {
      env: options.env ?? process.env,
      cwd: loaded.cwd,
      redis: options.redis,
      sqlSessionStore: options.sqlSessionStore,
    },
    previous,
    problem,
  );
  if (built === null) return { runtime: null, problems, cwd };
  if (options.startListeners !== false) {
    const listeners = await startListeners(
      loaded.config,
      previous?.listeners ?? [],
      problem,
      loaded.cwd,
    );
    if (listeners === null) {
      built.discard();
      return { runtime: null, problems, cwd };
    }
    built.listeners = listeners;
  }
  return { runtime: built, problems, cwd };
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

function plain(status: number, body: string, extra: Record<string, string> = {}): Response {
  return {
    status,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8', ...extra }),
    body,
  };
}

const notFound: Handler = () => plain(404, 'Not Found\n');

/**
 * Creates a gateway from a config. Throws `GatewayConfigError` (every problem, with key path
 * and line) before anything is started.
 *
 * @example
 * ```ts
 * // createGateway is this package's; serve() is @rws/server's (the composition layer above).
 *
 * const gateway = await createGateway({ path: 'rws.config.toml' });
 * await serve(gateway.handler, { port: 8080 });
 * process.on('SIGHUP', async () => {
 *   const r = await gateway.reload();
 *   if (!r.isApplied) console.error(r.problems);
 * });
 * ```
 */
export async function createGateway(
  source: GatewaySource,
  options: GatewayOptions = {},
): Promise<Gateway> {
  const first = await prepare(source, options, null);
  if (first.runtime === null) throw new GatewayConfigError(first.problems);
  let current: Runtime = first.runtime;
  let isClosed = false;
  const env = options.env ?? process.env;
  const discovery = createDiscoveryWatches(
    options.onDiscoveryError ??
      ((error, where) => {
        console.warn(`[rws] discovery (${where}): ${error.message}; keeping the last known list`);
      }),
    () => options.onCertificatesChange?.(),
  );
  const liveUpstreams = (rt: Runtime): Map<string, Upstream> =>
    new Map(rt.config.upstreams.map((u) => [u.name, rt.upstreams.get(u.name)!.upstream]));
  await discovery.sync(current.config, liveUpstreams(current), { env, cwd: first.cwd });
  // Reloads run one at a time so two of them never build from the same `previous`.
  let reloading: Promise<unknown> = Promise.resolve();

  /** Marks `old` retired; resolves once it drained and the upstreams `next` dropped closed. */
  const retire = (old: Runtime, next: Runtime | null): Promise<void> => {
    old.isRetired = true;
    const orphans = orphanedUpstreams(old, next);
    // Listeners the new generation dropped stop at once: they are not HTTP requests to drain.
    const keptListeners = new Set(next?.listeners ?? []);
    for (const l of old.listeners) if (!keptListeners.has(l)) void l.close();
    // A memory session store the next generation carried over stays open.
    const sessions =
      old.ownedSessionStore !== next?.ownedSessionStore ? old.ownedSessionStore : null;
    const closed = old.drained.then(async () => {
      await Promise.all([...orphans, ...old.stores].map((u) => u.close()));
      await sessions?.close?.();
    });
    if (old.inflight === 0) old.markDrained();
    return closed;
  };

  const reload = (next?: GatewaySource): Promise<GatewayReloadResult> => {
    const run = reloading.then(async (): Promise<GatewayReloadResult> => {
      if (isClosed) {
        return {
          isApplied: false,
          problems: [
            {
              code: GATEWAY_CONFIG_CODES.CONFIG_INVALID,
              source: 'config',
              key: '(gateway)',
              message: 'the gateway is closed',
            },
          ],
        };
      }
      const r = await prepare(next ?? source, options, current);
      if (r.runtime === null) return { isApplied: false, problems: r.problems };
      const old = current;
      r.runtime.commit();
      current = r.runtime;
      void retire(old, current);
      await discovery.sync(current.config, liveUpstreams(current), { env, cwd: r.cwd });
      return { isApplied: true, problems: [] };
    });
    reloading = run.catch(() => {});
    return run;
  };

  const admin = async (rt: Runtime, req: Request): Promise<Response> => {
    if (req.method !== 'POST') return plain(405, 'Method Not Allowed\n', { allow: 'POST' });
    const auth = req.headers.get('authorization') ?? '';
    const token = auth.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : '';
    if (!timingSafeEqual(sha256(token), sha256(rt.adminToken!))) {
      return plain(401, 'Unauthorized\n', { 'www-authenticate': 'Bearer realm="admin"' });
    }
    const r = await reload();
    const body = JSON.stringify({
      reloaded: r.isApplied,
      problems: r.problems.map(formatConfigProblem),
    });
    return {
      status: r.isApplied ? 200 : 422,
      headers: new Headers({ 'content-type': 'application/json' }),
      body,
    };
  };

  const select = (rt: Runtime, r: Request, next: Handler): ReturnType<Handler> => {
    // Inside the global middleware, so an [middleware] ip_filter guards the endpoint too.
    if (rt.adminToken !== null && r.path === RELOAD_PATH) return admin(rt, r);
    const route = findRoute(rt, r);
    // Ingress routes come after the [[route]]s, so the file can override a cluster's.
    return route === null ? discovery.handle(r, next) : route.handler(r);
  };

  // Not an async function: an `await` inside try/finally cost a generator, its promise and
  // two reactions per request (issue #10); the generation's own callbacks end the hold.
  const handle = (req: Request, next: Handler): Promise<Response> => {
    // One generation per request, from start to response head, whatever reloads happen.
    const rt = current;
    rt.inflight++;
    let res: ReturnType<Handler>;
    try {
      // Without global middleware (the usual case) no chain and no closure per request.
      res =
        rt.global.length === 0
          ? select(rt, req, next)
          : compose(rt.global, (r: Request) => select(rt, r, next))(req);
    } catch (err) {
      return Promise.reject(err).catch(rt.failed);
    }
    // A native promise is returned as it is, the hold ended by a reaction beside the caller's
    // (registered first, so it runs first): a `.then` whose promise is returned instead costs
    // a promise resolved with the response, and so a lookup of `then` on it, per request
    // (issue #10). `release` never throws, so the side promise never rejects unhandled.
    if (res instanceof Promise) {
      void res.then(rt.release, rt.release);
      return res;
    }
    // Any other thenable adopted (as `await` did).
    return isPromise(res)
      ? Promise.resolve(res).then(rt.settled, rt.failed)
      : Promise.resolve(rt.settled(res));
  };

  return {
    handler: (req) => handle(req, notFound),
    handle,
    get config() {
      return current.config;
    },
    get listeners() {
      return current.listeners.map(({ kind, name, host, port }) => ({ kind, name, host, port }));
    },
    get upstreams() {
      const out = new Map<string, Upstream>();
      for (const u of current.config.upstreams)
        out.set(u.name, current.upstreams.get(u.name)!.upstream);
      return out;
    },
    get certificates() {
      return discovery.certificates;
    },
    reload,
    async close() {
      if (isClosed) return;
      isClosed = true;
      await reloading;
      await discovery.close();
      await retire(current, null);
    },
  };
}
