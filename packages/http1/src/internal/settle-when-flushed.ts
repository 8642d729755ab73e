/**
 * `Request.onResponseSent` for HTTP/1.1: settled once every byte queued on the socket so far
 * has been handed to the kernel.
 */
import type { Socket } from 'node:net';
import type { H1Request } from './h1-request.js';

const EMPTY = Buffer.alloc(0);

interface AwaitingFlush {
  readonly socket: Socket;
  readonly req: H1Request;
  readonly bytes: number;
}

/** Responses whose last write had not completed when they ended, settled in the check phase. */
let awaiting: AwaitingFlush[] = [];

/**
 * Settles `req.onResponseSent` at once when the socket's buffer is empty (a write the kernel
 * took synchronously, as on plain TCP). Otherwise it looks again in the event loop's check
 * phase: on TLS, node's TLSWrap completes even a write the kernel took at once from a native
 * immediate, which runs before that phase, so the buffer is usually empty by then. Only bytes
 * still queued there (a peer that does not read) get an empty write with a callback queued
 * behind them, as node:http's 'finish' does. Doing that for every TLS response cost a second
 * trip through the stream per request: a buffered write, a write request, TLSWrap's
 * empty-write path (an `SSL_read`, an underlying write, another immediate).
 */
export function settleWhenFlushed(socket: Socket, req: H1Request, bytes: number): void {
  if (socket.writableLength === 0) {
    req.settleSent(bytes, true);
    return;
  }
  // One immediate for every response that ends in this turn of the loop.
  if (awaiting.length === 0) setImmediate(settleAwaiting);
  awaiting.push({ socket, req, bytes });
}

function settleAwaiting(): void {
  const batch = awaiting;
  awaiting = [];
  for (const { socket, req, bytes } of batch) {
    if (socket.writableLength === 0) req.settleSent(bytes, socket.errored === null);
    else if (socket.destroyed) req.settleSent(bytes, false);
    else socket.write(EMPTY, (err) => req.settleSent(bytes, err === null || err === undefined));
  }
}
