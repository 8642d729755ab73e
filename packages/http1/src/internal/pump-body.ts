/**
 * Streaming response bodies on a server connection with backpressure: async iterables, web
 * streams and file ranges, chunked or with a Content-Length.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { type FileBodyInit, Headers, type Response, RwsError, type TrailersInit } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { armSendTimeout } from './connection-deadline.js';
import { noop, ST_CLOSED, type StreamBody } from './connection-state.js';
import { sendFileRange } from './file-pump.js';
import type { H1Request } from './h1-request.js';
import { handlerError } from './respond-error.js';
import type { ServerConnection } from './server-connection.js';
import { writeResponse } from './write-response.js';

/** Writes a streamed body with backpressure; ends the response when the stream ends. */
export async function pumpBody(
  c: ServerConnection,
  body: StreamBody,
  isChunked: boolean,
  trailers: TrailersInit | null,
  expected: number,
): Promise<void> {
  const socket = c.socket;
  let it: AsyncIterator<Uint8Array>;
  try {
    it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  } catch (err) {
    c.server.reportError(err, c.req);
    socket.destroy();
    return;
  }
  c.activeIterator = it;
  let written = 0;
  try {
    for (;;) {
      const { value, done } = await it.next();
      if (c.state === ST_CLOSED) {
        await it.return?.();
        return;
      }
      if (done) break;
      const chunk: Uint8Array =
        typeof value === 'string' ? Buffer.from(value as unknown as string) : value;
      const n = chunk.byteLength;
      if (n === 0) continue;
      written += n;
      let ok: boolean;
      if (isChunked) {
        socket.cork();
        socket.write(`${n.toString(16)}\r\n`);
        socket.write(chunk);
        ok = socket.write('\r\n');
        socket.uncork();
      } else {
        if (expected >= 0 && written > expected) {
          // More bytes than announced would desynchronise the client: stop here.
          throw new RwsError(
            ERROR_CODES.INVALID_RESPONSE,
            'response body longer than content-length',
          );
        }
        ok = socket.write(chunk);
      }
      c.sentBytes = written;
      if (!ok) await waitDrain(c);
      if (c.state === ST_CLOSED) {
        await it.return?.();
        return;
      }
    }
  } catch (err) {
    c.activeIterator = null;
    if (c.state !== ST_CLOSED) {
      c.server.reportError(err, c.req);
      socket.destroy();
    }
    return;
  }
  c.activeIterator = null;
  if (expected >= 0 && !isChunked && written < expected) {
    c.server.reportError(
      new RwsError(ERROR_CODES.INVALID_RESPONSE, 'response body shorter than content-length'),
      c.req,
    );
    socket.destroy();
    return;
  }
  if (isChunked) {
    let fields: Headers | null = null;
    if (typeof trailers === 'function') {
      // Late trailers (gRPC status, a digest of what was streamed): asked for now that the
      // last body byte is out. A failure leaves the body unterminated, so the peer sees an
      // incomplete response rather than a complete one without its trailers.
      try {
        fields = (await trailers()) ?? null;
      } catch (err) {
        if (c.state !== ST_CLOSED) {
          c.server.reportError(err, c.req);
          socket.destroy();
        }
        return;
      }
      if (c.state === ST_CLOSED) return;
      if (fields !== null && !(fields instanceof Headers)) {
        c.server.reportError(
          new RwsError(
            ERROR_CODES.INVALID_RESPONSE,
            'response trailers function returned no Headers',
          ),
          c.req,
        );
        socket.destroy();
        return;
      }
    } else {
      fields = trailers;
    }
    socket.write(
      fields === null || fields.size === 0 ? '0\r\n\r\n' : `0\r\n${serializeTrailers(fields)}\r\n`,
      'latin1',
    );
  }
  c.responseDone();
}

/** Writes a file body: opens and stats the file, then streams the requested range. */
export async function respondFile(
  c: ServerConnection,
  req: H1Request,
  res: Response,
  file: FileBodyInit,
): Promise<void> {
  let handle: FileHandle | null = null;
  let start = 0;
  let length = 0;
  try {
    handle = await open(file.path, 'r');
    const st = await handle.stat();
    const size = st.size;
    start = Math.max(0, file.start ?? 0);
    const end = Math.min(size - 1, file.end ?? size - 1);
    length = Math.max(0, end - start + 1);
  } catch (err) {
    // The open or stat error is the one to report; a failing close must not replace it or
    // escape as an unhandled rejection.
    await handle?.close().catch(noop);
    const code = (err as NodeJS.ErrnoException).code;
    handlerError(
      c,
      req,
      code === 'ENOENT' || code === 'EISDIR'
        ? new RwsError('RWS_HTTP1_FILE_NOT_FOUND', 'file not found', { status: 404, cause: err })
        : err,
    );
    return;
  }
  if (req !== c.req || c.isResponseDone || c.state === ST_CLOSED) {
    await handle.close().catch(noop);
    return;
  }
  // writeResponse writes the head; a body it returns is ours to send (not for HEAD, 304…).
  const pending = writeResponse(
    c,
    res,
    length === 0 ? null : FILE_BODY,
    length === 0 ? -1 : length,
  );
  try {
    if (pending !== null) await sendFileRange(c, handle, start, length);
  } finally {
    await handle.close().catch(noop);
  }
}

/** Stands for a file body in `writeResponse`, which only needs to know one follows the head. */
const FILE_BODY: StreamBody = { async *[Symbol.asyncIterator]() {} };

/** Resolves on the socket's next 'drain'; the send timeout watches the wait. */
function waitDrain(c: ServerConnection): Promise<void> {
  armSendTimeout(c);
  return new Promise((resolve) => {
    c.drainResolve = resolve;
  });
}

/** The trailer section of a chunked body (`name: value
` per field). */
function serializeTrailers(trailers: Headers): string {
  let out = '';
  const list = trailers.toList();
  for (let i = 0; i < list.length; i += 2) out += `${list[i]}: ${list[i + 1]}\r\n`;
  return out;
}

/** Lets go of a body that will not be sent (cancels streams, closes iterators). */
export function releaseBody(body: unknown): void {
  if (body === null || typeof body !== 'object') return;
  if (
    typeof (body as ReadableStream).cancel === 'function' &&
    typeof (body as ReadableStream).getReader === 'function'
  ) {
    if (!(body as ReadableStream).locked) void (body as ReadableStream).cancel().catch(noop);
    return;
  }
  const iterate = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator];
  if (typeof iterate === 'function') {
    try {
      const it = iterate.call(body);
      void it.return?.()?.catch?.(noop);
    } catch {
      // An iterable that cannot even be opened holds nothing to release.
    }
  }
  if (typeof (body as { destroy?: unknown }).destroy === 'function') {
    (body as { destroy(): void }).destroy();
  }
}
