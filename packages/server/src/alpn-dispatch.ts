/**
 * The one place where a connection to the TLS port is handed to a protocol implementation:
 * first by its first byte (a TLS handshake record, or plain HTTP sent to the HTTPS port), then
 * by its negotiated ALPN protocol (RFC 7301). HTTP/1.1 is registered today; `@rws/h2` registers
 * `h2` here (before `http/1.1`, so it is preferred) and nothing else in the server changes.
 * HTTP/3 runs over QUIC on UDP and is advertised with `Alt-Svc`, not ALPN on this port.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Takes over a connected, handshaken socket. */
export type ConnectionHandler = (socket: TLSSocket) => void;

/** Takes over a raw TCP connection (its first bytes still unread). */
export type RawConnectionHandler = (socket: Socket) => void;

/** ContentType `handshake` (22), the first byte of every TLS ClientHello (RFC 8446 §5.1). */
const TLS_HANDSHAKE = 0x16;

/** Maps ALPN protocol ids to connection handlers. */
export class AlpnDispatch {
  #handlers = new Map<string, ConnectionHandler>();
  #fallback: string;
  #plaintext: RawConnectionHandler | null = null;

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

  /**
   * Registers the handler of connections to the TLS port that do not start with a TLS
   * handshake (a client speaking plain HTTP to the HTTPS port). Without one they are closed.
   */
  registerPlaintext(handler: RawConnectionHandler): this {
    this.#plaintext = handler;
    return this;
  }

  /** The `ALPNProtocols` list for node:tls, in preference order. */
  get protocols(): string[] {
    return [...this.#handlers.keys()];
  }

  /**
   * Waits for the first byte of a raw TCP connection and leaves it unread: a TLS handshake
   * record goes to `tls` (which runs the handshake and later calls `dispatch`), anything else
   * to the plaintext handler. A peer that sends nothing for `timeoutMs` is closed (0 = no
   * limit), so a silent connection cannot hold a file descriptor until the TCP keep-alive.
   * `tls` also gets those first bytes (normally the whole ClientHello) to look at.
   */
  sniff(
    socket: Socket,
    tls: (socket: Socket, firstBytes: Buffer) => void,
    timeoutMs: number,
  ): void {
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            socket.destroy();
          }, timeoutMs)
        : null;
    const onClose = (): void => {
      if (timer !== null) clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('end', onEnd);
    };
    // A peer that half-closes without sending anything has nothing to say (the listener
    // allows half-open sockets, so this would otherwise wait for the timeout).
    const onEnd = (): void => {
      socket.destroy();
    };
    const onData = (chunk: Buffer): void => {
      if (timer !== null) clearTimeout(timer);
      socket.removeListener('close', onClose);
      socket.removeListener('end', onEnd);
      // Back into the socket's buffer: node:tls and the HTTP/1.1 codec read it from there.
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE) {
        tls(socket, chunk);
        return;
      }
      const plaintext = this.#plaintext;
      if (plaintext === null) {
        socket.destroy();
        return;
      }
      plaintext(socket);
      socket.resume();
    };
    socket.once('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onClose);
    // Errors before the first byte (ECONNRESET) end in 'close'; nothing to report.
    socket.on('error', noop);
  }

  /**
   * Hands `socket` to the handler of its negotiated protocol; unknown ones are destroyed.
   * Renegotiation is disabled first: a client could otherwise make the server run full
   * handshakes on one connection for as long as it likes (node:tls only raises
   * `ERR_TLS_SESSION_ATTACK` after 3 in 10 minutes and leaves closing to the application).
   * A TLS error on the socket (a refused renegotiation, a session attack) destroys it.
   */
  dispatch(socket: TLSSocket): void {
    socket.disableRenegotiation();
    socket.on('error', () => socket.destroy());
    const alpn = socket.alpnProtocol;
    const handler = this.#handlers.get(typeof alpn === 'string' ? alpn : this.#fallback);
    if (handler === undefined) {
      socket.destroy();
      return;
    }
    handler(socket);
  }
}

function noop(): void {}
