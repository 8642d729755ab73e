/**
 * The byte pipe the WebSocket codec reads and writes. Over a core `Tunnel` it is the tunnel's
 * web streams (h2/h3 streams, or any tunnel a middleware built); over a socket that left
 * HTTP/1.1 it is the socket itself, which saves the web-stream state (a stream pair, their
 * controllers, reader and writer: kilobytes per idle connection) and a promise chain per
 * chunk. The socket form keeps the same backpressure as the streams: reading pauses the socket
 * while `READ_HIGH_WATER_MARK` bytes wait, writing waits for 'drain'.
 */
import type { Socket } from 'node:net';
import { RwsError, type Tunnel } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { lendReads, lentView } from './lent-reads.js';

/** Bytes queued from the socket before it is paused (the readable stream's high-water mark). */
export const READ_HIGH_WATER_MARK: number = 64 * 1024;

/** Where a tunnel made by `socketTunnel` keeps the way to its socket channel. */
export const kSocketChannel: unique symbol = Symbol('rws.http1.socketChannel');

/**
 * Where a channel delivers what the peer sends. Pushed rather than pulled: a silent peer
 * costs no pending promise, resolver closures or suspended async function (issue #14).
 */
export interface ChannelSink<T> {
  /**
   * A chunk from the peer for `owner`. A returned promise holds the next chunk back until it
   * settles (the socket pauses once `READ_HIGH_WATER_MARK` bytes wait).
   */
  data(owner: T, chunk: Uint8Array): Promise<void> | undefined;
  /** Once, after the last chunk: the peer ended its side (no error) or the connection failed. */
  end(owner: T, error: unknown): void;
}

/** One side of a bidirectional byte pipe. */
export interface ByteChannel {
  /**
   * Starts delivering the peer's bytes to `sink` on behalf of `owner` (once per channel). One
   * sink object serves every channel, so a channel keeps no closure of its own.
   */
  listen<T>(owner: T, sink: ChannelSink<T>): void;
  /**
   * Hands `chunk` to the transport: null when it took it and has room for more (no promise
   * made, the common case on a socket), else a promise that resolves once writing may go on.
   */
  write(chunk: Uint8Array): Promise<void> | null;
  /** Ends our side (FIN / END_STREAM); the peer may still send. */
  end(): Promise<void>;
  /** Tears the whole connection (or stream) down. */
  destroy(): void;
  /**
   * True when the chunks it delivers are held by nobody else (fresh socket reads), so the
   * reader may change them in place; false for a tunnel's streams, whose chunks may be shared.
   */
  readonly ownsChunks: boolean;
  /**
   * True when a chunk is only lent for the length of the `data` call (a socket reading into
   * a buffer shared by all sockets, see lent-reads.ts): the sink copies whatever it keeps.
   */
  readonly lendsChunks: boolean;
}

/** A tunnel that can hand out its socket as a channel instead of web streams. */
interface SocketBackedTunnel extends Tunnel {
  readonly [kSocketChannel]?: () => ByteChannel | null;
}

/** The channel for `tunnel`: its socket when it has one not yet used as streams, else its streams. */
export function tunnelChannel(tunnel: Tunnel): ByteChannel {
  return (tunnel as SocketBackedTunnel)[kSocketChannel]?.() ?? streamChannel(tunnel);
}

function streamChannel(tunnel: Tunnel): ByteChannel {
  const reader = tunnel.readable.getReader();
  const writer = tunnel.writable.getWriter();
  writer.closed.catch(noop);
  return {
    ownsChunks: false,
    lendsChunks: false,
    listen: (owner, sink) => {
      void (async () => {
        try {
          for (;;) {
            const r = await reader.read();
            if (r.done) break;
            await sink.data(owner, r.value);
          }
        } catch (err) {
          sink.end(owner, err);
          return;
        }
        sink.end(owner, undefined);
      })();
    },
    write: (chunk) => writer.write(chunk),
    end: () => writer.close(),
    destroy: () => {
      reader.cancel().catch(noop);
      writer.abort().catch(noop);
    },
  };
}

/** Waits until a write can go on: 'drain', or a rejection if the socket closes first. */
export function waitForDrain(socket: Socket): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      socket.removeListener('drain', done);
      socket.removeListener('close', closed);
      resolve();
    };
    const closed = (): void => {
      socket.removeListener('drain', done);
      reject(socketClosed());
    };
    socket.once('drain', done);
    socket.once('close', closed);
  });
}

/** Half-closes `socket` (FIN); resolves once the FIN is queued or the socket went away. */
export function endSocket(socket: Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.destroyed || socket.writableFinished) {
      resolve();
      return;
    }
    const done = (): void => {
      socket.removeListener('close', done);
      resolve();
    };
    socket.once('close', done);
    socket.end(done);
  });
}

export function socketClosed(): RwsError {
  return new RwsError(ERROR_CODES.SOCKET_CLOSED, 'the tunnel connection is closed');
}

/**
 * A channel straight on `socket` (paused, its HTTP listeners removed), starting with `head`
 * (bytes read past the HTTP head). The socket must allow half-open connections.
 */
export function socketChannel(socket: Socket, head: Uint8Array | null): ByteChannel {
  return new SocketChannel(socket, head);
}

/** Where a socket's listeners find their channel: one shared listener set for all sockets. */
const kChannel: unique symbol = Symbol('rws.http1.channel');
type ChannelSocket = Socket & { [kChannel]?: SocketChannel };

