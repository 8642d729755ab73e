/**
 * A keep-alive connection pool for one origin: at most `maxSockets` sockets, idle ones reused
 * most-recently-used first, requests queued (up to `maxQueue`) while every socket is busy.
 */
import type { AbortSignalLike, BodyOptions, HeadersInit, RwsError, TrailersInit } from '@rws/core';
import { ClientConnection, type ConnectionOwner } from './internal/client-connection.js';
import { CLIENT_ERROR_CODES, clientError } from './internal/client-errors.js';
import type { ClientResponse, InformationalResponse } from './internal/client-response.js';
import { type ClientTlsOptions, connectSocket } from './internal/connect-socket.js';
import { type ExchangeOptions, type ExchangeSink, kRetry } from './internal/exchange.js';
import {
  type PreparedRequest,
  prepareRequest,
  type RequestBodyInit,
} from './internal/request-writer.js';

export type { ClientResponse, InformationalResponse } from './internal/client-response.js';
export type { ClientTlsOptions } from './internal/connect-socket.js';
export type { RequestBodyInit } from './internal/request-writer.js';

/** Per-request timeouts; each overrides the pool's option of the same name. */
export interface RequestTimeouts {
  /** Connect + TLS handshake of a socket opened for this request. */
  connectTimeoutMs?: number | undefined;
  /** From the request being sent until the response head has arrived. */
  headersTimeoutMs?: number | undefined;
  /** Longest silence between response body bytes while the body is being read. */
  bodyTimeoutMs?: number | undefined;
}

/** A request sent through a `Pool` (the origin is the pool's). */
export interface PoolRequestOptions {
  /** Default `GET`. */
  method?: string | undefined;
  /** Origin-form target with query, e.g. `/a?b=1`. Default `/`. */
  path?: string | undefined;
  headers?: HeadersInit | null | undefined;
  /** Sent with Content-Length when its length is known, chunked otherwise. */
  body?: RequestBodyInit | undefined;
  /**
   * Aborts the request in any phase: queued, connecting, waiting for the head, streaming. An
   * `AbortSignal`, or any `AbortSignalLike` (a proxy passes the client request's light view).
   */
  signal?: AbortSignalLike | undefined;
  timeouts?: RequestTimeouts | undefined;
  /** Called for each 1xx interim response (100 Continue, 103 Early Hints). */
  onInformational?: ((info: InformationalResponse) => void) | undefined;
  /** Send `Expect: 100-continue` and hold the body until `100 Continue` (or 1 s). */
  expectContinue?: boolean | undefined;
  /**
   * Trailer fields sent after the body: a `Headers`, or a function called once the last body
   * byte is written (a digest of a streamed body). The body is then always chunked
   * (RFC 9112 §7.1.2); fields known up front are announced with `Trailer`.
   */
  trailers?: TrailersInit | undefined;
}

/** Options of a `Pool`. */
export interface PoolOptions {
  /** Most sockets open at once to the origin. Default 10. */
  maxSockets?: number | undefined;
  /** Most idle sockets kept; extra ones are closed. Default `maxSockets`. */
  maxIdle?: number | undefined;
  /** Close a socket idle this long. Default 4000 (shorter than common server timeouts). */
  idleTimeoutMs?: number | undefined;
  /** Most requests waiting for a socket; past it `RWS_HTTP1_POOL_QUEUE_FULL`. Default 10000. */
  maxQueue?: number | undefined;
  /** Default 10000. */
  connectTimeoutMs?: number | undefined;
  /** Default 300000. */
  headersTimeoutMs?: number | undefined;
  /** Default 300000. */
  bodyTimeoutMs?: number | undefined;
  /** Limit for the status line plus header section (and for trailers). Default 16384. */
  maxResponseHeaderBytes?: number | undefined;
  /** Default limit of `body.bytes()/text()/json()` on responses. Default 64 MiB. */
  bodyLimit?: number | undefined;
  /** TLS settings for an `https:` origin. */
  tls?: ClientTlsOptions | undefined;
}

/** A snapshot of a pool's sockets and queue. */
export interface PoolStats {
  /** Open sockets (busy + idle). */
  readonly connected: number;
  readonly idle: number;
  readonly busy: number;
  /** Sockets being opened. */
  readonly connecting: number;
  /** Requests waiting for a socket. */
  readonly queued: number;
}

