/**
 * An upstream: a named set of backends with a load-balancing strategy, active health checks,
 * passive outlier detection and a circuit breaker per backend. Each backend owns one
 * keep-alive `Pool`, shared by every route that proxies to this upstream.
 */
import { parseCookies, type Request } from '@rws/core';
import { type ClientResponse, Http2Client, type Http2RequestInit } from '@rws/h2';
import { type ClientTlsOptions, Pool } from '@rws/http1';
import type { CircuitBreakerOptions, CircuitState } from './circuit-breaker.js';
import { BackendBreaker } from './internal/backend-breaker.js';
import {
  BackendState,
  backendKey,
  httpOrigin,
  isH2Url,
  isH3Url,
  isUsable,
  notExcluded,
  parseBackend,
  usableBackends,
} from './internal/backend-state.js';
import { smoothWeighted, weightedRandom } from './internal/balancing.js';
import { Http3Origins } from './internal/h3-origins.js';
import { HashRing } from './internal/hash-ring.js';
import { probeBackend } from './internal/health-probe.js';
import { invalidOption } from './internal/proxy-error.js';
import { upstreamMetrics } from './internal/upstream-metrics.js';

/** Every load-balancing strategy (`least_conn` is an alias of `least_connections`). */
export const STRATEGIES: readonly string[] = [
  'round_robin',
  'weighted_round_robin',
  'least_connections',
  'least_conn',
  'random',
  'power_of_two',
  'ip_hash',
  'uri_hash',
  'header_hash',
  'cookie_hash',
  'first',
];

/** How an upstream picks a backend. */
export type Strategy =
  | 'round_robin'
  | 'weighted_round_robin'
  | 'least_connections'
  | 'least_conn'
  | 'random'
  | 'power_of_two'
  | 'ip_hash'
  | 'uri_hash'
  | 'header_hash'
  | 'cookie_hash'
  | 'first';

/**
 * One backend: its URL and weight. `http:`/`https:` backends speak HTTP/1.1 through a pool;
 * `h2:`/`grpc:` (h2c, prior knowledge) and `h2s:`/`grpcs:` (TLS, ALPN h2) speak HTTP/2
 * through the upstream's `Http2Client`, one multiplexed session per backend; `h3:` speaks
 * HTTP/3 (QUIC, ALPN h3) through @rws/h3's client, one connection per backend.
 */
export interface BackendOptions {
  url: string;
  /** Relative share of traffic for weighted strategies and hash rings. Default 1. */
  weight?: number | undefined;
}

/** Active health checks: a `GET path` to every backend each `intervalMs`. */
export interface HealthCheckOptions {
  /** Default `/health`. */
  path?: string | undefined;
  /** Default 10000. */
  intervalMs?: number | undefined;
  /** Connect + response head deadline of one probe. Default 2000. */
  timeoutMs?: number | undefined;
  /** A status, or an inclusive `[min, max]` range. Default `[200, 299]`. */
  expectedStatus?: number | readonly [number, number] | undefined;
  /** Consecutive passing probes that bring a backend back. Default 2. */
  healthyThreshold?: number | undefined;
  /** Consecutive failing probes that take a backend out. Default 3. */
  unhealthyThreshold?: number | undefined;
  /** Host header of the probes. Default: the backend's host. */
  host?: string | undefined;
}

/** Passive outlier detection: backends failing real requests are ejected for a while. */
export interface OutlierDetectionOptions {
  /** Consecutive failures (5xx, connect errors, timeouts) that eject a backend. Default 5. */
  consecutiveFailures?: number | undefined;
  /** First ejection period; doubles with each further ejection. Default 30000. */
  baseEjectionMs?: number | undefined;
  /** Longest ejection period. Default 300000. */
  maxEjectionMs?: number | undefined;
  /** At most this share of the backends is ejected at once (at least one). Default 50. */
  maxEjectionPercent?: number | undefined;
}