// Set by SocketChannel's static block: the shared listeners reach its private state.
let channelData: (ch: SocketChannel, chunk: Buffer, isLent: boolean) => void;
let channelEnd: (ch: SocketChannel) => void;
let channelClose: (ch: SocketChannel) => void;
let channelResume: (ch: SocketChannel) => void;

/**
 * A class with listeners shared by every socket rather than a closure per callback: an idle
 * WebSocket keeps one small object here instead of a dozen closures and their context
 * (issue #14).
 */
class SocketChannel implements ByteChannel {
  readonly #socket: Socket;
  get ownsChunks(): boolean {
    return true;
  }
  /** Reads come through `onLentRead` into the shared buffer rather than as 'data' events. */
  readonly lendsChunks: boolean;
  #queue: Uint8Array[] | null = null;
  #queuedBytes = 0;
  #isEnded = false;
  #failure: RwsError | null = null;
  #owner: unknown = null;
  #sink: ChannelSink<unknown> | null = null;
  /** True while the sink works on a chunk (its promise has not settled). */
  #isBusy = false;
  #isEndSent = false;

  constructor(socket: Socket, head: Uint8Array | null) {
    this.#socket = socket;
    if (head !== null && head.byteLength > 0) this.#push(head, false);
    (socket as ChannelSocket)[kChannel] = this;
    const lent = lendReads(socket, onLentRead);
    this.lendsChunks = lent.isLent;
    if (lent.buffered !== null && lent.buffered.byteLength > 0) this.#push(lent.buffered, false);
    if (!lent.isLent) socket.on('data', onChannelData);
    socket.on('end', onChannelEnd);
    socket.on('close', onChannelClose);
    // A socket that went away before the channel existed has no events left to give.
    if (socket.destroyed) {
      if (socket.readableEnded) this.#isEnded = true;
      else this.#failure = socketClosed();
    }
  }

  static {
    channelData = (ch, chunk, isLent) => {
      if (ch.#isEnded || ch.#failure !== null) return;
      const sink = ch.#sink;
      if (ch.#queue === null && !ch.#isBusy && sink !== null) {
        // Nothing waits before it: straight to the reader, with no queue array per chunk.
        const pending = sink.data(ch.#owner, chunk);
        if (pending !== undefined) {
          ch.#isBusy = true;
          const resume = (): void => channelResume(ch);
          pending.then(resume, resume);
        }
        return;
      }
      ch.#push(chunk, isLent);
      if (ch.#queuedBytes >= READ_HIGH_WATER_MARK) ch.#socket.pause();
      ch.#pump();
    };
    channelResume = (ch) => {
      ch.#isBusy = false;
      ch.#pump();
    };
    channelEnd = (ch) => {
      ch.#isEnded = true;
      ch.#pump();
    };
    channelClose = (ch) => {
      if (!ch.#isEnded) {
        ch.#failure = new RwsError(
          ERROR_CODES.SOCKET_CLOSED,
          'the tunnel connection closed before its end',
        );
      }
      ch.#pump();
    };
  }

  listen<T>(owner: T, sink: ChannelSink<T>): void {
    this.#owner = owner;
    this.#sink = sink as ChannelSink<unknown>;
    this.#pump();
  }

  write(chunk: Uint8Array): Promise<void> | null {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return Promise.reject(socketClosed());
    return socket.write(chunk) ? null : waitForDrain(socket);
  }

  end(): Promise<void> {
    return endSocket(this.#socket);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  // The queue is null while empty: an idle socket keeps no array.
  #push(chunk: Uint8Array, isLent: boolean): void {
    // A lent chunk is overwritten by the next read: the queue keeps a copy.
    if (isLent) chunk = Buffer.from(chunk);
    if (this.#queue === null) this.#queue = [chunk];
    else this.#queue.push(chunk);
    this.#queuedBytes += chunk.byteLength;
  }

  #take(): Uint8Array {
    const queue = this.#queue as Uint8Array[];
    const chunk = queue.shift() as Uint8Array;
    if (queue.length === 0) this.#queue = null;
    this.#queuedBytes -= chunk.byteLength;
    return chunk;
  }

  /** Hands queued chunks to the sink until it is busy, then the end once all went. */
  #pump(): void {
    const sink = this.#sink;
    if (sink === null || this.#isBusy) return;
    const socket = this.#socket;
    while (this.#queue !== null) {
      const pending = sink.data(this.#owner, this.#take());
      if (pending !== undefined) {
        this.#isBusy = true;
        if (this.#queuedBytes < READ_HIGH_WATER_MARK && !socket.destroyed) socket.resume();
        const resume = (): void => channelResume(this);
        pending.then(resume, resume);
        return;
      }
    }
    if (this.#isEndSent) return;
    if (this.#failure !== null || this.#isEnded) {
      this.#isEndSent = true;
      sink.end(this.#owner, this.#failure ?? undefined);
      return;
    }
    if (!socket.destroyed) socket.resume();
  }
}

function onChannelData(this: ChannelSocket, chunk: Buffer): void {
  const ch = this[kChannel];
  if (ch !== undefined) channelData(ch, chunk, false);
}

/** A read into the shared buffer (see lent-reads.ts): `bytes` at its start are this socket's. */
function onLentRead(this: Socket, bytes: number, buf: Buffer): void {
  const ch = (this as ChannelSocket)[kChannel];
  if (ch === undefined) return;
  channelData(ch, lentView(buf, bytes), true);
}

function onChannelEnd(this: ChannelSocket): void {
  const ch = this[kChannel];
  if (ch !== undefined) channelEnd(ch);
}

function onChannelClose(this: ChannelSocket): void {
  const ch = this[kChannel];
  if (ch !== undefined) channelClose(ch);
}

function noop(): void {}
