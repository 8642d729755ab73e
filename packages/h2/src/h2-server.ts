import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ConnectionInfo, Handler, Request, TlsInfo } from '@rws/core';
import { upgradedRequestFields } from './h2c-upgrade.js';
import { type ResolvedH2Options, resolveOptions } from './internal/resolved-options.js';
import { type ConnectionOwner, ServerConnection } from './internal/server-connection.js';

/** Options of an `Http2Server`. Every limit has a safe default. */
export interface Http2ServerOptions {
  /** Streams a client may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS); more are refused with REFUSED_STREAM. Default 100. */
  maxConcurrentStreams?: number | undefined;
  /** Receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE): request body octets buffered before the client must wait for the handler to read. Default 256 KiB. */
  initialWindowSize?: number | undefined;
  /** Largest decoded request header list (SETTINGS_MAX_HEADER_LIST_SIZE); larger → 431. Default 64 KiB. */
  maxHeaderListSize?: number | undefined;
  /** Most CONTINUATION frames in one header block; more → GOAWAY ENHANCE_YOUR_CALM. Default 32. */
  maxContinuationFrames?: number | undefined;
  /** Largest request body: a larger content-length is answered 413 at once; a body crossing it fails the read with 413. Default 1 MiB. */
  maxBodyBytes?: number | undefined;
  /** Streams the client may reset within `streamResetWindowMs` before GOAWAY ENHANCE_YOUR_CALM (rapid reset, CVE-2023-44487). Default 200. */
  maxStreamResets?: number | undefined;
  /** Window of `maxStreamResets`. Default 10 s. */
  streamResetWindowMs?: number | undefined;
  /** PING and SETTINGS frames accepted per second before GOAWAY ENHANCE_YOUR_CALM. Default 1000. */
  maxControlFramesPerSecond?: number | undefined;
  /** Time a connection with no open stream is kept; then GOAWAY and close. Default 60 s. */
  idleTimeoutMs?: number | undefined;
  /** Longest time the client may keep a window closed while we have response bytes; then the stream is reset. Default 60 s. */
  sendTimeoutMs?: number | undefined;
  /**
   * Send a PING this often; a client that has not answered the previous one by the next is
   * considered gone and its connection destroyed. Default 0 (off).
   */
  pingIntervalMs?: number | undefined;
  /** Advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441, extended CONNECT). Default false. */
  enableConnectProtocol?: boolean | undefined;
  /**
   * Value of the `server` response header, or false (default) to send none. A valid header
   * value (no control character, none above 0xFF), else `RWS_CORE_INVALID_HEADER`.
   */
  serverHeader?: string | false | undefined;
  /** Receives handler errors that become 5xx and stream failures. Default `console.error`. */
  onError?: ((err: unknown, req: Request | null) => void) | undefined;
}

let nextConnectionId = 1_000_000_000;

/**
 * An HTTP/2 server codec (RFC 9113) on node:net / node:tls sockets, with its own frame layer
 * and HPACK. `handleConnection()` takes a socket whose first bytes are the client preface: a
 * TLS socket that negotiated ALPN `h2`, or a plain socket for h2c with prior knowledge.
 *
 * @example
 * ```ts
 * import { text } from '@rws/core';
 * import { Http2Server } from '@rws/h2';
 * const server = new Http2Server(() => text('hello over h2'));
 * const { port } = await server.listen({ port: 0, host: '127.0.0.1' }); // h2c
 * await server.close();
 * ```
 */
export class Http2Server implements ConnectionOwner {
  readonly options: ResolvedH2Options;
  readonly #handler: Handler;
  readonly #onError: (err: unknown, req: Request | null) => void;
  readonly #connections = new Set<ServerConnection>();
  #listener: NetServer | null = null;
  #isDraining = false;
  #date = '';
  #dateAt = 0;

