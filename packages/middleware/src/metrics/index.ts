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
 */
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
} from '@rws/core';

/** Content type of the Prometheus text format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Default histogram buckets in seconds (the Prometheus client defaults). */
export const DEFAULT_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Options of `createMetrics()`. */
export interface MetricsOptions {
  /** Upper bounds (seconds, ascending) of the duration histogram. */
  buckets?: readonly number[] | undefined;
}

const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

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

  constructor(options: MetricsOptions = {}) {
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
    const length = parseContentLength(req.headers.get('content-length'));
    if (length > 0) this.#requestBytes += length;
    let result: MaybePromise<Response>;
    try {
      result = next(req);
    } catch (err) {
      this.#observeError(err, start);
      throw err;
    }
    if (isPromise(result)) {
      return Promise.resolve(result).then(
        (res) => this.#observe(res, start),
        (err: unknown) => {
          this.#observeError(err, start);
          throw err;
        },
      );
    }
    return this.#observe(result, start);
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

  /** The Prometheus text exposition of every metric. */
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
    return `${lines.join('\n')}\n`;
  }

  /** A `GET /metrics` response with the current exposition. */
  response(): Response {
    return {
      status: 200,
      headers: new Headers([
        ['content-type', METRICS_CONTENT_TYPE],
        ['cache-control', 'no-store'],
      ]),
      body: this.render(),
    };
  }

  #observe(res: Response, start: number): Response {
    this.#count(res.status, start);
    const body = res.body;
    if (typeof body === 'string') this.#responseBytes += Buffer.byteLength(body);
    else if (body instanceof Uint8Array) this.#responseBytes += body.byteLength;
    else if (body !== null) {
      const length = parseContentLength(res.headers.get('content-length'));
      if (length > 0) this.#responseBytes += length;
    }
    return res;
  }

  #observeError(err: unknown, start: number): void {
    // The status the transport or App answers with, by core's one rule.
    const status = errorStatus(err);
    this.#count(status, start);
    if (status >= 500) this.recordError('handler');
  }

  #count(status: number, start: number): void {
    const cls = Math.floor(status / 100) - 1;
    if (cls >= 0 && cls < 5) this.#byClass[cls]!++;
    const seconds = (performance.now() - start) / 1000;
    this.#durationSum += seconds;
    this.#durationCount++;
    for (let i = 0; i < this.#buckets.length; i++) {
      if (seconds <= this.#buckets[i]!) {
        this.#bucketCounts[i]!++;
        break;
      }
    }
  }
}

/** Creates a `Metrics` collector. */
export function createMetrics(options?: MetricsOptions): Metrics {
  return new Metrics(options);
}
