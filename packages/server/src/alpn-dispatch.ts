/**
 * The one place where a TLS connection is handed to a protocol implementation by its
 * negotiated ALPN protocol (RFC 7301). HTTP/1.1 is registered today; `@rws/h2` registers `h2`
 * here (before `http/1.1`, so it is preferred) and nothing else in the server changes.
 * HTTP/3 runs over QUIC on UDP and is advertised with `Alt-Svc`, not ALPN on this port.
 */
import type { TLSSocket } from 'node:tls';

/** Takes over a connected, handshaken socket. */
export type ConnectionHandler = (socket: TLSSocket) => void;

/** Maps ALPN protocol ids to connection handlers. */
export class AlpnDispatch {
  #handlers = new Map<string, ConnectionHandler>();
  #fallback: string;

  /**
   * `fallback` serves clients that offer no ALPN at all (curl --no-alpn, old clients): for
   * them HTTP/1.1 is the only safe choice (RFC 9113 §3.2 needs ALPN `h2` for HTTP/2 over TLS).
   */
  constructor(fallback = 'http/1.1') {
    this.#fallback = fallback;
  }

  /** Registers `handler` for `protocol`. Protocols are advertised in registration order. */
  register(protocol: string, handler: ConnectionHandler): this {
    this.#handlers.set(protocol, handler);
    return this;
  }

  /** The `ALPNProtocols` list for node:tls, in preference order. */
  get protocols(): string[] {
    return [...this.#handlers.keys()];
  }

  /** Hands `socket` to the handler of its negotiated protocol; unknown ones are destroyed. */
  dispatch(socket: TLSSocket): void {
    const alpn = socket.alpnProtocol;
    const handler = this.#handlers.get(typeof alpn === 'string' ? alpn : this.#fallback);
    if (handler === undefined) {
      socket.destroy();
      return;
    }
    handler(socket);
  }
}
