import type { Handler, Request } from '@rws/core';
import { QuicEndpoint } from '../quic/quic-endpoint.js';
import type { QuicServerTls } from '../quic/server-tls.js';
import { loadServerIdentity, type ServerIdentity } from '../quic/tls/tls-server.js';
import { Http3ServerConnection } from './h3-server-connection.js';
import { QuicTlsInfo } from './quic-tls-info.js';

/**
 * A certificate chain and key parsed for HTTP/3's TLS handshake, made once with
 * `createHttp3Certificate()` and handed out by `Http3TlsOptions.selectCertificate`.
 */
export type Http3Certificate = ServerIdentity;

/**
 * Parses a PEM certificate chain (leaf first) and its key (ECDSA P-256 or P-384, RSA or
 * Ed25519) for `Http3TlsOptions.selectCertificate`. Throws `RWS_H3_INVALID_OPTIONS` for a key
 * type QUIC's handshake cannot sign with.
 */
export function createHttp3Certificate(cert: string, key: string): Http3Certificate {
  return loadServerIdentity(cert, key);
}

/**
 * The TLS side of an HTTP/3 server: the default certificate, one per SNI name
 * (`selectCertificate`), client certificates (`ca`, `requestCert`, `rejectUnauthorized`) and
 * OCSP stapling (`ocspResponse`).
 */
export type Http3TlsOptions = QuicServerTls;

/** Options of `Http3Server.listen()`. */
export interface Http3ServerOptions {
  /** The handler every request goes to. */
  readonly handler: Handler;
  /** PEM certificate chain and key (ECDSA P-256 or P-384, RSA or Ed25519), SNI, mTLS, OCSP. */
  readonly tls: Http3TlsOptions;
  /** Address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** UDP port (default 0: any free port). */
  readonly port?: number;
  /** Request bodies larger than this are answered with 413 (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** Largest request field section accepted (default 64 KiB). */
  readonly maxFieldSectionSize?: number;
  /** Errors no client sees (handler failures, internal errors). Default: console.error. */
  readonly onError?: (error: unknown, req: Request | null) => void;
  /**
   * Advertise SETTINGS_ENABLE_CONNECT_PROTOCOL and accept extended CONNECT with `:protocol`
   * (RFC 9220): WebSockets over HTTP/3 through `req.upgrade` and `upgradeWebSocket`, as on
   * HTTP/2. Default false: the setting is not sent and `:protocol` is a malformed request.
   */
  readonly enableConnectProtocol?: boolean;
  /**
   * Session tickets for resumption without a certificate exchange: `{ lifetimeS }` (default
   * 86400) or false for none. Not issued when client certificates are requested.
   */
  readonly sessionTickets?: false | { readonly lifetimeS?: number };
}

let nextConnectionId = 1;

/**
 * An HTTP/3 server: a QUIC endpoint on one UDP socket offering ALPN `h3`, whose connections
 * run the handler for each request.
 * @example
 * ```ts
 * import { text } from '@rws/core';
 * import { Http3Server } from '@rws/h3';
 * declare const cert: string, key: string;
 * const server = await Http3Server.listen({ tls: { cert, key }, handler: () => text('hi') });
 * console.log(server.address().port);
 * await server.close();
 * ```
 */
export class Http3Server {
  readonly #endpoint: QuicEndpoint;
  readonly #connections: Set<Http3ServerConnection>;
  readonly #state: { isDraining: boolean };

  private constructor(
    endpoint: QuicEndpoint,
    connections: Set<Http3ServerConnection>,
    state: { isDraining: boolean },
  ) {
    this.#endpoint = endpoint;
    this.#connections = connections;
    this.#state = state;
  }

  /** Binds the UDP socket and starts accepting connections. */
  static async listen(options: Http3ServerOptions): Promise<Http3Server> {
    // Connections can only arrive once bind() resolved, so the set exists by then.
    const connections = new Set<Http3ServerConnection>();
    const state = { isDraining: false };
    const onError = options.onError ?? ((error: unknown) => console.error(error));
    const endpoint = await QuicEndpoint.bind({
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      tls: options.tls,
      alpn: ['h3'],
      ...(options.sessionTickets === undefined ? {} : { sessionTickets: options.sessionTickets }),
      onConnection: (quic) => {
        const local = endpoint.address();
        const remote = quic.remote ?? { address: '', port: 0 };
        const connection = new Http3ServerConnection(quic, {
          handler: options.handler,
          maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
          maxFieldSectionSize: options.maxFieldSectionSize ?? 65536,
          enableConnectProtocol: options.enableConnectProtocol ?? false,
          onError,
          conn: {
            id: nextConnectionId++,
            remoteAddress: remote.address,
            remotePort: remote.port,
            localAddress: local.address,
            localPort: local.port,
            tls: new QuicTlsInfo(quic),
          },
        });
        connections.add(connection);
        if (state.isDraining) connection.drain();
        void quic.closed.then(() => connections.delete(connection));
      },
    });
    return new Http3Server(endpoint, connections, state);
  }

  /**
   * Replaces the TLS settings (a certificate reload): connections accepted from now on use
   * them, open ones keep theirs. Throws on a bad certificate or key and keeps the old settings.
   */
  setTls(tls: Http3TlsOptions): void {
    this.#endpoint.setServerTls(tls);
  }

  /** The bound address and port. */
  address(): { address: string; port: number } {
    return this.#endpoint.address();
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Requests being handled on all connections. */
  get activeRequests(): number {
    let n = 0;
    for (const connection of this.#connections) n += connection.activeRequests;
    return n;
  }

  /**
   * Starts a graceful shutdown: every connection gets GOAWAY, requests received so far keep
   * running (their `req.drain` aborts), later ones are refused with H3_REQUEST_REJECTED.
   */
  drain(): void {
    this.#state.isDraining = true;
    for (const connection of this.#connections) connection.drain();
  }

  /**
   * Drains, waits up to `graceMs` (default 10 000) for requests in flight to finish, then
   * closes every connection (H3_NO_ERROR) and the socket.
   */
  async close(options: { readonly graceMs?: number } = {}): Promise<void> {
    this.drain();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.graceMs ?? 10_000);
    });
    await Promise.race([Promise.all([...this.#connections].map((c) => c.idle())), grace]);
    clearTimeout(timer);
    for (const connection of this.#connections) connection.close();
    await this.#endpoint.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
