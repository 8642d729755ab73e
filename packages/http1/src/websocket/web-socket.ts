import { Buffer } from 'node:buffer';
import { isPromise, RwsError, type Tunnel } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { type ByteChannel, type ChannelSink, tunnelChannel } from '../internal/byte-channel.js';
import { checkedCloseReason, encodeClosePayload, parseClosePayload } from './close-payload.js';
import { type Frame, FrameParser } from './frame-parser.js';
import { FrameSender, noop, RESOLVED } from './frame-sender.js';
import { keepaliveClock } from './keepalive-clock.js';
import { MessageAssembly, wholeMessageOf } from './message-assembly.js';
import { compressedLimit, parserOptions } from './message-parts.js';
import { MessageQueue } from './message-queue.js';
import { OPCODE } from './opcodes.js';
import type { PerMessageDeflate } from './permessage-deflate.js';
import { ProtocolError } from './protocol-error.js';
import type {
  CloseInfo,
  WebSocketMessage,
  WebSocketOptions,
  WebSocketSettings,
} from './web-socket-types.js';

export type {
  CloseInfo,
  WebSocketHandlers,
  WebSocketMessage,
  WebSocketOptions,
  WebSocketSettings,
} from './web-socket-types.js';

/** Writes one unmasked frame (one buffer, not copied per socket) to each open member but
 * `except`, with no getter or call per member; promises only for those waiting. Internal. */
export let writeToMembers: (
  members: Iterable<WebSocket>,
  frame: Uint8Array,
  except?: WebSocket,
) => {
  written: number;
  waits: Promise<void>[] | null;
};

/**
 * Puts a socket in a group it leaves when it finishes (the sockets a server shutdown closes),
 * without a promise reaction per socket. Internal: not exported from the package.
 */
export let joinGroup: (ws: WebSocket, group: Set<WebSocket>) => void;

/** Takes a socket out of a group it joined. Internal: not exported from the package. */
export let leaveGroup: (ws: WebSocket, group: Set<WebSocket>) => void;

/** Read (and cleared) by the next WebSocket constructed; see `withSettings`. */
let sharedSettings: WebSocketSettings | null = null;

/**
 * Makes a socket that reads its handlers and timings from `settings`, an object the caller
 * already has (the route's options), rather than from a copy in `options`. Internal.
 */
export function withSettings(
  tunnel: Tunnel,
  options: WebSocketOptions,
  settings: WebSocketSettings,
): WebSocket {
  sharedSettings = settings;
  try {
    return new WebSocket(tunnel, options);
  } finally {
    sharedSettings = null;
  }
}

/** Set by WebSocket's static block: what a keepalive tick does to a socket. */
let keepalive: (ws: WebSocket) => void;

/** Set by WebSocket's static block: where every socket's channel delivers (no closures per socket). */
let reader: ChannelSink<WebSocket>;

const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const EMPTY = new Uint8Array(0);
/** Client frames are masked per frame: one shared frame cannot serve them. */
const SHARED_FRAME_REFUSED = 'only server sockets take shared frames';

/**
 * One end of a WebSocket connection (RFC 6455) over a core `Tunnel`, so it runs on any
 * transport that yields one: an HTTP/1.1 101 upgrade, an h2/h3 extended CONNECT stream, or a
 * client's 101. Created by `upgradeWebSocket` and `connectWebSocket`.
 *
 * Messages arrive through `onMessage` or by async iteration (`for await (const m of ws)`);
 * iteration pauses reading from the peer while 16 messages wait, so a slow consumer holds
 * the sender back. `send()` resolves once the frame is handed to the socket and waits while
 * the socket's buffer is full.
 */
export class WebSocket implements AsyncIterable<WebSocketMessage> {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;

  /** The negotiated subprotocol, or ''. */
  readonly protocol: string;
  /** The negotiated extensions (Sec-WebSocket-Extensions), or ''. */
  readonly extensions: string;