/**
 * A request from `request()` until it is answered: queued, or running on a socket as the
 * sink of its exchange, and its options too. A class with methods, so a request costs no
 * closures of its own, and one object where options, entry and sink were three.
 */
class QueueEntry implements ExchangeSink, ExchangeOptions {
  readonly req: PreparedRequest;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxResponseHeaderBytes: number;
  readonly bodyOptions: BodyOptions;
  readonly signal: AbortSignalLike | null;
  readonly onInformational: ((info: InformationalResponse) => void) | null;
  readonly connectTimeoutMs: number;
  /** The caller's promise. */
  readonly resolve: (res: ClientResponse) => void;
  readonly fail: (err: Error) => void;
  /** The pool's handler of a failed exchange (retry or `fail`), shared by its entries. */
  readonly #onExchangeError: (entry: QueueEntry, err: RwsError) => void;
  /** Only a newly opened socket may take it (a retry after a stale keep-alive socket). */
  needsFresh = false;
  hasRetried = false;
  onAbort: (() => void) | null = null;

  constructor(
    req: PreparedRequest,
    options: PoolRequestOptions,
    defaults: RequestDefaults,
    resolve: (res: ClientResponse) => void,
    fail: (err: Error) => void,
    onExchangeError: (entry: QueueEntry, err: RwsError) => void,
  ) {
    const t = options.timeouts;
    this.req = req;
    this.headersTimeoutMs = t?.headersTimeoutMs ?? defaults.headersTimeoutMs;
    this.bodyTimeoutMs = t?.bodyTimeoutMs ?? defaults.bodyTimeoutMs;
    this.maxResponseHeaderBytes = defaults.maxResponseHeaderBytes;
    this.bodyOptions = defaults.bodyOptions;
    this.signal = options.signal ?? null;
    this.onInformational = options.onInformational ?? null;
    this.connectTimeoutMs = t?.connectTimeoutMs ?? defaults.connectTimeoutMs;
    this.resolve = resolve;
    this.fail = fail;
    this.#onExchangeError = onExchangeError;
  }

  /** ExchangeSink: the exchange on a socket failed. */
  reject(err: RwsError): void {
    this.#onExchangeError(this, err);
  }
}

/** A pool's resolved options that each request starts from. */
interface RequestDefaults {
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxResponseHeaderBytes: number;
  /** `{ limit }` of every response body, shared. */
  readonly bodyOptions: BodyOptions;
}

interface Attempt {
  readonly controller: AbortController;
}

