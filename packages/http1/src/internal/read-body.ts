/**
 * Reading a request body off a server connection: Content-Length and chunked framing, the
 * end of the body, and throwing away a rest the handler did not read.
 */
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { armBodyTimeout, baseDeadlineKind, clearDeadline } from './connection-deadline.js';
import { BODY_LENGTH, DL_REQUEST, MAX_DISCARD_BYTES, ST_WAIT } from './connection-state.js';
import { respondError, statusOf } from './respond-error.js';
import type { ServerConnection } from './server-connection.js';

/** Feeds body bytes; returns the new position, or -1 to stop processing. */
export function readBody(c: ServerConnection, buf: Buffer, pos: number): number {
  // A client that sends the body without waiting needs no 100 Continue (RFC 9110 §10.1.1).
  c.needsContinue = false;
  armBodyTimeout(c);
  const source = c.body!;
  const isDropping = c.isDiscarding || source.isCancelled;
  if (c.bodyMode === BODY_LENGTH) {
    const n = Math.min(c.bodyRemaining, buf.length - pos);
    if (!isDropping) source.push(pos === 0 && n === buf.length ? buf : buf.subarray(pos, pos + n));
    pos += n;
    c.bodyRemaining -= n;
    if (c.bodyRemaining === 0) bodyComplete(c, null);
    return pos;
  }
  const decoder = c.decoder!;
  const out: Uint8Array[] = [];
  const next = decoder.decode(buf, pos, out);
  if (next === -1) {
    bodyFailed(
      c,
      new RwsError(decoder.error!, 'invalid chunked request body', {
        status: statusOf(decoder.error!),
      }),
    );
    return -1;
  }
  if (decoder.bodyBytes > c.opts.maxBodyBytes) {
    bodyFailed(
      c,
      new RwsError(
        ERROR_CODES.BODY_TOO_LARGE,
        `request body is larger than the limit of ${c.opts.maxBodyBytes} bytes`,
        { status: 413 },
      ),
    );
    return -1;
  }
  if (!isDropping) {
    for (let i = 0; i < out.length; i++) source.push(out[i]!);
  } else if (!decoder.isDone && (c.discarded += next - pos) > MAX_DISCARD_BYTES) {
    // A chunked rest that keeps coming is not worth reading to keep the connection.
    c.isKeepAlive = false;
    if (c.isResponseDone) {
      c.closeAfterWrite();
      return -1;
    }
  }
  if (decoder.isDone) bodyComplete(c, decoder.trailers);
  return next;
}

/**
 * The request body ended: hands the trailers to the body and moves on if the response is done too.
 */
function bodyComplete(c: ServerConnection, trailers: string[] | null): void {
  c.isBodyDone = true;
  c.bodyDeadline = 0;
  if (c.isResponseStarted && baseDeadlineKind(c) === DL_REQUEST) clearDeadline(c);
  c.body!.end(trailers);
  resumeIfPausedByBody(c);
  if (c.isResponseDone) c.nextRequest();
  else c.state = ST_WAIT;
}

/** The request body is broken or too large: fail reads, answer if possible, then close. */
function bodyFailed(c: ServerConnection, err: RwsError): void {
  c.isKeepAlive = false;
  c.bodyDeadline = 0;
  c.body?.fail(err);
  c.state = ST_WAIT;
  c.pending = null;
  if (c.isResponseDone) {
    c.closeAfterWrite();
    return;
  }
  // If the handler does not answer soon (it is not reading the body), answer for it.
  if (c.body === null || !c.body.isStarted) respondError(c, err, err.status ?? 400);
}

/**
 * Throws the rest of the request body away. A client still waiting for 100 Continue never
 * sends it, so that connection is closed instead.
 */
export function discardBody(c: ServerConnection): void {
  if (c.isBodyDone) return;
  c.isDiscarding = true;
  // Reading a large rest only to throw it away costs more than a new connection.
  if (c.bodyMode === BODY_LENGTH && c.bodyRemaining > MAX_DISCARD_BYTES) {
    c.isKeepAlive = false;
  }
  if (c.needsContinue) {
    c.needsContinue = false;
    c.isKeepAlive = false;
  }
  resumeIfPausedByBody(c);
}

/** Resumes the socket when the request body had paused it (and pipelining does not). */
export function resumeIfPausedByBody(c: ServerConnection): void {
  if (c.isPausedByBody) {
    c.isPausedByBody = false;
    if (!c.isPausedByPipeline) c.socket.resume();
    // The client was held back by us: its time to send starts again now.
    armBodyTimeout(c);
  }
}