  readonly #options: WebSocketSettings;
  /** The tunnel's bytes: its socket on HTTP/1.1, its web streams elsewhere. */
  readonly #io: ByteChannel;
  readonly #parser: FrameParser;
  readonly #deflate: PerMessageDeflate | null;
  readonly #maxMessageBytes: number;
  /** Frames out, in order: writes, compression, the bytes still buffered. */
  readonly #out: FrameSender;
  /** Chunks are lent (see ByteChannel.lendsChunks): payloads kept past the chunk are copied. */
  readonly #isLent: boolean;
  #state: number = WebSocket.OPEN;
  // `closed` is made when first asked for: most sockets never are (issue #14).
  #closed: Promise<CloseInfo> | null = null;
  #resolveClosed: ((info: CloseInfo) => void) | null = null;
  #closeInfo: CloseInfo | null = null;
  /** The Close frame received from the peer, once it arrived. */
  #peerClose: { code: number; reason: string } | null = null;
  #isCloseSent = false;
  #closeTimer: NodeJS.Timeout | null = null;
  /** Passed over by one tick of the keepalive clock, so the first Ping comes 1-2 intervals in. */
  #isPingArmed = false;
  /** The keepalive clock's set (a field of its own: most sockets are in a drain group too). */
  #clock: Set<WebSocket> | null = null;
  #pongTimer: NodeJS.Timeout | null = null;
  /** The sets this socket leaves when it finishes: topics and the server's drain group. */
  #groups: Set<WebSocket> | Set<WebSocket>[] | null = null;
  /** Fragments of the message under way; made for the first fragmented or compressed one. */
  #assembly: MessageAssembly | null = null;
  /** Messages for async iteration; made for the first iteration or queued message. */
  #queue: MessageQueue | null = null;
  #onHandlerRejected: ((err: unknown) => void) | null = null;

