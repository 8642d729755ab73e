/**
 * One client socket and the exchange running on it. A connection carries one request at a
 * time (no pipelining: a response that arrives out of step cannot be attributed safely) and
 * tells its pool when it is free again and whether it may be reused.
 */
import type * as net from 'node:net';
import type { RwsError } from '@rws/core';
import { holdLoop, releaseLoop } from './client-loop-hold.js';
import { DeadlineTimer } from './deadline-timer.js';
import { Exchange, type ExchangeOptions, type ExchangeSink } from './exchange.js';
import { lendReads, lentView, returnReads } from './lent-reads.js';
import type { PreparedRequest } from './request-writer.js';

/** What the connection tells its owner. */
export interface ConnectionOwner {
  /** The exchange ended; `isReusable` says whether the socket may carry another one. */
  onRelease(conn: ClientConnection, isReusable: boolean): void;
  /** The socket closed (any state). */
  onClose(conn: ClientConnection): void;
}

/**
 * A connected socket owned by a pool. Socket listeners are attached once and routed to the
 * current exchange, so an idle socket that receives bytes or closes is noticed at once.
 */
export class ClientConnection {
  readonly socket: net.Socket;
  #owner: ConnectionOwner;
  #exchange: Exchange | null = null;
  #isClosed = false;
  /** Exchanges completed on this socket; a reused socket may turn out stale. */
  exchanges = 0;
  /** Idle timeout the server announced with `Keep-Alive: timeout=N`, or -1. */
  serverIdleTimeoutMs = -1;
  /**
   * Pool bookkeeping: closes this socket once it has been idle for the pool's idle time; the
   * deadline moves at each return to the pool without a timer operation (deadline-timer.ts).
   * The pool clears `isIdle` when it hands the socket out; the expiry acts only while idle.
   */
  readonly idleDeadline: DeadlineTimer = new DeadlineTimer(() => {
    if (this.isIdle) this.destroy();
  });
  isIdle = false;
  /**
   * The abort listener of every exchange on this socket: made once per connection, not per
   * request, it acts on the exchange running now.
   */
  readonly abortListener = (): void => {
    this.#exchange?.onSignalAbort();
  };
  /**
   * The wait for a response head, one per connection: moving a deadline per exchange costs no
   * timer object or timer-list operation (deadline-timer.ts). It counts only while an
   * exchange waits for its head.
   */
  readonly #headersDeadline: DeadlineTimer = new DeadlineTimer(() => {
    this.#exchange?.onHeadersTimeout();
  });
  /** Reads go into the shared buffer (lent-reads.ts) rather than 'data' events. */
  #isLent = false;

  constructor(socket: net.Socket, owner: ConnectionOwner) {
    this.socket = socket;
    this.#owner = owner;
    // A plain TCP socket reads into the buffer all sockets share (lent-reads.ts): no Buffer,
    // stream push, 'data' event or `nextTick` per response read. The parser copies what it
    // keeps past the call (response-parser.ts).
    const lent = lendReads(socket, this.#onLentRead);
    this.#isLent = lent.isLent;
    if (!lent.isLent) socket.on('data', this.#onData);
    else if (lent.buffered !== null && lent.buffered.length > 0) {
      // Bytes that came before any request: the connection is broken (see #onData).
      socket.destroy();
    }
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
    // Never ref'd while it belongs to the pool: a running exchange holds the process alive
    // through client-loop-hold.ts, with no native ref/unref call per request.
    socket.unref();
  }

  #onData = (chunk: Buffer): void => {
    if (this.#exchange !== null) this.#exchange.onData(chunk);
    else this.socket.destroy(); // RFC 9112 §9.3: bytes on an idle connection mean it is broken
  };

  /** `bytes` read into the shared `buf`, lent for this call only (`this` is the socket). */
  #onLentRead = (bytes: number, buf: Buffer): void => {
    if (this.#exchange !== null) this.#exchange.onData(lentView(buf, bytes), true);
    else this.socket.destroy();
  };

  #onEnd = (): void => {
    if (this.#exchange !== null) this.#exchange.onEnd();
    this.socket.destroy();
  };

  #onError = (err: Error): void => {
    this.#exchange?.onSocketError(err);
  };

  #onClose = (): void => {
    this.#isClosed = true;
    this.#headersDeadline.dispose();
    this.#exchange?.onSocketError(null);
    this.#owner.onClose(this);
  };

  /**
   * Hands the socket over to a tunnel (101 / 2xx to CONNECT): it leaves HTTP and the pool,
   * paused, with half-close allowed so closing the tunnel's writable only ends our side.
   */
  detach(ex: Exchange): net.Socket {
    const socket = this.socket;
    if (this.#exchange === ex) {
      this.#exchange = null;
      releaseLoop();
    }
    // The tunnel's owner gets an ordinary socket, one that keeps the process alive.
    socket.ref();
    // Its new owner reads 'data' events: a lent socket gets its readable side back (paused).
    if (this.#isLent) returnReads(socket);
    else socket.pause();
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('error', this.#onError);
    socket.removeListener('close', this.#onClose);
    socket.allowHalfOpen = true;
    this.#isClosed = true;
    this.#headersDeadline.dispose();
    this.#owner.onClose(this);
    return socket;
  }

  /** Starts the wait for a response head: `onHeadersTimeout` of the exchange after `ms`. */
  armHeadersTimer(ms: number): void {
    this.#headersDeadline.set(ms);
  }

  /** The head arrived (or the exchange ended): no timeout. */
  disarmHeadersTimer(): void {
    this.#headersDeadline.clear();
  }

  /** True when the socket can take a request now. */
  get isUsable(): boolean {
    return (
      !this.#isClosed &&
      this.#exchange === null &&
      !this.socket.destroyed &&
      !this.socket.readableEnded &&
      this.socket.writable
    );
  }

  get isBusy(): boolean {
    return this.#exchange !== null;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /**
   * Runs one exchange: `sink.resolve` gets the response once its head has arrived,
   * `sink.reject` an `RwsError`; one carrying `kRetry` means the request never reached a
   * live server.
   */
  run(req: PreparedRequest, options: ExchangeOptions, sink: ExchangeSink): void {
    // A sink rather than a promise: the pool already holds the caller's promise.
    holdLoop();
    this.#exchange = new Exchange(this, req, options, sink);
    this.#exchange.start();
  }

  /** Called by the exchange when it is over. */
  release(ex: Exchange, isReusable: boolean): void {
    if (this.#exchange !== ex) return;
    this.#exchange = null;
    releaseLoop();
    this.exchanges++;
    const canReuse = isReusable && this.isUsable;
    if (!canReuse) this.socket.destroy();
    this.#owner.onRelease(this, canReuse);
  }

  destroy(err?: RwsError): void {
    if (err !== undefined) this.#exchange?.fail(err);
    this.socket.destroy();
  }
}
