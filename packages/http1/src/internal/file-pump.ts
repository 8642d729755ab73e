/**
 * Sending a file range on a server connection (issue #11, large files). Node has no `sendfile`
 * for sockets, so every byte is read into user memory and written to the socket. Two things
 * keep that cheap:
 *
 * - Double buffering: the next chunk is read (threadpool) while the current one is written, one
 *   read and one write in flight per response, so the socket rarely waits on the disk and the
 *   memory per response stays at two chunks.
 * - Reused buffers: chunks are read into 1 MiB buffers kept in a small process-wide pool
 *   instead of a fresh buffer per read. With `fs.ReadStream` a 100 MiB download allocated 100
 *   buffers of 1 MiB outside the V8 heap; that external memory made V8 run full mark-compact
 *   collections, about a third of the main thread's busy time in a CPU profile of the
 *   download (tooling/bench README, "Where one request goes"), and every fresh buffer's pages
 *   were faulted in again.
 *
 * A buffer is reused only after the write of its chunk has completed (the socket's write
 * callback or 'drain': the bytes are in the kernel, or encrypted by TLS). On a closed
 * connection or an error the buffers in flight are dropped, not pooled.
 */
import type { FileHandle } from 'node:fs/promises';
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { armSendTimeout } from './connection-deadline.js';
import { ST_CLOSED } from './connection-state.js';
import type { ServerConnection } from './server-connection.js';

/** Bytes per read: each read is a threadpool round trip, so reads are large. */
export const FILE_CHUNK_BYTES: number = 1024 * 1024;
/** Idle chunk buffers kept for later responses (8 MiB at most). */
const MAX_IDLE_BUFFERS = 8;
const idle: Buffer[] = [];

/** A chunk buffer: a pooled one, else a new one no larger than the range needs. */
function takeBuffer(left: number): Buffer {
  return idle.pop() ?? Buffer.allocUnsafeSlow(Math.min(FILE_CHUNK_BYTES, left));
}

function giveBack(buf: Buffer | null): void {
  if (buf !== null && buf.byteLength === FILE_CHUNK_BYTES && idle.length < MAX_IDLE_BUFFERS) {
    idle.push(buf);
  }
}

/** Idle pooled buffers (for tests). */
export function idleFileBuffers(): number {
  return idle.length;
}

/**
 * Writes `length` bytes of `handle` from `start` as the body of the current response (its head
 * is already written), then ends the response. Read errors and a file that shrank are reported
 * and close the connection: the head promised `length` bytes. The caller closes `handle`.
 */
export async function sendFileRange(
  c: ServerConnection,
  handle: FileHandle,
  start: number,
  length: number,
): Promise<void> {
  let current: Buffer | null = takeBuffer(length);
  let other: Buffer | null = null;
  let pos = start;
  let left = length;
  let readError: unknown = null;
  const failed = (err: unknown): number => {
    readError = err;
    return -1;
  };
  let n = await read(handle, current, pos, left).catch(failed);
  for (;;) {
    if (c.state === ST_CLOSED) return;
    if (n <= 0) {
      fail(c, readError);
      return;
    }
    pos += n;
    left -= n;
    c.sentBytes += n;
    const writing = write(c, n === current.byteLength ? current : current.subarray(0, n));
    if (left === 0) {
      await writing;
      if (c.state === ST_CLOSED) return;
      break;
    }
    other ??= takeBuffer(left);
    const reading = read(handle, other, pos, left).catch(failed);
    // Both settle before either buffer is touched again.
    await writing;
    n = await reading;
    const done: Buffer = current;
    current = other;
    other = done;
  }
  giveBack(current);
  giveBack(other);
  c.responseDone();
}

/** Reads up to `left` bytes at `pos` into `buf`: the count (0 at an unexpected end of file). */
async function read(handle: FileHandle, buf: Buffer, pos: number, left: number): Promise<number> {
  const { bytesRead } = await handle.read(buf, 0, Math.min(buf.byteLength, left), pos);
  return bytesRead;
}

/**
 * Writes `chunk`; resolves once the socket has taken it (the write callback or 'drain'), or
 * the connection closed (`onClose` resolves `drainResolve`). The send timeout watches a
 * write that has to wait for the peer.
 */
function write(c: ServerConnection, chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      if (c.drainResolve === done) c.drainResolve = null;
      resolve();
    };
    c.drainResolve = done;
    if (!c.socket.write(chunk, done)) armSendTimeout(c);
  });
}

/** A read failed or the file ended early (it shrank while sent): report, drop the connection. */
function fail(c: ServerConnection, cause: unknown): void {
  const err =
    cause === null
      ? new RwsError(ERROR_CODES.INVALID_RESPONSE, 'file ended before the response length')
      : new RwsError(ERROR_CODES.INVALID_RESPONSE, 'reading the response file failed', { cause });
  c.server.reportError(err, c.req);
  c.socket.destroy();
}