/** Options of `createUpstream`. */
export interface UpstreamOptions {
  name: string;
  backends: ReadonlyArray<string | BackendOptions>;
  /** Default `round_robin`. */
  strategy?: Strategy | undefined;
  /** The header name (`header_hash`) or cookie name (`cookie_hash`) to hash. */
  hashKey?: string | undefined;
  healthCheck?: HealthCheckOptions | undefined;
  /** Default: on with its defaults. `false` turns it off. */
  outlierDetection?: OutlierDetectionOptions | false | undefined;
  /** Off unless given. */
  circuitBreaker?: CircuitBreakerOptions | undefined;
  /**
   * When no backend is available, pick among all of them anyway (fail open) instead of
   * answering 503. Default false.
   */
  failOpen?: boolean | undefined;
  /**
   * TLS for `https:`, `h2s:`, `grpcs:` and `h3:` backends (verification on unless
   * `rejectUnauthorized: false`; HTTP/2 and HTTP/3 backends use `ca` and `rejectUnauthorized`
   * only).
   */
  tls?: ClientTlsOptions | undefined;
  /** Most sockets per backend. Default 128. */
  maxSocketsPerBackend?: number | undefined;
  /** Close idle backend sockets after this long. Default 4000. */
  idleTimeoutMs?: number | undefined;
}

/** A snapshot of one backend's state and counters. */
export interface BackendSnapshot {
  readonly url: string;
  readonly weight: number;
  /** False while active health checks say it is down. */
  readonly healthy: boolean;
  /** True while outlier detection keeps it out. */
  readonly ejected: boolean;
  readonly circuit: CircuitState;
  readonly activeRequests: number;
  readonly requests: number;
  /** Requests that failed (connect error, timeout, reset, 5xx). */
  readonly failures: number;
  readonly ejections: number;
  readonly healthChecksFailed: number;
}

/** A backend as the reverse proxy uses it: its pool and its outcome callbacks. */
export interface Backend {
  readonly url: string;
  /** `http://host:port`. */
  readonly origin: string;
  readonly pool: Pool;
  /**
   * `h2` for `h2:`, `h2s:`, `grpc:` and `grpcs:` backends (requests go through `h2`), `h3` for
   * `h3:` backends (requests go through `h3`).
   */
  readonly protocol: 'http1' | 'h2' | 'h3';
  /** The upstream's HTTP/2 client (one session per origin) for `h2` backends, else null. */
  readonly h2: Http2Client | null;
  /** The upstream's HTTP/3 client (one connection per origin) for `h3` backends, else null. */
  readonly h3: {
    request(url: string, init?: Http2RequestInit): Promise<ClientResponse>;
  } | null;
  /** Marks a request as sent to this backend. */
  begin(): void;
  /** Reports how a request begun with `begin()` ended. */
  end(outcome: 'success' | 'failure' | 'neutral'): void;
}

/** Something that picks a backend for a request: an upstream or a traffic split. */
export interface BackendPicker {
  /** A backend for `req`, skipping the URLs in `exclude` (tried already), or null. */
  pick(req: Request, exclude?: ReadonlySet<string>): Backend | null;
}

