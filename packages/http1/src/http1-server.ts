import {
  type AddressInfo,
  createServer as createNetServer,
  type Server,
  type Socket,
} from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { DEFAULT_BODY_LIMIT, type Handler, Headers, type Request, RwsError } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import { stampDeadline } from './internal/connection-deadline.js';
import { connectionInfo } from './internal/connection-info.js';
import { FieldBlocks } from './internal/field-block.js';
import { ResponseMemo } from './internal/response-memo.js';
import {
  type ConnectionOptions,
  ServerConnection,
  type ServerContext,
} from './internal/server-connection.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_TLS_CIPHERS } from './tls-defaults.js';

/** Options of an `Http1Server`. Sizes are bytes, times are milliseconds; 0 disables a timeout. */
export interface Http1ServerOptions {
  /** Most bytes in a request head (request line + fields). Default 16 KiB; more → 431. */
  maxHeaderBytes?: number | undefined;
  /** Longest request-target. Default 8 KiB; longer → 414. */
  maxUrlBytes?: number | undefined;
  /** Most header fields in a request. Default 100; more → 431. */
  maxHeaderCount?: number | undefined;
  /**
   * Largest request body. A larger Content-Length is answered 413 before the body is read
   * (and instead of `100 Continue`); a chunked body crossing it fails mid-stream (413, then
   * the connection closes). A cap on what the transport accepts at all, streamed or not;
   * the in-memory read limit is `bodyLimit`. Default 1 MiB.
   */
  maxBodyBytes?: number | undefined;
  /**
   * The default limit of `req.body.bytes()`/`text()`/`json()`/`form()` when the call gives
   * none: a larger body throws `RWS_CORE_BODY_TOO_LARGE` (413). Separate from `maxBodyBytes`,
   * so raising or lifting the transport cap for streamed uploads never makes `json()`
   * unbounded. Default `DEFAULT_BODY_LIMIT` (1 MiB).
   */
  bodyLimit?: number | undefined;
  /** Request body bytes queued before the socket is paused. Default 64 KiB. */
  bodyHighWaterMark?: number | undefined;
  /** Time to receive a whole request head (slowloris guard); 408 then close. Default 20 s. */
  headersTimeoutMs?: number | undefined;
  /** Idle time allowed between requests on a keep-alive connection. Default 5 s. */
  keepAliveTimeoutMs?: number | undefined;
  /**
   * Time from the end of the head until the response starts. On expiry `req.signal` aborts
   * and the client gets 408 (body still arriving) or 503 (handler too slow). Default 300 s.
   */
  requestTimeoutMs?: number | undefined;
  /**
   * Longest time the peer may leave our response bytes unread (its receive window full, no
   * progress on the socket's write queue). On expiry the connection is destroyed, `req.signal`
   * aborts and a streamed body is stopped (`return()` / `cancel()`). Default 60 s.
   */
  sendTimeoutMs?: number | undefined;
  /**
   * Longest wait for the next bytes of a declared request body (Content-Length or chunked),
   * while the handler reads it or after the response while the rest is discarded: a client
   * that stops sending gets 408 (nothing answered yet) or the connection is closed. The clock
   * stops while the handler is not reading (our backpressure, not the client's stall) and
   * while the client waits for `100 Continue`. Like nginx's `client_body_timeout`, it is
   * the time between two reads, not for the whole body. Default 60 s.
   */
  bodyTimeoutMs?: number | undefined;
  /** Requests served on one connection before it is closed. Default 0 (no limit). */
  maxRequestsPerConnection?: number | undefined;
  /** Open connections allowed; connections beyond it are closed at once. Default 0 (no limit). */
  maxConnections?: number | undefined;
  /**
   * Value of the `Server` response header, or false (default) to send none. A valid header
   * value (no control character, none above 0xFF), else `RWS_CORE_INVALID_HEADER`.
   */
  serverHeader?: string | false | undefined;
  /** Receives handler errors that become 5xx and stream failures. Default: `console.error`. */
  onError?: ((err: unknown, req: Request | null) => void) | undefined;
  /**
   * Serve HTTPS: node:tls options (key, cert, ca, requestCert, SNICallback, …). Defaults that
   * differ from node's: `ciphers` `DEFAULT_TLS_CIPHERS` (ECDHE + AEAD only), `minVersion`
   * TLS 1.2, `handshakeTimeout` 10 s. Renegotiation is always refused.
   */
  tls?: TlsOptions | undefined;
}