  constructor(tunnel: Tunnel, options: WebSocketOptions) {
    // The handlers and timings: the route's own options object when upgradeWebSocket made this
    // socket (no copy per socket), else `options`.
    const settings = sharedSettings ?? options;
    sharedSettings = null;
    this.#options = settings;
    this.protocol = options.protocol ?? '';
    this.extensions = options.extensions ?? '';
    this.#deflate = options.deflate ?? null;
    this.#maxMessageBytes = settings.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#io = tunnelChannel(tunnel);
    this.#out = new FrameSender(this.#io, !options.isServer, this.#deflate);
    this.#isLent = this.#io.lendsChunks;
    this.#parser = new FrameParser(
      parserOptions(
        options.isServer,
        // A compressed frame may be slightly larger than its inflated message.
        this.#deflate === null ? this.#maxMessageBytes : compressedLimit(this.#maxMessageBytes),
        this.#deflate !== null,
      ),
      // Socket reads are ours alone: payloads are unmasked in place, without a copy.
      this.#io.ownsChunks,
    );
    const interval = settings.pingIntervalMs ?? (options.isServer ? 30_000 : 0);
    if (interval > 0) {
      // One timer per interval for every socket: no Timeout per socket (issue #14).
      const clock = keepaliveClock(interval, keepalive);
      clock.add(this);
      this.#clock = clock;
    }
    this.#io.listen(this, reader);
  }

  /** Resolves once the connection has ended (never rejects). */
  get closed(): Promise<CloseInfo> {
    if (this.#closed === null) {
      const info = this.#closeInfo;
      this.#closed =
        info !== null
          ? Promise.resolve(info)
          : new Promise<CloseInfo>((resolve) => {
              this.#resolveClosed = resolve;
            });
    }
    return this.#closed;
  }

  /** CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3), as in the browser API. */
  get readyState(): number {
    return this.#state;
  }

  /** Bytes passed to `send()` and not yet handed to the socket. */
  get bufferedAmount(): number {
    return this.#out.bufferedBytes;
  }

  /**
   * Sends a text (string) or binary (bytes) message. Resolves when the frame is handed to the
   * socket; waits while the socket's write buffer is full (backpressure). Rejects with
   * `RWS_HTTP1_WS_NOT_OPEN` once closing has begun.
   */
  send(data: WebSocketMessage): Promise<void> {
    if (this.#state !== WebSocket.OPEN) return Promise.reject(notOpen('send'));
    const opcode = typeof data === 'string' ? OPCODE.TEXT : OPCODE.BINARY;
    return this.#out.send(opcode, data, this.#options.deflateThresholdBytes);
  }

  /** Sends a Ping with up to 125 bytes of payload; the peer answers with a Pong. */
  ping(data: WebSocketMessage = EMPTY): Promise<void> {
    if (this.#state !== WebSocket.OPEN) return Promise.reject(notOpen('ping'));
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    if (payload.byteLength > 125) {
      return Promise.reject(
        new RwsError(ERROR_CODES.WS_INVALID_ARGUMENT, 'a ping payload is at most 125 bytes'),
      );
    }
    return this.#out.control(OPCODE.PING, payload);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2) with `code` (1000, 1001-1003, 1007-1014
   * or 3000-4999) and a reason of at most 123 bytes, and resolves once the connection has
   * ended. The connection is dropped when the peer does not answer within `closeTimeoutMs`.
   * Closing a socket that is already closing just waits.
   */
  close(code = 1000, reason = ''): Promise<CloseInfo> {
    const reasonBytes = checkedCloseReason(code, reason);
    if (this.#state !== WebSocket.OPEN) return this.closed;
    this.#state = WebSocket.CLOSING;
    this.#sendClose(code, reasonBytes);
    this.#startCloseTimer();
    this.#queue?.wakeReader();
    return this.closed;
  }

  /** Drops the connection at once, without a closing handshake (close code 1006). */
  terminate(): void {
    this.#finish(1006, '', false);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WebSocketMessage> {
    const queue = (this.#queue ??= new MessageQueue());
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#state === WebSocket.CLOSED || this.#peerClose !== null) return;
      await queue.nextMessage();
    }
  }

  // ---- closing and keepalive (frames go out through #out, frame-sender.ts) -------------

  #sendClose(code: number, reason: Uint8Array): void {
    if (this.#isCloseSent) return;
    this.#isCloseSent = true;
    this.#out.control(OPCODE.CLOSE, encodeClosePayload(code, reason)).catch(noop);
  }

  /**
   * Ends our side once the frames queued are out: the server ends the TCP connection first
   * (RFC 6455 §7.1.1) once both Close frames crossed, and a failed connection after its Close.
   */
  #endOurSide(): Promise<void> {
    return this.#out
      .flushed()
      .then(() => this.#io.end())
      .catch(noop);
  }

  #startCloseTimer(): void {
    if (this.#closeTimer !== null) return;
    this.#closeTimer = setTimeout(() => {
      const peer = this.#peerClose;
      this.#finish(peer?.code ?? 1006, peer?.reason ?? '', false);
    }, this.#options.closeTimeoutMs ?? 5000);
    this.#closeTimer.unref();
  }

  #keepalive(): void {
    if (this.#state !== WebSocket.OPEN || this.#pongTimer !== null) return;
    this.#pongTimer = setTimeout(() => {
      this.#options.onError?.(new Error('no pong within pongTimeoutMs'), this);
      this.#finish(1006, 'pong timeout', false);
    }, this.#options.pongTimeoutMs ?? 10_000);
    this.#pongTimer.unref();
    this.#out.control(OPCODE.PING, EMPTY).catch(noop);
  }

  // ---- reading -------------------------------------------------------------------------

  /** A chunk from the peer; a promise while a frame needs async work. */
  #onChunk(chunk: Uint8Array): Promise<void> | undefined {
    // Nothing may follow a Close frame; nothing is read once closed.
    if (this.#state === WebSocket.CLOSED || this.#peerClose !== null) return undefined;
    this.#parser.feed(chunk);
    const pending = this.#consume();
    // The chunk's memory is reused by the next read: the parser copies what it still holds.
    if (this.#isLent) this.#parser.release();
    return pending;
  }

  /** The peer ended its side, or the connection failed. */
  #onEnd(error: unknown): void {
    const peer = this.#peerClose;
    if (error === undefined) {
      if (peer !== null && this.#isCloseSent) this.#finish(peer.code, peer.reason, true);
      else this.#finish(1006, '', false);
    } else this.#readFailed(error);
  }

  /**
   * Handles the frames of one chunk in order, synchronously while it can: an idle socket
   * waits on nothing. Returns a promise only when a frame needs async work (inflation, a
   * full message queue); the rest of the chunk's frames follow once it settled.
   */
  #consume(): Promise<void> | undefined {
    try {
      for (;;) {
        const frame = this.#parser.next();
        if (frame === null) return undefined;
        const pending = this.#onFrame(frame);
        if (pending !== undefined) {
          return pending.then(
            () => (this.#isReading() ? this.#consume() : undefined),
            (err: unknown) => this.#readFailed(err),
          );
        }
        if (!this.#isReading()) return undefined;
      }
    } catch (err) {
      this.#readFailed(err);
      return undefined;
    }
  }

  #isReading(): boolean {
    return this.#peerClose === null && this.#state !== WebSocket.CLOSED;
  }

  #readFailed(err: unknown): void {
    if (err instanceof ProtocolError) this.#fail(err);
    else this.#finish(this.#peerClose?.code ?? 1006, this.#peerClose?.reason ?? '', false);
  }

  #onFrame(frame: Frame): Promise<void> | undefined {
    switch (frame.opcode) {
      case OPCODE.PING:
        if (this.#state === WebSocket.OPEN)
          this.#out.control(OPCODE.PONG, frame.payload).catch(noop);
        return undefined;
      case OPCODE.PONG:
        if (this.#pongTimer !== null) clearTimeout(this.#pongTimer);
        this.#pongTimer = null;
        return undefined;
      case OPCODE.CLOSE:
        this.#onClose(frame.payload);
        return undefined;
      default:
        return this.#onData(frame);
    }
  }

  /** Throws a ProtocolError for a violation; a promise only while inflating or held back. */
  #onData(frame: Frame): Promise<void> | undefined {
    if (frame.fin && !frame.rsv1 && frame.opcode !== OPCODE.CONTINUATION) {
      const message = wholeMessageOf(frame, this.#maxMessageBytes, this.#isLent);
      if (this.#state !== WebSocket.OPEN) return undefined; // we are closing: drop late messages
      return this.#deliver(message);
    }
    this.#assembly ??= new MessageAssembly(this.#maxMessageBytes, this.#deflate, this.#isLent);
    const message = this.#assembly.add(frame);
    if (message === null) return undefined;
    if (message instanceof Promise) {
      // We are closing once it has inflated: late messages are dropped.
      return message.then((m) => (this.#state === WebSocket.OPEN ? this.#deliver(m) : undefined));
    }
    if (this.#state !== WebSocket.OPEN) return undefined; // we are closing: drop late messages
    return this.#deliver(message);
  }

  /** Hands a message over; a promise while the iteration queue is full (backpressure). */
  #deliver(message: WebSocketMessage): Promise<void> | undefined {
    const onMessage = this.#options.onMessage;
    if (onMessage !== undefined) {
      try {
        const result = onMessage(message, this);
        // `send()` answers a write the socket took at once with RESOLVED, which never
        // rejects: the usual `(m, ws) => ws.send(m)` costs no reaction and no microtask.
        if (result !== RESOLVED && isPromise(result)) {
          // One rejection handler per socket, made the first time a handler returns a promise.
          result.then(undefined, (this.#onHandlerRejected ??= (err) => this.#handlerFailed(err)));
        }
      } catch (err) {
        this.#handlerFailed(err);
      }
      return undefined;
    }
    const queue = (this.#queue ??= new MessageQueue());
    // Backpressure while open; once closing, reading must go on to see the peer's Close.
    return queue.push(message) && this.#state === WebSocket.OPEN
      ? queue.room(() => this.#state === WebSocket.OPEN)
      : undefined;
  }

  #handlerFailed(err: unknown): void {
    this.#options.onError?.(err, this);
    if (this.#state === WebSocket.OPEN) this.close(1011, 'internal error').catch(noop);
  }

  #onClose(payload: Uint8Array): void {
    const { code, reason } = parseClosePayload(payload);
    this.#peerClose = { code, reason };
    // Echo the peer's code (RFC 6455 §5.5.1) unless we already sent our own Close.
    if (this.#state === WebSocket.OPEN) {
      this.#state = WebSocket.CLOSING;
      this.#sendClose(code, Buffer.from(reason));
    }
    this.#queue?.wakeConsumer();
    this.#startCloseTimer();
    if (!this.#out.isMasked) void this.#endOurSide();
  }

  /** _Fail the WebSocket Connection_ (RFC 6455 §7.1.7): send Close with the code, then drop. */
  #fail(err: ProtocolError): void {
    if (this.#state === WebSocket.CLOSED) return;
    this.#options.onError?.(err, this);
    this.#state = WebSocket.CLOSING;
    this.#sendClose(err.closeCode, Buffer.from(err.message.slice(0, 123)));
    const finish = (): void => this.#finish(err.closeCode, err.message, false);
    const timer = setTimeout(finish, this.#options.closeTimeoutMs ?? 5000);
    timer.unref();
    void this.#endOurSide().then(() => {
      clearTimeout(timer);
      finish();
    });
  }

  #finish(code: number, reason: string, wasClean: boolean): void {
    if (this.#state === WebSocket.CLOSED) return;
    this.#state = WebSocket.CLOSED;
    this.#clock?.delete(this);
    this.#clock = null;
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer);
    if (this.#pongTimer !== null) clearTimeout(this.#pongTimer);
    this.#io.destroy();
    this.#deflate?.close();
    const groups = this.#groups;
    this.#groups = null;
    if (Array.isArray(groups)) for (const g of groups) g.delete(this);
    else groups?.delete(this);
    this.#queue?.wakeConsumer();
    this.#queue?.wakeReader();
    const info: CloseInfo = { code, reason, wasClean };
    this.#closeInfo = info;
    this.#resolveClosed?.(info);
    this.#resolveClosed = null;
    try {
      this.#options.onClose?.(info, this);
    } catch (err) {
      this.#options.onError?.(err, this);
    }
  }

  static {
    reader = { data: (ws, chunk) => ws.#onChunk(chunk), end: (ws, error) => ws.#onEnd(error) };
    keepalive = (ws) => {
      if (ws.#isPingArmed) ws.#keepalive();
      else ws.#isPingArmed = true;
    };
    joinGroup = (ws, group) => {
      if (ws.#state === WebSocket.CLOSED || group.has(ws)) return;
      group.add(ws);
      const groups = ws.#groups;
      if (groups === null) ws.#groups = group;
      else if (Array.isArray(groups)) groups.push(group);
      else ws.#groups = [groups, group];
    };
    leaveGroup = (ws, group) => {
      if (!group.delete(ws)) return;
      const groups = ws.#groups;
      if (groups === group) ws.#groups = null;
      else if (Array.isArray(groups)) groups.splice(groups.indexOf(group), 1);
    };
    writeToMembers = (members, frame, except) => {
      let written = 0;
      let waits: Promise<void>[] | null = null;
      for (const ws of members) {
        if (ws === except || ws.#state !== WebSocket.OPEN) continue;
        const out = ws.#out;
        const pending = out.isMasked
          ? Promise.reject(new RwsError(ERROR_CODES.WS_INVALID_ARGUMENT, SHARED_FRAME_REFUSED))
          : out.sendShared(frame);
        if (pending === null) written++;
        else (waits ??= []).push(pending);
      }
      return { written, waits };
    };
  }
}

function notOpen(what: string): RwsError {
  return new RwsError(
    ERROR_CODES.WS_NOT_OPEN,
    `cannot ${what}: the WebSocket is closing or closed`,
  );
}
