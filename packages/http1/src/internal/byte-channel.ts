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

/** Bytes queued from the socket before it is paused (the readable stream's high-water mark). */
export const READ_HIGH_WATER_MARK: number = 64 * 1024;

/** Where a tunnel made by `socketTunnel` keeps the way to its socket channel. */
export const kSocketChannel: unique symbol = Symbol('rws.http1.socketChannel');

/** One side of a bidirectional byte pipe. */
export interface ByteChannel {
  /** The next chunk from the peer, or null once it ended its side. Rejects if the connection closed first. */
  read(): Promise<Uint8Array | null>;
  /** Resolves once `chunk` is handed to the transport; waits while its buffer is full. */
  write(chunk: Uint8Array): Promise<void>;
  /** Ends our side (FIN / END_STREAM); the peer may still send. */
  end(): Promise<void>;
  /** Tears the whole connection (or stream) down. */
  destroy(): void;
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
    read: () => reader.read().then((r) => (r.done ? null : r.value)),
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
  const queue: Uint8Array[] = head !== null && head.byteLength > 0 ? [head] : [];
  let queuedBytes = queue.length === 0 ? 0 : (head as Uint8Array).byteLength;
  let isEnded = false;
  let failure: RwsError | null = null;
  let waiter: { resolve: (c: Uint8Array | null) => void; reject: (e: unknown) => void } | null =
    null;
  const settle = (): void => {
    const w = waiter;
    if (w === null) return;
    if (queue.length > 0) {
      waiter = null;
      w.resolve(take());
    } else if (isEnded || failure !== null) {
      waiter = null;
      if (failure !== null) w.reject(failure);
      else w.resolve(null);
    }
  };
  const take = (): Uint8Array => {
    const chunk = queue.shift() as Uint8Array;
    queuedBytes -= chunk.byteLength;
    return chunk;
  };
  socket.on('data', (chunk: Buffer) => {
    if (isEnded || failure !== null) return;
    queue.push(chunk);
    queuedBytes += chunk.byteLength;
    if (queuedBytes >= READ_HIGH_WATER_MARK) socket.pause();
    settle();
  });
  socket.on('end', () => {
    isEnded = true;
    settle();
  });
  socket.on('close', () => {
    if (!isEnded) {
      failure = new RwsError(
        ERROR_CODES.SOCKET_CLOSED,
        'the tunnel connection closed before its end',
      );
    }
    settle();
  });
  // A socket that went away before the channel existed has no events left to give.
  if (socket.destroyed) {
    if (socket.readableEnded) isEnded = true;
    else failure = socketClosed();
  }
  return {
    read() {
      if (queue.length > 0) {
        const chunk = take();
        if (queuedBytes < READ_HIGH_WATER_MARK && !socket.destroyed) socket.resume();
        return Promise.resolve(chunk);
      }
      if (failure !== null) return Promise.reject(failure);
      if (isEnded) return Promise.resolve(null);
      if (!socket.destroyed) socket.resume();
      return new Promise((resolve, reject) => {
        waiter = { resolve, reject };
      });
    },
    write(chunk) {
      if (socket.destroyed || socket.writableEnded) return Promise.reject(socketClosed());
      return socket.write(chunk) ? Promise.resolve() : waitForDrain(socket);
    },
    end: () => endSocket(socket),
    destroy: () => {
      socket.destroy();
    },
  };
}

function noop(): void {}