  constructor(handler: Handler, options: Http2ServerOptions = {}) {
    this.#handler = handler;
    this.options = resolveOptions(options);
    this.#onError = options.onError ?? ((err) => console.error(err));
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Takes over a connected socket speaking HTTP/2 (after ALPN `h2`, or h2c prior knowledge). */
  handleConnection(socket: Socket): void {
    const conn = new ServerConnection(this, socket, connectionInfo(socket));
    this.#connections.add(conn);
    if (this.#isDraining) conn.drain();
  }

  /**
   * Takes over a cleartext socket whose HTTP/1.1 request `req` asked for `Upgrade: h2c` and
   * was answered 101 (RFC 7540 §3.2): `settings` is its HTTP2-Settings payload (see
   * `h2cUpgradeSettings`), `head` the bytes read after the request head. The request is
   * answered on stream 1; the socket then carries HTTP/2.
   */
  handleUpgrade(socket: Socket, head: Buffer, req: Request, settings: Buffer): void {
    const conn = new ServerConnection(this, socket, req.conn, {
      settings,
      fields: upgradedRequestFields(req),
      head,
    });
    this.#connections.add(conn);
    if (this.#isDraining) conn.drain();
    socket.resume();
  }

  /** Listens for h2c (cleartext HTTP/2 with prior knowledge, RFC 9113 §3.3). */
  listen(options: { port?: number; host?: string } = {}): Promise<AddressInfo> {
    const listener = createNetServer({ noDelay: true }, (socket) => this.handleConnection(socket));
    this.#listener = listener;
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        listener.removeListener('error', reject);
        resolve(listener.address() as AddressInfo);
      });
    });
  }

  /** Starts a graceful shutdown of every connection (two-step GOAWAY); `req.drain` aborts. */
  drain(): void {
    this.#isDraining = true;
    for (const c of this.#connections) c.drain();
  }

  /** Drains, waits up to `graceMs` for open streams, then destroys what is left. */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    const graceMs = options.graceMs ?? 10_000;
    this.drain();
    const listener = this.#listener;
    const listenerClosed =
      listener === null ? Promise.resolve() : new Promise<void>((r) => listener.close(() => r()));
    const timer = setTimeout(() => {
      for (const c of this.#connections) c.destroy();
    }, graceMs);
    await Promise.all([...this.#connections].map((c) => c.whenClosed()));
    clearTimeout(timer);
    await listenerClosed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close({ graceMs: 0 });
  }

  /** @internal */
  handle(req: Request): ReturnType<Handler> {
    return this.#handler(req);
  }

  /** @internal */
  reportError(err: unknown, req: Request | null): void {
    this.#onError(err, req);
  }

  /** @internal */
  connectionClosed(conn: ServerConnection): void {
    this.#connections.delete(conn);
  }

  /** @internal The IMF-fixdate of the current second, computed once per second. */
  date(): string {
    const now = Date.now();
    if (now - this.#dateAt >= 1000) {
      this.#dateAt = now - (now % 1000);
      this.#date = new Date(now).toUTCString();
    }
    return this.#date;
  }
}

/** `ConnectionInfo` of a socket. */
function connectionInfo(socket: Socket): ConnectionInfo {
  const tlsSocket = socket as TLSSocket;
  let tls: TlsInfo | null = null;
  if (tlsSocket.encrypted === true) {
    const servername = (tlsSocket as TLSSocket & { servername?: string | false }).servername;
    tls = {
      alpn: typeof tlsSocket.alpnProtocol === 'string' ? tlsSocket.alpnProtocol : null,
      sni: typeof servername === 'string' && servername.length > 0 ? servername : null,
      version: tlsSocket.getProtocol(),
      authorized: tlsSocket.authorized === true,
      get peerCertificate() {
        const cert = tlsSocket.getPeerCertificate(false) as unknown as
          | Record<string, unknown>
          | undefined;
        return cert !== undefined && Object.keys(cert).length > 0 ? cert : null;
      },
    };
  }
  return {
    id: nextConnectionId++,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? '',
    localPort: socket.localPort ?? 0,
    tls,
  };
}