/** An upstream created by `createUpstream`. */
export interface Upstream extends BackendPicker {
  readonly name: string;
  readonly strategy: Strategy;
  /** A snapshot of every backend. */
  readonly backends: readonly BackendSnapshot[];
  /**
   * Replaces the backend list (service discovery, reload). Backends whose URL stays keep their
   * pool, health and counters; removed ones finish their requests, then close.
   */
  update(backends: ReadonlyArray<string | BackendOptions>): void;
  /** The per-backend state and counters in Prometheus text format. */
  metrics(): string;
  /** Stops health checks and closes every pool gracefully. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

class UpstreamImpl implements Upstream {
  readonly name: string;
  readonly strategy: Strategy;
  #options: UpstreamOptions;
  #list: BackendState[] = [];
  #rr = 0;
  #ring: HashRing<BackendState> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #isClosed = false;
  #retired = new Set<Promise<void>>();
  /** Created with the first HTTP/2 backend; pools one session per backend origin. */
  #h2: Http2Client | null = null;
  /** Created with the first HTTP/3 backend; one QUIC connection per backend origin. */
  #h3: Http3Origins | null = null;
  #outlier: {
    consecutiveFailures: number;
    baseEjectionMs: number;
    maxEjectionMs: number;
    maxEjectionPercent: number;
  } | null;

  constructor(options: UpstreamOptions) {
    if (typeof options?.name !== 'string' || options.name.length === 0) {
      throw invalidOption('name', options?.name, 'a non-empty string');
    }
    this.name = options.name;
    const strategy = options.strategy ?? 'round_robin';
    if (!STRATEGIES.includes(strategy)) {
      throw invalidOption('strategy', strategy, `one of ${STRATEGIES.join(', ')}`);
    }
    this.strategy = strategy === 'least_conn' ? 'least_connections' : strategy;
    if ((strategy === 'header_hash' || strategy === 'cookie_hash') && !options.hashKey) {
      throw invalidOption('hashKey', options.hashKey, `a header or cookie name for ${strategy}`);
    }
    this.#options = options;
    const o = options.outlierDetection;
    this.#outlier =
      o === false
        ? null
        : {
            consecutiveFailures: o?.consecutiveFailures ?? 5,
            baseEjectionMs: o?.baseEjectionMs ?? 30_000,
            maxEjectionMs: o?.maxEjectionMs ?? 300_000,
            maxEjectionPercent: o?.maxEjectionPercent ?? 50,
          };
    this.update(options.backends);
    const hc = options.healthCheck;
    if (hc !== undefined) {
      const interval = hc.intervalMs ?? 10_000;
      if (!(interval > 0))
        throw invalidOption('healthCheck.intervalMs', interval, 'a positive number');
      this.#timer = setInterval(() => this.#probeAll(), interval);
      this.#timer.unref();
      queueMicrotask(() => this.#probeAll());
    }
  }

  get backends(): readonly BackendSnapshot[] {
    const now = Date.now();
    return this.#list.map((b) => b.snapshot(now));
  }

  update(entries: ReadonlyArray<string | BackendOptions>): void {
    if (!Array.isArray(entries)) throw invalidOption('backends', entries, 'an array of URLs');
    const parsed = entries.map(parseBackend);
    const old = new Map(this.#list.map((b) => [b.url, b]));
    const next: BackendState[] = [];
    for (const { url, weight } of parsed) {
      const key = backendKey(url);
      const kept = old.get(key);
      if (kept !== undefined) {
        old.delete(key);
        kept.weight = weight;
        if (!next.includes(kept)) next.push(kept);
        continue;
      }
      if (next.some((b) => b.url === key)) continue;
      // HTTP/2 backends keep an (unused, socket-less) pool so `Backend.pool` stays defined.
      const pool = new Pool(new URL(httpOrigin(url)), {
        maxSockets: this.#options.maxSocketsPerBackend ?? 128,
        idleTimeoutMs: this.#options.idleTimeoutMs ?? 4000,
        tls: this.#options.tls,
      });
      const breaker =
        this.#options.circuitBreaker === undefined
          ? null
          : new BackendBreaker(`${this.name}:${key}`, this.#options.circuitBreaker);
      next.push(
        new BackendState(
          this,
          url,
          weight,
          pool,
          breaker,
          isH2Url(url) ? this.#http2() : null,
          isH3Url(url) ? this.#http3() : null,
        ),
      );
    }
    for (const gone of old.values()) this.#retire(gone);
    for (const b of next) b.currentWeight = 0;
    this.#list = next;
    this.#ring = null;
  }

  #http2(): Http2Client {
    this.#h2 ??= new Http2Client(this.#multiplexedTls());
    return this.#h2;
  }

  #http3(): Http3Origins {
    this.#h3 ??= new Http3Origins(this.#multiplexedTls());
    return this.#h3;
  }

  /** What the HTTP/2 and HTTP/3 clients take of the upstream's TLS options. */
  #multiplexedTls(): { ca: string | undefined; rejectUnauthorized: boolean } {
    const tls = this.#options.tls;
    const ca = Array.isArray(tls?.ca) ? tls.ca.map((c) => c.toString()).join('\n') : tls?.ca;
    return { ca: ca?.toString(), rejectUnauthorized: tls?.rejectUnauthorized ?? true };
  }

  pick(req: Request, exclude?: ReadonlySet<string>): Backend | null {
    if (this.#isClosed) return null;
    const list = this.#list;
    // The clock is read only when a backend's ejection or open circuit needs it: a Date.now()
    // per pick cost ~210 instructions. 0 stands for "not read": only backends whose
    // availability does not depend on the time (`needsClock` false) are asked with it, and
    // any time gives them the same answer (a negative one would read as before a closed
    // circuit's `openUntil` of 0, i.e. open).
    let now = 0;
    // Usually every backend is usable: then the list itself is the candidates, no copy.
    let candidates = list;
    for (let i = 0; i < list.length; i++) {
      const b = list[i]!;
      if (now === 0 && b.needsClock) now = Date.now();
      if (!isUsable(b, exclude, now)) {
        if (now === 0) now = Date.now();
        candidates = usableBackends(list, exclude, now);
        break;
      }
    }
    if (candidates.length === 0) {
      if (this.#options.failOpen !== true) return null;
      candidates = notExcluded(list, exclude);
      if (candidates.length === 0) return null;
    }
    switch (this.strategy) {
      case 'first':
        return candidates[0]!;
      case 'random':
        return weightedRandom(candidates);
      case 'power_of_two': {
        if (candidates.length === 1) return candidates[0]!;
        const i = Math.floor(Math.random() * candidates.length);
        let j = Math.floor(Math.random() * (candidates.length - 1));
        if (j >= i) j++;
        const a = candidates[i]!;
        const b = candidates[j]!;
        return a.active / a.weight <= b.active / b.weight ? a : b;
      }
      case 'least_connections': {
        // Fewest in-flight requests per unit of weight; ties rotate so idle backends share.
        const start = this.#rr++ % candidates.length;
        let best = candidates[start]!;
        for (let k = 1; k < candidates.length; k++) {
          const b = candidates[(start + k) % candidates.length]!;
          if (b.active / b.weight < best.active / best.weight) best = b;
        }
        return best;
      }
      case 'weighted_round_robin':
        return smoothWeighted(candidates);
      case 'ip_hash':
      case 'uri_hash':
      case 'header_hash':
      case 'cookie_hash': {
        const key = this.#hashKey(req);
        if (key === null) break;
        return this.#hashPick(key, candidates);
      }
    }
    return candidates[this.#rr++ % candidates.length]!;
  }

  /**
   * The consistent-hash choice for `key`. A method of its own: the callbacks made here,
   * inside `pick`, would make every pick (any strategy) allocate a context for them.
   */
  #hashPick(key: string, candidates: readonly BackendState[]): BackendState | null {
    this.#ring ??= new HashRing(this.#list.map((b) => ({ id: b.url, weight: b.weight, value: b })));
    const all = candidates.length === this.#list.length;
    return this.#ring.lookup(key, (b: BackendState) => all || candidates.includes(b));
  }

  #hashKey(req: Request): string | null {
    switch (this.strategy) {
      case 'ip_hash':
        return req.conn.remoteAddress;
      case 'uri_hash':
        return req.search === '' ? req.path : `${req.path}?${req.search}`;
      case 'header_hash':
        return req.headers.get(this.#options.hashKey!);
      case 'cookie_hash': {
        const cookie = req.headers.get('cookie');
        if (cookie === null) return null;
        return parseCookies(cookie)[this.#options.hashKey!] ?? null;
      }
      default:
        return null;
    }
  }

  /** @internal A request to `b` failed: maybe eject it. */
  onFailure(b: BackendState): void {
    const o = this.#outlier;
    if (o === null || b.consecutiveFailures < o.consecutiveFailures) return;
    const now = Date.now();
    if (b.isEjected(now)) return;
    const ejected = this.#list.filter((x) => x.isEjected(now)).length;
    const allowed = Math.max(1, Math.floor((this.#list.length * o.maxEjectionPercent) / 100));
    if (ejected >= allowed) return;
    b.ejections++;
    const period = Math.min(o.maxEjectionMs, o.baseEjectionMs * 2 ** (b.ejections - 1));
    b.ejectedUntil = now + period;
    b.consecutiveFailures = 0;
  }

  #probeAll(): void {
    if (this.#isClosed) return;
    for (const b of this.#list) void probeBackend(b, this.#options.healthCheck!);
  }

  #retire(b: BackendState): void {
    b.breaker?.close();
    const done = b.pool.close().then(() => {
      this.#retired.delete(done);
    });
    this.#retired.add(done);
  }

  metrics(): string {
    return upstreamMetrics(this.name, this.#list);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const b of this.#list) this.#retire(b);
    this.#list = [];
    await Promise.all([...this.#retired, this.#h2?.close(), this.#h3?.close()]);
  }
}

/**
 * Creates an upstream.
 *
 * @example
 * ```ts
 * import { createUpstream } from '@rws/proxy';
 * const api = createUpstream({
 *   name: 'api',
 *   backends: ['http://127.0.0.1:3001', { url: 'http://127.0.0.1:3002', weight: 2 }],
 *   strategy: 'weighted_round_robin',
 *   healthCheck: { path: '/healthz', intervalMs: 5000 },
 * });
 * ```
 */
export function createUpstream(options: UpstreamOptions): Upstream {
  return new UpstreamImpl(options);
}