/** Normalises `http(s)://host[:port]` (path, query and credentials are rejected). */
export function parseOrigin(origin: string | URL): URL {
  let url: URL;
  try {
    url = new URL(String(origin));
  } catch (cause) {
    throw clientError(CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS, 'invalid origin URL', cause);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw clientError(
      CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS,
      `unsupported protocol ${url.protocol} (http: or https:)`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw clientError(
      CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS,
      'credentials in the origin are not supported; send an authorization header',
    );
  }
  return new URL(url.origin);
}

/**
 * A keep-alive pool of HTTP/1.1 connections to one origin.
 *
 * @example
 * ```ts
 * import { createPool } from '@rws/http1';
 * const pool = createPool('http://127.0.0.1:8080', { maxSockets: 4 });
 * const res = await pool.request({ path: '/health' });
 * console.log(res.status, await res.body.text());
 * await pool.close();
 * ```
 */
/**
 * @internal Hooks an `Agent` sets on its pools, called once a pool holds nothing (no socket,
 * connect or waiting request), so the agent can forget it.
 */
export const POOL_EMPTY_HOOKS: WeakMap<Pool, (pool: Pool) => void> = new WeakMap();

export class Pool implements ConnectionOwner {
  /** The origin, e.g. `https://example.com:8443`. */
  readonly origin: string;
  #url: URL;
  #host: string;
  #maxSockets: number;
  #maxIdle: number;
  #idleTimeoutMs: number;
  #maxQueue: number;
  /** The per-request settings every entry starts from. */
  #defaults: RequestDefaults;
  #tls: ClientTlsOptions | null;
  #connections = new Set<ClientConnection>();
  /** Idle sockets, most recently used last (LIFO keeps few sockets warm). */
  #idle: ClientConnection[] = [];
  #queue: QueueEntry[] = [];
  #attempts = new Set<Attempt>();
  #isClosing = false;
  #isDestroyed = false;
  #closeWaiters: Array<() => void> = [];

  constructor(origin: string | URL, options: PoolOptions = {}) {
    this.#url = parseOrigin(origin);
    this.origin = this.#url.origin;
    this.#host = this.#url.host;
    this.#maxSockets = positive(options.maxSockets, 10, 'maxSockets');
    this.#maxIdle = nonNegative(options.maxIdle, this.#maxSockets, 'maxIdle');
    this.#idleTimeoutMs = positive(options.idleTimeoutMs, 4000, 'idleTimeoutMs');
    this.#maxQueue = nonNegative(options.maxQueue, 10_000, 'maxQueue');
    this.#defaults = {
      connectTimeoutMs: positive(options.connectTimeoutMs, 10_000, 'connectTimeoutMs'),
      headersTimeoutMs: positive(options.headersTimeoutMs, 300_000, 'headersTimeoutMs'),
      bodyTimeoutMs: positive(options.bodyTimeoutMs, 300_000, 'bodyTimeoutMs'),
      maxResponseHeaderBytes: positive(
        options.maxResponseHeaderBytes,
        16_384,
        'maxResponseHeaderBytes',
      ),
      bodyOptions: { limit: positive(options.bodyLimit, 64 * 1024 * 1024, 'bodyLimit') },
    };
    this.#tls = options.tls ?? null;
  }

  /** Current socket and queue counts. */
  get stats(): PoolStats {
    const idle = this.#idle.length;
    return {
      connected: this.#connections.size,
      idle,
      busy: this.#connections.size - idle,
      connecting: this.#attempts.size,
      queued: this.#queue.length,
    };
  }

  /** True once `close()` or `destroy()` was called. */
  get isClosed(): boolean {
    return this.#isClosing || this.#isDestroyed;
  }

  /**
   * Sends a request and resolves with the response once its head has arrived. Read or
   * cancel `res.body` to give the socket back to the pool.
   */
  request(options: PoolRequestOptions = {}): Promise<ClientResponse> {
    // The rare paths are calls of their own: a smaller method is optimised sooner.
    if (this.#isClosing || this.#isDestroyed) return this.#rejectClosed();
    let req: PreparedRequest;
    try {
      req = prepareRequest(
        options.method ?? 'GET',
        options.path ?? '/',
        this.#host,
        options.headers,
        options.body,
        options.expectContinue === true,
        options.trailers ?? null,
      );
    } catch (err) {
      return Promise.reject(err);
    }
    const signal = options.signal;
    if (signal?.aborted) return rejectAborted(signal);
    // The executor is the pool's own (no closure per request); it runs synchronously.
    const promise = new Promise<ClientResponse>(this.#capture);
    const entry = new QueueEntry(
      req,
      options,
      this.#defaults,
      this.#capturedResolve!,
      this.#capturedReject!,
      this.#onExchangeError,
    );
    this.#capturedResolve = null;
    this.#capturedReject = null;
    const conn = this.#takeIdle();
    if (conn !== null) conn.run(entry.req, entry, entry);
    else this.#wait(entry);
    return promise;
  }

  #rejectClosed(): Promise<never> {
    return Promise.reject(
      clientError(CLIENT_ERROR_CODES.POOL_CLOSED, `pool for ${this.origin} is closed`),
    );
  }

  /** No idle socket: the entry waits for one (opened now if the limit allows), or fails. */
  #wait(entry: QueueEntry): void {
    // Requests a socket being opened (or allowed to open) will take are not "waiting".
    const openable = Math.max(0, this.#maxSockets - this.#connections.size);
    if (this.#queue.length - openable >= this.#maxQueue) {
      entry.fail(
        clientError(
          CLIENT_ERROR_CODES.POOL_QUEUE_FULL,
          `pool for ${this.origin}: ${this.#maxSockets} sockets busy and ${this.#maxQueue} requests queued`,
        ),
      );
      return;
    }
    this.#enqueue(entry);
    this.#connectIfNeeded();
  }

  #capturedResolve: ((res: ClientResponse) => void) | null = null;
  #capturedReject: ((err: Error) => void) | null = null;
  #capture = (resolve: (res: ClientResponse) => void, reject: (err: Error) => void): void => {
    this.#capturedResolve = resolve;
    this.#capturedReject = reject;
  };

  /** Stops taking requests, lets queued and running ones finish, then closes every socket. */
  close(): Promise<void> {
    this.#isClosing = true;
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    this.#checkClosed();
    return done;
  }

  /** Fails queued and running requests with `RWS_HTTP1_POOL_CLOSED` and closes every socket. */
  destroy(reason?: unknown): Promise<void> {
    this.#isClosing = true;
    this.#isDestroyed = true;
    const err = clientError(
      CLIENT_ERROR_CODES.POOL_CLOSED,
      `pool for ${this.origin} was destroyed`,
      reason,
    );
    for (const entry of this.#queue.splice(0)) this.#rejectEntry(entry, err);
    for (const attempt of this.#attempts) attempt.controller.abort(err);
    for (const conn of this.#connections) conn.destroy(err);
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
    this.#checkClosed();
    return done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #enqueue(entry: QueueEntry): void {
    const signal = entry.signal;
    if (signal !== null) {
      entry.onAbort = () => {
        const i = this.#queue.indexOf(entry);
        if (i === -1) return;
        this.#queue.splice(i, 1);
        entry.fail(
          clientError(
            CLIENT_ERROR_CODES.ABORTED,
            'request aborted while waiting for a socket',
            signal.reason,
          ),
        );
        // A socket opened only for this request is no longer needed.
        if (this.#attempts.size > this.#queue.length) {
          const last = [...this.#attempts].pop();
          last?.controller.abort();
        }
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    this.#queue.push(entry);
  }

  #dequeue(predicate: (e: QueueEntry) => boolean): QueueEntry | null {
    const i = this.#queue.findIndex(predicate);
    if (i === -1) return null;
    const entry = this.#queue[i]!;
    this.#queue.splice(i, 1);
    if (entry.onAbort !== null) entry.signal?.removeEventListener('abort', entry.onAbort);
    entry.onAbort = null;
    return entry;
  }

  #rejectEntry(entry: QueueEntry, err: Error): void {
    if (entry.onAbort !== null) entry.signal?.removeEventListener('abort', entry.onAbort);
    entry.fail(err);
  }

  #takeIdle(): ClientConnection | null {
    while (this.#idle.length > 0) {
      const conn = this.#idle.pop()!;
      // Its idle deadline is moved at the next makeIdle; until then it does nothing.
      conn.isIdle = false;
      if (conn.isUsable) return conn;
      conn.destroy();
    }
    return null;
  }

  /** Opens sockets while requests wait and the socket limit allows. */
  #connectIfNeeded(): void {
    while (
      !this.#isDestroyed &&
      this.#queue.length > this.#attempts.size &&
      this.#connections.size + this.#attempts.size < this.#maxSockets
    ) {
      const entry = this.#queue[this.#attempts.size]!;
      this.#connect(entry.connectTimeoutMs);
    }
  }

  #connect(timeoutMs: number): void {
    const attempt: Attempt = { controller: new AbortController() };
    this.#attempts.add(attempt);
    connectSocket(this.#url, this.#tls, timeoutMs, attempt.controller.signal).then(
      (socket) => {
        this.#attempts.delete(attempt);
        const conn = new ClientConnection(socket, this);
        this.#connections.add(conn);
        if (this.#isDestroyed) {
          conn.destroy();
          return;
        }
        const entry = this.#dequeue((e) => e.needsFresh) ?? this.#dequeue(() => true);
        if (entry !== null) this.#run(conn, entry);
        else this.#makeIdle(conn);
      },
      (err: RwsError) => {
        this.#attempts.delete(attempt);
        if (!attempt.controller.signal.aborted) {
          // A failed connect fails the oldest waiting request. With no live socket the origin
          // is unreachable: every request no other attempt can serve fails too, rather than
          // waiting for a connect timeout each.
          const entry = this.#dequeue(() => true);
          if (entry !== null) entry.fail(err);
          if (this.#connections.size === 0) {
            while (this.#queue.length > this.#attempts.size) this.#dequeue(() => true)!.fail(err);
          }
          this.#connectIfNeeded();
        }
        this.#checkClosed();
        this.#checkEmpty();
      },
    );
  }

  #run(conn: ClientConnection, entry: QueueEntry): void {
    conn.run(entry.req, entry, entry);
  }

  /** An exchange failed: retried once on a fresh socket when it may be, else the caller's error. */
  #onExchangeError = (entry: QueueEntry, err: RwsError & { [kRetry]?: true }): void => {
    if (err[kRetry] === true && !entry.hasRetried && !this.#isDestroyed) {
      // RFC 9112 §9.3.1: the server closed an idle socket as we reused it; an idempotent
      // request that never got a response byte is retried once on a fresh socket.
      entry.hasRetried = true;
      entry.needsFresh = true;
      if (entry.signal?.aborted) {
        entry.fail(clientError(CLIENT_ERROR_CODES.ABORTED, 'request aborted', entry.signal.reason));
        return;
      }
      this.#enqueue(entry);
      this.#queue.unshift(this.#queue.pop()!);
      this.#connectIfNeeded();
      return;
    }
    entry.fail(err);
  };

  #makeIdle(conn: ClientConnection): void {
    if (this.#isClosing || this.#idle.length >= this.#maxIdle) {
      conn.destroy();
      return;
    }
    const ms =
      conn.serverIdleTimeoutMs === -1
        ? this.#idleTimeoutMs
        : Math.min(this.#idleTimeoutMs, conn.serverIdleTimeoutMs);
    if (ms <= 0) {
      conn.destroy();
      return;
    }
    conn.isIdle = true;
    // Moved, not re-armed: a socket back in the pool after every request costs no timer
    // operation (deadline-timer.ts). Neither the timer nor the socket (client-connection.ts)
    // keeps the process alive.
    conn.idleDeadline.set(ms);
    this.#idle.push(conn);
  }

  /** @internal ConnectionOwner: an exchange ended. */
  onRelease(conn: ClientConnection, isReusable: boolean): void {
    if (!isReusable) {
      this.#connectIfNeeded();
      this.#checkClosed();
      return;
    }
    // An empty queue (the usual case) needs no search.
    const entry = this.#queue.length === 0 ? null : this.#dequeue(isNotFreshOnly);
    if (entry !== null) {
      this.#run(conn, entry);
      return;
    }
    this.#makeIdle(conn);
    // Tested here: a call per request to a method that returns at once is not free.
    if (this.#isClosing) this.#checkClosed();
  }

  /** @internal ConnectionOwner: a socket closed. */
  onClose(conn: ClientConnection): void {
    if (!this.#connections.delete(conn)) return;
    conn.idleDeadline.dispose();
    const i = this.#idle.indexOf(conn);
    if (i !== -1) this.#idle.splice(i, 1);
    this.#connectIfNeeded();
    this.#checkClosed();
    this.#checkEmpty();
  }

  /** Tells the owning agent once the last socket is gone, so it can drop this pool. */
  #checkEmpty(): void {
    if (
      this.#connections.size === 0 &&
      this.#attempts.size === 0 &&
      this.#queue.length === 0 &&
      !this.#isClosing
    ) {
      POOL_EMPTY_HOOKS.get(this)?.(this);
    }
  }

  #checkClosed(): void {
    if (!this.#isClosing) return;
    if (this.#queue.length > 0) return;
    for (const conn of this.#idle.splice(0)) conn.destroy();
    if (this.#connections.size > 0 || this.#attempts.size > 0) return;
    for (const resolve of this.#closeWaiters.splice(0)) resolve();
  }
}

function rejectAborted(signal: AbortSignalLike): Promise<never> {
  return Promise.reject(clientError(CLIENT_ERROR_CODES.ABORTED, 'request aborted', signal.reason));
}

function isNotFreshOnly(entry: QueueEntry): boolean {
  return !entry.needsFresh;
}

/** Creates a `Pool` for `origin` (`http://host:port` or `https://host:port`). */
export function createPool(origin: string | URL, options?: PoolOptions): Pool {
  return new Pool(origin, options);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0)) {
    throw clientError(
      CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS,
      `${name} must be a positive number`,
    );
  }
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value >= 0)) {
    throw clientError(CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS, `${name} must be >= 0`);
  }
  return value;
}
