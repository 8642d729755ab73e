/**
 * A core `Tunnel` (web streams both ways) over a socket that has left HTTP: an accepted
 * Upgrade or CONNECT on the server, a 101 / 2xx-to-CONNECT on the client. Backpressure runs
 * both ways: the socket is paused while the readable's queue is full, and writes wait for
 * 'drain'. The streams are made on first use: the WebSocket codec of this package takes the
 * socket as a `ByteChannel` instead (see byte-channel.ts) and never needs them.
 */
import type { Socket } from 'node:net';
import { RwsError, type Tunnel } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import {
  type ByteChannel,
  endSocket,
  kSocketChannel,
  READ_HIGH_WATER_MARK,
  socketChannel,
  socketClosed,
  waitForDrain,
} from './byte-channel.js';

/**
 * Wraps `socket` (paused, its HTTP listeners removed) and `head` (bytes already read past the
 * HTTP head, which belong to the new protocol). The socket must allow half-open connections:
 * closing the writable ends our side only.
 */
export function socketTunnel(socket: Socket, head: Uint8Array | null): Tunnel {
  let readable: ReadableStream<Uint8Array> | null = null;
  let writable: WritableStream<Uint8Array> | null = null;
  let isChannelTaken = false;
  const owned = (): void => {
    if (isChannelTaken) {
      throw new RwsError(
        ERROR_CODES.UPGRADE_UNAVAILABLE,
        'the tunnel is read and written by a WebSocket; its streams are not available',
      );
    }
  };
  socket.on('error', noop);
  return {
    get readable(): ReadableStream<Uint8Array> {
      owned();
      readable ??= socketReadable(socket, head);
      return readable;
    },
    get writable(): WritableStream<Uint8Array> {
      owned();
      writable ??= socketWritable(socket);
      return writable;
    },
    [kSocketChannel]: (): ByteChannel | null => {
      if (isChannelTaken || readable !== null || writable !== null) return null;
      isChannelTaken = true;
      return socketChannel(socket, head);
    },
  } as Tunnel;
}

function socketReadable(socket: Socket, head: Uint8Array | null): ReadableStream<Uint8Array> {
  let isReadDone = false;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (head !== null && head.byteLength > 0) controller.enqueue(head);
        // Made after the socket went away: no events are left to give.
        if (socket.destroyed) {
          isReadDone = true;
          if (socket.readableEnded) controller.close();
          else controller.error(socketClosed());
          return;
        }
        socket.on('data', (chunk: Buffer) => {
          if (isReadDone) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) socket.pause();
        });
        socket.on('end', () => {
          if (isReadDone) return;
          isReadDone = true;
          controller.close();
        });
        socket.on('close', () => {
          if (isReadDone) return;
          isReadDone = true;
          controller.error(
            new RwsError(ERROR_CODES.SOCKET_CLOSED, 'the tunnel connection closed before its end'),
          );
        });
      },
      pull() {
        if (!socket.destroyed) socket.resume();
      },
      cancel() {
        isReadDone = true;
        socket.destroy();
      },
    },
    { highWaterMark: READ_HIGH_WATER_MARK, size: (chunk) => chunk.byteLength },
  );
}

function socketWritable(socket: Socket): WritableStream<Uint8Array> {
  return new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed) throw socketClosed();
      if (socket.write(chunk)) return undefined;
      return waitForDrain(socket);
    },
    // Half-close: the peer sees FIN and may still send (allowHalfOpen).
    close: () => endSocket(socket),
    abort() {
      socket.destroy();
    },
  });
}

function noop(): void {}
