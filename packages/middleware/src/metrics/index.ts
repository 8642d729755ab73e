/**
 * Request metrics as a core `Middleware`, rendered in the Prometheus text exposition format
 * (version 0.0.4). Counters are plain numbers in this process; with cluster workers each
 * worker counts its own requests (a scrape sees the worker that answered it).
 *
 * What is measured:
 * - `rws_http_requests_total{status_class}`: responses by class (`1xx`…`5xx`), counted when
 *   the handler returns (a throw counts as the status the client gets, core's `errorStatus`).
 * - `rws_http_errors_total{kind}`: `handler` (a handler threw or rejected with a 5xx),
 *   `tls_handshake` (a TLS handshake failed, e.g. a missing client certificate under mTLS).
 * - `rws_http_active_connections` / `rws_http_connections_total`: accepted TCP connections
 *   of the main listener (open now / since start).
 * - `rws_http_request_duration_seconds`: histogram of the time from the request head to the
 *   handler's response (time to first byte; a streamed body's transfer is not included).
 * - `rws_http_request_bytes_total`: declared request body bytes (`Content-Length`).
 * - `rws_http_response_bytes_total`: response body bytes when the length is known up front
 *   (string or byte bodies, or a `Content-Length` header); streamed bodies are not counted.
 * - `rws_http_route_requests_total{route,status_class}` and
 *   `rws_http_route_request_duration_seconds{route}`: the same by the pattern of the route an
 *   @rws/router App matched (read after `next` returns, from `Symbol.for('rws.route')`), never
 *   the raw path; requests without one count under `route="(unmatched)"`. Rendered once a
 *   request carried a pattern, so servers without a router get no such lines.
 *
 * Collectors (`collectors` option, `setCollectors()`) add families of their own, e.g. a
 * reverse proxy's per-backend state: their text is validated and merged into one exposition
 * (each family's `# HELP`/`# TYPE` once, its samples together, no series twice). A collector
 * that throws, rejects or returns malformed text is left out of that scrape, counted as
 * `rws_http_errors_total{kind="metrics_collector"}` and reported to `onCollectorError`.
 */