/** Where to listen. */
export interface ListenOptions {
  /** Port; 0 (default) picks a free one. */
  port?: number | undefined;
  /** Interface address. Default `127.0.0.1`. */
  host?: string | undefined;
}

/** Options of `Http1Server.close()`. */
export interface CloseOptions {
  /** How long in-flight requests may take before their connections are destroyed. Default 10 s. */
  graceMs?: number | undefined;
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && value >= 0 ? value : fallback;
}

/**
 * An HTTP/1.1 server for a core `Handler`, over node:net or node:tls, or over sockets handed
 * in with `handleConnection()`.
 *
 * @example
 * ```ts
 * import { Headers } from '@rws/core';
 * import { createServer } from '@rws/http1';
 *
 * const server = createServer(() => ({ status: 200, headers: new Headers(), body: 'hello' }));
 * const { port } = await server.listen({ port: 0 });
 * await server.close();
 * ```
 */
export class Http1Server {
  /** What connections see of the server (kept off the public surface). */
  #ctx: ServerContext;
  #maxConnections: number;
  #onError: (err: unknown, req: Request | null) => void;
  #tls: TlsOptions | null;
  #server: Server | null = null;
  #connections = new Set<ServerConnection>();
  #upgraded = new Set<Socket>();
  /** Aborted when `close()` starts: every request's `drain` signal. */
  #drain = new AbortController();
  #isClosing = false;
  #closePromise: Promise<void> | null = null;
  #onDrained: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #tickMs: number;
  #date = '';
  #dateExpires = 0;
  /** The Server field (when configured) and the blank line that ends a response head. */
  #headEnd = '\r\n';
  /** `date: …\r\n` + `#headEnd`, rebuilt with `#date`. */
  #dateHeadEnd = '';

