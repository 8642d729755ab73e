/**
 * A core `Tunnel` (web streams both ways) over a socket that has left HTTP: an accepted
 * Upgrade or CONNECT on the server, a 101 / 2xx-to-CONNECT on the client. Backpressure runs
 * both ways: the socket is paused while the readable's queue is full, and writes wait for
 * 'drain'.
 */
import type { Socket } from 'node:net';
import { RwsError, type Tunnel } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** Bytes queued in the readable before the socket is paused. */
const READ_HIGH_WATER_MARK = 64 * 1024;

/**
 * Wraps `socket` (paused, its HTTP listeners removed) and `head` (bytes already read past the
 * HTTP head, which belong to the new protocol). The socket must allow half-open connections:
 * closing the writable ends our side only.
 */
export function socketTunnel(socket: Socket, head: Uint8Array | null): Tunnel {
  let isReadDone = false;
  const readable = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (head !== null && head.byteLength > 0) controller.enqueue(head);
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
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      if (socket.destroyed) {
        throw new RwsError(ERROR_CODES.SOCKET_CLOSED, 'the tunnel connection is closed');
      }
      if (socket.write(chunk)) return undefined;
      return new Promise<void>((resolve, reject) => {
        const done = (): void => {
          socket.removeListener('drain', done);
          socket.removeListener('close', closed);
          resolve();
        };
        const closed = (): void => {
          socket.removeListener('drain', done);
          reject(new RwsError(ERROR_CODES.SOCKET_CLOSED, 'the tunnel connection is closed'));
        };
        socket.once('drain', done);
        socket.once('close', closed);
      });
    },
    close() {
      // Half-close: the peer sees FIN and may still send (allowHalfOpen).
      return new Promise<void>((resolve) => {
        if (socket.destroyed || socket.writableFinished) {
          resolve();
          return;
        }
        // 'finish' once the FIN is queued; 'close' if the socket goes away first.
        const done = (): void => {
          socket.removeListener('close', done);
          resolve();
        };
        socket.once('close', done);
        socket.end(done);
      });
    },
    abort() {
      socket.destroy();
    },
  });
  socket.on('error', noop);
  return { readable, writable };
}

function noop(): void {}