// Imported, not the global: `globalThis.performance` is a lazy getter Node runs on every read.
import { performance } from 'node:perf_hooks';
import {
  errorStatus,
  type Handler,
  Headers,
  isPromise,
  type MaybePromise,
  type Middleware,
  parseContentLength,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { fieldValue } from '../internal/field-value.js';
import {
  type Family,
  mergeFamilies,
  parseExposition,
  renderFamilies,
} from '../internal/metrics/exposition.js';

/** Content type of the Prometheus text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Default histogram buckets in seconds (the Prometheus client defaults). */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * Returns extra metric families in the Prometheus text exposition format (`# HELP`, `# TYPE`
 * and sample lines), read on every scrape.
 */
export type MetricsCollector = () => string | Promise<string>;

/** Options of `createMetrics()`. */
export interface MetricsOptions {
  /** Upper bounds (seconds, ascending) of the duration histogram. */
  buckets?: readonly number[] | undefined;
  /** Extra families appended to every exposition (see `MetricsCollector`). Default none. */
  collectors?: readonly MetricsCollector[] | undefined;
  /**
   * Receives a collector's failure (`RWS_MIDDLEWARE_METRICS_COLLECTOR_FAILED`, the collector's
   * own error as `cause`). Default: a process warning.
   */
  onCollectorError?: ((err: RwsError) => void) | undefined;
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** The families `render()` writes; a collector may not add samples to them. */
const BUILT_IN = new Set([
  'rws_http_requests_total',
  'rws_http_errors_total',
  'rws_http_active_connections',
  'rws_http_connections_total',
  'rws_http_request_duration_seconds',
  'rws_http_request_bytes_total',
  'rws_http_response_bytes_total',
  'rws_http_route_requests_total',
  'rws_http_route_request_duration_seconds',
]);

/**
 * The route label of requests no route matched (404s, 405s, requests that never reach a
 * router): one fixed value, so scanners probing random paths add no series.
 */
export const UNMATCHED_ROUTE = '(unmatched)';
const UNMATCHED = UNMATCHED_ROUTE;

/** The key @rws/router's App records the matched route pattern under (its `ROUTE_PATTERN`). */
const ROUTE_PATTERN = Symbol.for('rws.route');

interface RouteStats {
  byClass: number[];
  bucketCounts: number[];
  sum: number;
  count: number;
}

/** A label value with `\\`, `"` and newlines escaped (text format 0.0.4). */
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** Collects request metrics; use as middleware and call `render()` for `/metrics`. */
export class Metrics implements Middleware {
  #byClass = [0, 0, 0, 0, 0];
  #errors = new Map<string, number>();
  #active = 0;
  #connections = 0;
  #buckets: readonly number[];
  #bucketCounts: number[];
  #durationSum = 0;
  #durationCount = 0;
  #requestBytes = 0;
  #responseBytes = 0;
  #collectors: readonly MetricsCollector[] = [];
  /** Per route pattern (`UNMATCHED` for requests no route matched). */
  #routes = new Map<string, RouteStats>();
  #lastRouteKey: string | null = null;
  #lastRoute: RouteStats | undefined = undefined;
  /** True once a request carried a route pattern: before that, no `rws_http_route_*` lines. */
  #hasRoutes = false;
  #onCollectorError: (err: RwsError) => void;

  constructor(options: MetricsOptions = {}) {
    this.setCollectors(options.collectors ?? []);
    const onCollectorError = options.onCollectorError ?? defaultOnCollectorError;
    if (typeof onCollectorError !== 'function') {
      throw new RwsError(
        ERROR_CODES.METRICS_INVALID_OPTIONS,
        'createMetrics: onCollectorError must be a function',
      );
    }
    this.#onCollectorError = onCollectorError;
    const buckets = options.buckets ?? DEFAULT_DURATION_BUCKETS;
    this.#buckets = [...buckets].sort((a, b) => a - b);
    this.#bucketCounts = new Array<number>(this.#buckets.length).fill(0);
    this.#errors.set('handler', 0);
    this.#errors.set('tls_handshake', 0);
  }

  /** Counts the request around `next`, keeping a synchronous handler synchronous. */
  handle(req: Request, next: Handler): MaybePromise<Response> {
    const start = performance.now();
    // Core's strict parser: `1e3` or `0x10` is no length (the transport rejected it anyway).
    // fieldValue: `get()` without lower-casing a literal that is lower case already.
    const length = parseContentLength(fieldValue(req.headers, 'content-length'));
    if (length > 0) this.#requestBytes += length;
    let result: MaybePromise<Response>;
    try {
      result = next(req);
    } catch (err) {
      this.#observeError(req, err, start);
      throw err;
    }
    if (result instanceof Promise) {
      // Counted by a reaction beside the caller's, on the handler's own promise, which is
      // returned as it is: returning the `.then`'s promise costs a promise resolved with the
      // response (a lookup of `then` on it) per request (issue #10). The reaction returns
      // nothing and never throws, so its own promise never rejects unhandled.
      void result.then(
        (res: Response) => this.#observeQuietly(req, res, start),
        (err: unknown) => this.#observeError(req, err, start),
      );
      return result;
    }
    if (isPromise(result)) {
      // Another thenable adopted (Promise.resolve looks up its constructor).
      return Promise.resolve(result).then(
        (res) => this.#observe(req, res, start),
        (err: unknown) => {
          this.#observeError(req, err, start);
          throw err;
        },
      );
    }
    return this.#observe(req, result, start);
  }

  /** A connection was accepted. */
  connectionOpened(): void {
    this.#active++;
    this.#connections++;
  }

  /** A connection closed. */
  connectionClosed(): void {
    if (this.#active > 0) this.#active--;
  }

  /** Counts an error of `kind` (`handler`, `tls_handshake`, or your own). */
  recordError(kind: string): void {
    this.#errors.set(kind, (this.#errors.get(kind) ?? 0) + 1);
  }

  /** Responses counted so far with a status in `statusClass` (`'2xx'`, …). */
  requestCount(statusClass: (typeof CLASSES)[number]): number {
    return this.#byClass[CLASSES.indexOf(statusClass)] ?? 0;
  }

  /**
   * Replaces the collectors (e.g. after a configuration reload changed the upstreams). Takes
   * effect on the next scrape.
   */
  setCollectors(collectors: readonly MetricsCollector[]): void {
    if (!Array.isArray(collectors) || collectors.some((c) => typeof c !== 'function')) {
      throw new RwsError(
        ERROR_CODES.METRICS_INVALID_OPTIONS,
        'createMetrics: collectors must be an array of functions',
      );
    }
    this.#collectors = [...collectors];
  }

  /**
   * The exposition of the built-in metrics and every collector's families, merged. Synchronous
   * when there are no collectors.
   */
  collect(): MaybePromise<string> {
    const collectors = this.#collectors;
    if (collectors.length === 0) return this.render();
    const texts = collectors.map((collector): Promise<unknown> => {
      try {
        return Promise.resolve(collector()).catch((err: unknown) => new CollectorFailure(err));
      } catch (err) {
        return Promise.resolve(new CollectorFailure(err));
      }
    });
    return Promise.all(texts).then((results) => this.#merge(results));
  }

  /** The Prometheus text exposition of the built-in metrics (collectors not included). */
  render(): string {
    const lines: string[] = [];
    lines.push('# HELP rws_http_requests_total HTTP responses by status class.');
    lines.push('# TYPE rws_http_requests_total counter');
    for (let i = 0; i < CLASSES.length; i++) {
      lines.push(`rws_http_requests_total{status_class="${CLASSES[i]}"} ${this.#byClass[i]}`);
    }
    lines.push('# HELP rws_http_errors_total Handler failures and TLS handshake failures.');
    lines.push('# TYPE rws_http_errors_total counter');
    for (const [kind, count] of this.#errors) {
      lines.push(`rws_http_errors_total{kind="${kind}"} ${count}`);
    }
    lines.push('# HELP rws_http_active_connections Open connections of the main listener.');
    lines.push('# TYPE rws_http_active_connections gauge');
    lines.push(`rws_http_active_connections ${this.#active}`);
    lines.push('# HELP rws_http_connections_total Connections accepted by the main listener.');
    lines.push('# TYPE rws_http_connections_total counter');
    lines.push(`rws_http_connections_total ${this.#connections}`);
    lines.push(
      '# HELP rws_http_request_duration_seconds Time from request head to handler response.',
    );
    lines.push('# TYPE rws_http_request_duration_seconds histogram');
    let cumulative = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      cumulative += this.#bucketCounts[i]!;
      lines.push(
        `rws_http_request_duration_seconds_bucket{le="${this.#buckets[i]}"} ${cumulative}`,
      );
    }
    lines.push(`rws_http_request_duration_seconds_bucket{le="+Inf"} ${this.#durationCount}`);
    lines.push(`rws_http_request_duration_seconds_sum ${this.#durationSum}`);
    lines.push(`rws_http_request_duration_seconds_count ${this.#durationCount}`);
    lines.push('# HELP rws_http_request_bytes_total Declared request body bytes.');
    lines.push('# TYPE rws_http_request_bytes_total counter');
    lines.push(`rws_http_request_bytes_total ${this.#requestBytes}`);
    lines.push('# HELP rws_http_response_bytes_total Response body bytes of known length.');
    lines.push('# TYPE rws_http_response_bytes_total counter');
    lines.push(`rws_http_response_bytes_total ${this.#responseBytes}`);
    this.#renderRoutes(lines);
    return `${lines.join('\n')}\n`;
  }

  /** A `GET /metrics` response with the current exposition, collectors included. */
  response(): MaybePromise<Response> {
    const make = (body: string): Response => ({
      status: 200,
      headers: new Headers([
        ['content-type', METRICS_CONTENT_TYPE],
        ['cache-control', 'no-store'],
      ]),
      body,
    });
    const body = this.collect();
    return typeof body === 'string' ? make(body) : body.then(make);
  }

  #merge(results: readonly unknown[]): string {
    const extra = new Map<string, Family>();
    for (let i = 0; i < results.length; i++) {
      const result = results[i];
      try {
        if (result instanceof CollectorFailure) throw result.error;
        if (typeof result !== 'string') {
          throw new Error(`returned ${result === null ? 'null' : typeof result}, not a string`);
        }
        const parsed = parseExposition(result);
        for (const f of parsed) {
          if (BUILT_IN.has(f.name)) throw new Error(`family ${f.name} is a built-in metric`);
        }
        mergeFamilies(extra, parsed);
      } catch (err) {
        this.recordError('metrics_collector');
        this.#onCollectorError(
          new RwsError(
            ERROR_CODES.METRICS_COLLECTOR_FAILED,
            `metrics collector ${i + 1} failed: ${err instanceof Error ? err.message : String(err)}`,
            { cause: err },
          ),
        );
      }
    }
    // Rendered after the collectors ran, so this scrape already counts their failures.
    const families = new Map<string, Family>();
    mergeFamilies(families, parseExposition(this.render()));
    mergeFamilies(families, [...extra.values()]);
    return renderFamilies(families.values());
  }

  #observe(req: Request, res: Response, start: number): Response {
    this.#count(req, res.status, start);
    const body = res.body;
    if (typeof body === 'string') this.#responseBytes += Buffer.byteLength(body);
    else if (body instanceof Uint8Array) this.#responseBytes += body.byteLength;
    else if (body !== null) {
      const length = parseContentLength(fieldValue(res.headers, 'content-length'));
      if (length > 0) this.#responseBytes += length;
    }
    return res;
  }

  /** `#observe` for a reaction beside the response's consumer: must not throw (see `handle`). */
  #observeQuietly(req: Request, res: Response, start: number): void {
    try {
      this.#observe(req, res, start);
    } catch {
      // Not a response (no `status` or `headers`): the transport answers it with an error.
    }
  }

  #observeError(req: Request, err: unknown, start: number): void {
    // The status the transport or App answers with, by core's one rule.
    const status = errorStatus(err);
    this.#count(req, status, start);
    if (status >= 500) this.recordError('handler');
  }

  #count(req: Request, status: number, start: number): void {
    const cls = Math.floor(status / 100) - 1;
    if (cls >= 0 && cls < 5) this.#byClass[cls]!++;
    const seconds = (performance.now() - start) / 1000;
    this.#durationSum += seconds;
    this.#durationCount++;
    const bucket = this.#bucketIndex(seconds);
    if (bucket < this.#buckets.length) this.#bucketCounts[bucket]!++;
    // The pattern the router recorded (a registered symbol: no import of @rws/router).
    const pattern = (req as unknown as Record<symbol, unknown>)[ROUTE_PATTERN];
    const isRouted = typeof pattern === 'string';
    if (isRouted) this.#hasRoutes = true;
    const key = isRouted ? pattern : UNMATCHED;
    // The route of the previous request first: a server's traffic repeats a few routes (a
    // gateway without a router counts every request under UNMATCHED), and a string compare
    // of the same string is cheaper than a Map lookup per request.
    let route = key === this.#lastRouteKey ? this.#lastRoute : this.#routes.get(key);
    if (route === undefined) {
      route = {
        byClass: [0, 0, 0, 0, 0],
        bucketCounts: new Array<number>(this.#buckets.length).fill(0),
        sum: 0,
        count: 0,
      };
      this.#routes.set(key, route);
    }
    this.#lastRouteKey = key;
    this.#lastRoute = route;
    if (cls >= 0 && cls < 5) route.byClass[cls]!++;
    route.sum += seconds;
    route.count++;
    if (bucket < this.#buckets.length) route.bucketCounts[bucket]!++;
  }

  /** Index of the first bucket `seconds` fits in (`length` when above all of them). */
  #bucketIndex(seconds: number): number {
    let i = 0;
    while (i < this.#buckets.length && seconds > this.#buckets[i]!) i++;
    return i;
  }

  /** `rws_http_route_*` lines, once any request matched a route (else nothing). */
  #renderRoutes(lines: string[]): void {
    if (!this.#hasRoutes) return;
    lines.push(
      '# HELP rws_http_route_requests_total HTTP responses by route pattern and status class.',
    );
    lines.push('# TYPE rws_http_route_requests_total counter');
    for (const [pattern, r] of this.#routes) {
      const route = escapeLabel(pattern);
      for (let i = 0; i < CLASSES.length; i++) {
        if (r.byClass[i] === 0) continue;
        lines.push(
          `rws_http_route_requests_total{route="${route}",status_class="${CLASSES[i]}"} ${r.byClass[i]}`,
        );
      }
    }
    lines.push(
      '# HELP rws_http_route_request_duration_seconds Time from request head to handler response, by route pattern.',
    );
    lines.push('# TYPE rws_http_route_request_duration_seconds histogram');
    for (const [pattern, r] of this.#routes) {
      const route = escapeLabel(pattern);
      let cumulative = 0;
      for (let i = 0; i < this.#buckets.length; i++) {
        cumulative += r.bucketCounts[i]!;
        lines.push(
          `rws_http_route_request_duration_seconds_bucket{route="${route}",le="${this.#buckets[i]}"} ${cumulative}`,
        );
      }
      lines.push(
        `rws_http_route_request_duration_seconds_bucket{route="${route}",le="+Inf"} ${r.count}`,
      );
      lines.push(`rws_http_route_request_duration_seconds_sum{route="${route}"} ${r.sum}`);
      lines.push(`rws_http_route_request_duration_seconds_count{route="${route}"} ${r.count}`);
    }
  }
}

/** A collector's throw or rejection, told apart from a value it returned. */
class CollectorFailure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

function defaultOnCollectorError(err: RwsError): void {
  process.emitWarning(err.message, 'RwsMetricsWarning');
}

/** Creates a `Metrics` collector. */
export function createMetrics(options?: MetricsOptions): Metrics {
  return new Metrics(options);
}