  constructor(handler: Handler, options: Http1ServerOptions = {}) {
    const serverHeader = options.serverHeader;
    const resolved: ConnectionOptions = {
      maxHeaderBytes: positive(options.maxHeaderBytes, 16 * 1024),
      maxUrlBytes: positive(options.maxUrlBytes, 8 * 1024),
      maxHeaderCount: positive(options.maxHeaderCount, 100),
      maxBodyBytes: positive(options.maxBodyBytes, 1024 * 1024),
      bodyLimit: positive(options.bodyLimit, DEFAULT_BODY_LIMIT),
      bodyHighWaterMark: positive(options.bodyHighWaterMark, 64 * 1024),
      headersTimeoutMs: positive(options.headersTimeoutMs, 20_000),
      keepAliveTimeoutMs: positive(options.keepAliveTimeoutMs, 5_000),
      requestTimeoutMs: positive(options.requestTimeoutMs, 300_000),
      sendTimeoutMs: positive(options.sendTimeoutMs, 60_000),
      bodyTimeoutMs: positive(options.bodyTimeoutMs, 60_000),
      maxRequestsPerConnection: positive(options.maxRequestsPerConnection, 0),
      serverHeader: typeof serverHeader === 'string' ? serverHeader : null,
    };
    if (resolved.serverHeader !== null) {
      // Checked as any header value (no CR/LF, no char above 0xFF): it is written into every
      // head as it is.
      new Headers().set('server', resolved.serverHeader);
      this.#headEnd = `server: ${resolved.serverHeader}\r\n\r\n`;
    }
    this.#ctx = {
      handler,
      options: resolved,
      drainSignal: this.#drain.signal,
      // A data field set by `close()`, not a getter: it is read on every response, and a
      // getter on an object literal costs an inline-cache miss there.
      isClosing: false,
      date: () => this.#dateValue(),
      dateHeadEnd: () => {
        this.#dateValue();
        return this.#dateHeadEnd;
      },
      headEnd: () => this.#headEnd,
      fieldBlocks: new FieldBlocks(),
      responseMemo: new ResponseMemo(),
      reportError: (err, req) => this.#reportError(err, req),
      connectionClosed: (conn) => this.#connectionClosed(conn),
    };
    this.#maxConnections = positive(options.maxConnections, 0);
    this.#onError = options.onError ?? defaultOnError;
    this.#tls = options.tls ?? null;
    // One coarse interval per server checks every connection's deadline: far cheaper than a
    // timer per request, and precise enough (a quarter of the shortest timeout, 5 ms–1 s).
    const timeouts = [
      resolved.headersTimeoutMs,
      resolved.keepAliveTimeoutMs,
      resolved.requestTimeoutMs,
      resolved.sendTimeoutMs,
      resolved.bodyTimeoutMs,
    ].filter((t) => t > 0);
    const shortest = timeouts.length === 0 ? 4000 : Math.min(...timeouts);
    this.#tickMs = Math.max(5, Math.min(1000, Math.floor(shortest / 4)));
  }

  /** True once `close()` was called. */
  get isClosing(): boolean {
    return this.#isClosing;
  }

  /** Aborts when `close()` starts; the `drain` signal of every request this server serves. */
  get drainSignal(): AbortSignal {
    return this.#drain.signal;
  }

  /** Open connections (upgraded sockets excluded). */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Starts listening; resolves with the bound address. */
  listen(options: ListenOptions = {}): Promise<AddressInfo> {
    if (this.#server !== null) return Promise.reject(new Error('server is already listening'));
    const server =
      this.#tls === null
        ? createNetServer({ allowHalfOpen: true, noDelay: true })
        : createTlsServer({
            ALPNProtocols: ['http/1.1'],
            // Modern defaults; the `tls` option overrides each of them.
            ciphers: DEFAULT_TLS_CIPHERS,
            minVersion: 'TLSv1.2',
            handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT_MS,
            ...this.#tls,
            allowHalfOpen: true,
          });
    if (this.#tls === null)
      server.on('connection', (socket: Socket) => this.handleConnection(socket));
    else {
      server.on('secureConnection', (socket: TLSSocket) => {
        // No renegotiation: a client could make the server run full handshakes on one
        // connection in a loop (node only flags ERR_TLS_SESSION_ATTACK after 3 and leaves
        // closing to us). The refusal arrives as an 'error'; any TLS error ends the socket.
        socket.disableRenegotiation();
        socket.on('error', () => socket.destroy());
        this.handleConnection(socket);
      });
      server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
    }
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.removeListener('error', reject);
        server.on('error', (err) => this.#reportError(err, null));
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** The bound address, or null when not listening. */
  address(): AddressInfo | null {
    const address = this.#server?.address();
    return address !== null && typeof address === 'object' ? address : null;
  }

  /**
   * Serves HTTP/1.1 on a connected socket (net or an already-handshaken TLS socket). This is
   * how `@rws/server` attaches the codec to sockets it accepted itself (e.g. after ALPN).
   */
  handleConnection(socket: Socket): void {
    if (
      this.#isClosing ||
      (this.#maxConnections > 0 && this.#connections.size >= this.#maxConnections)
    ) {
      socket.destroy();
      return;
    }
    const conn = new ServerConnection(this.#ctx, socket, connectionInfo(socket));
    this.#connections.add(conn);
    if (this.#timer === null) {
      this.#timer = setInterval(this.#tick, this.#tickMs);
      this.#timer.unref();
    }
    conn.start();
  }

  /**
   * Stops accepting, aborts every request's `drain` signal, lets in-flight requests finish,
   * closes idle keep-alive connections (and those that become idle), and after `graceMs`
   * destroys whatever is left, upgraded connections and tunnels included.
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closePromise ??= this.#close(options.graceMs ?? 10_000);
    return this.#closePromise;
  }

  /**
   * Aborts every request's `drain` signal (the HTTP/1.1 stand-in for GOAWAY) without closing
   * anything: long-lived responses end themselves. `close()` calls it; `@rws/server` calls it
   * when its drain starts, before the shutdown delay. Idempotent.
   */
  drain(): void {
    if (this.#drain.signal.aborted) return;
    this.#drain.abort(new RwsError(ERROR_CODES.SERVER_CLOSED, 'the server is shutting down'));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(graceMs: number): Promise<void> {
    this.#isClosing = true;
    this.#ctx.isClosing = true;
    // Long-lived responses (SSE, tunnels) watch `req.drain` and end themselves, so the
    // shutdown need not wait out the grace period for them.
    this.drain();
    const server = this.#server;
    const serverClosed =
      server === null
        ? Promise.resolve()
        : new Promise<void>((resolve) => server.close(() => resolve()));
    for (const conn of this.#connections) conn.closeIfIdle();
    const grace = setTimeout(() => {
      for (const conn of this.#connections) conn.destroy();
      for (const socket of this.#upgraded) socket.destroy();
    }, graceMs);
    if (this.#connections.size > 0) {
      await new Promise<void>((resolve) => {
        this.#onDrained = resolve;
      });
    }
    // Upgraded sockets (WebSocket, …) belong to their new owner, but the listener cannot close
    // until they are gone: they get the rest of the grace period.
    if (server !== null) await serverClosed;
    clearTimeout(grace);
    if (this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  // ------------------------------------------------------------ ServerContext

  #dateValue(): string {
    const now = Date.now();
    if (now >= this.#dateExpires) {
      this.#date = new Date(now).toUTCString();
      this.#dateExpires = now - (now % 1000) + 1000;
      this.#dateHeadEnd = `date: ${this.#date}\r\n${this.#headEnd}`;
    }
    return this.#date;
  }

  #reportError(err: unknown, req: Request | null): void {
    try {
      this.#onError(err, req);
    } catch {
      // A broken error reporter must not take the connection down with it.
    }
  }

  #connectionClosed(conn: ServerConnection): void {
    if (!this.#connections.delete(conn)) return;
    if (!conn.socket.destroyed) {
      // Upgraded: tracked only so a graceful close can end it after the grace period.
      const socket = conn.socket;
      this.#upgraded.add(socket);
      // A listener shared by all upgraded sockets: no closure kept per idle tunnel.
      (socket as UpgradedSocket)[kUpgradedSet] = this.#upgraded;
      socket.on('close', forgetUpgraded);
    }
    if (this.#isClosing && this.#connections.size === 0) {
      const resolve = this.#onDrained;
      this.#onDrained = null;
      resolve?.();
    }
  }

  #tick = (): void => {
    const now = Date.now();
    for (const conn of this.#connections) {
      const deadline = conn.deadline;
      if (deadline < 0) stampDeadline(conn, now);
      else if (deadline !== 0 && deadline <= now) conn.onTimeout();
      // The body clock stands still while we (not the client) hold the body back.
      if (conn.bodyDeadline !== 0 && conn.bodyDeadline <= now && !conn.isPausedByBody) {
        conn.onBodyTimeout();
      }
    }
    if (this.#isClosing) for (const conn of this.#connections) conn.closeIfIdle();
  };
}

function defaultOnError(err: unknown): void {
  console.error('[@rws/http1]', err);
}

/**
 * Creates an HTTP/1.1 server for `handler`. Call `listen()` to accept connections, or hand
 * it sockets with `handleConnection()`.
 */
export function createServer(handler: Handler, options?: Http1ServerOptions): Http1Server {
  return new Http1Server(handler, options);
}

/** Where the shared 'close' listener of an upgraded socket finds the set that tracks it. */
const kUpgradedSet: unique symbol = Symbol('rws.http1.upgradedSet');
type UpgradedSocket = Socket & { [kUpgradedSet]?: Set<Socket> };

function forgetUpgraded(this: UpgradedSocket): void {
  this[kUpgradedSet]?.delete(this);
}
