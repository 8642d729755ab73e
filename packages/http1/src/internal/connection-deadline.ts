/**
 * Deadlines of a server connection: header, request, keep-alive idle and linger timeouts, and
 * the send watch that sits on top of them while the peer reads a queued response.
 */
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import {
  DL_HEADERS,
  DL_IDLE,
  DL_LINGER,
  DL_NONE,
  DL_REQUEST,
  DL_SEND,
  LINGER_MS,
  ST_CLOSED,
  ST_HEAD,
  ST_UPGRADED,
} from './connection-state.js';
import { writeSimple } from './respond-error.js';
import type { ServerConnection } from './server-connection.js';
import { reasonPhrase } from './status.js';

/** Sets the connection deadline `kind` to expire in `ms` (off when `ms` is 0 or not finite). */
export function setDeadline(c: ServerConnection, kind: number, ms: number): void {
  const isOff = ms <= 0 || !Number.isFinite(ms);
  const k = isOff ? DL_NONE : kind;
  const at = isOff ? 0 : Date.now() + ms;
  if (c.deadlineKind === DL_SEND) {
    // The send watch stays on top; this deadline applies once our bytes are out.
    c.savedKind = k;
    c.savedDeadline = at;
    return;
  }
  c.deadlineKind = k;
  c.deadline = at;
}

/**
 * `setDeadline` for the deadlines every request moves (the request timeout when a request
 * starts, the keep-alive idle time when its response is done), without reading the clock: the
 * deadline is stored as `-ms`, and the server's next tick, which reads the clock anyway, turns
 * it into `now + ms` (`stampDeadline`). Two clock reads per request (a runtime call each,
 * ~220 instructions) become none; the timeout then counts from that tick, so it expires up to
 * two ticks after `ms` instead of one, never before.
 */
export function setLazyDeadline(c: ServerConnection, kind: number, ms: number): void {
  if (c.deadlineKind === DL_SEND || ms <= 0 || !Number.isFinite(ms)) {
    setDeadline(c, kind, ms);
    return;
  }
  c.deadlineKind = kind;
  c.deadline = -ms;
}

/** A deadline `setLazyDeadline` left unstamped (negative): `ms` from `now`. */
export function stampDeadline(c: ServerConnection, now: number): void {
  c.deadline = now - c.deadline;
}

/** Clears the connection deadline (the send watch, if armed, stays). */
export function clearDeadline(c: ServerConnection): void {
  if (c.deadlineKind === DL_SEND) {
    c.savedKind = DL_NONE;
    c.savedDeadline = 0;
    return;
  }
  c.deadlineKind = DL_NONE;
  c.deadline = 0;
}

/** No deadline at all, send watch included (closed or handed over). */
export function resetDeadlines(c: ServerConnection): void {
  c.deadlineKind = DL_NONE;
  c.deadline = 0;
  c.savedKind = DL_NONE;
  c.savedDeadline = 0;
}

/** The deadline in force once the send watch (if any) is over. */
export function baseDeadlineKind(c: ServerConnection): number {
  return c.deadlineKind === DL_SEND ? c.savedKind : c.deadlineKind;
}

/**
 * Response bytes wait for the peer: give it `sendTimeoutMs` to make progress. Called when
 * a write asked us to wait for 'drain' and when a deadline finds bytes still queued.
 */
export function armSendTimeout(c: ServerConnection): void {
  const ms = c.opts.sendTimeoutMs;
  if (ms <= 0 || c.state === ST_UPGRADED) return;
  const now = Date.now();
  if (c.deadlineKind !== DL_SEND) {
    c.savedKind = c.deadlineKind;
    // An unstamped deadline (setLazyDeadline) counts from now: the tick will not see it.
    c.savedDeadline = c.deadline < 0 ? now - c.deadline : c.deadline;
    c.deadlineKind = DL_SEND;
  }
  c.sendMark = unsentBytes(c);
  c.deadline = now + ms;
}

/** The send watch is over: the interrupted deadline applies again. */
export function restoreDeadline(c: ServerConnection): void {
  const kind = c.savedKind;
  let at = c.savedDeadline;
  // Idle and linger time count from the moment our bytes are out, not from when they
  // were queued.
  if (kind === DL_IDLE) at = Date.now() + c.opts.keepAliveTimeoutMs;
  else if (kind === DL_LINGER) at = Date.now() + LINGER_MS;
  c.deadlineKind = kind;
  c.deadline = at;
  c.savedKind = DL_NONE;
  c.savedDeadline = 0;
}

/**
 * Bytes we wrote that the kernel has not accepted yet. A write leaves this count only
 * when all of it is out, which is why large bodies are written in slices.
 */
function unsentBytes(c: ServerConnection): number {
  return c.socket.writableLength;
}

/**
 * (Re)starts the request body's idle clock: called when a body starts (unless the client
 * waits for 100 Continue), on every body read, and when our own backpressure lets go.
 */
export function armBodyTimeout(c: ServerConnection): void {
  const ms = c.opts.bodyTimeoutMs;
  c.bodyDeadline = ms > 0 && !c.isBodyDone && !c.needsContinue ? Date.now() + ms : 0;
}

/**
 * No request body bytes for `bodyTimeoutMs`: 408 when nothing was answered yet, else (the
 * response is streaming, or done and the rest of the body was being discarded) close.
 */
export function handleBodyTimeout(c: ServerConnection): void {
  c.bodyDeadline = 0;
  if (c.isBodyDone || c.state === ST_CLOSED || c.state === ST_UPGRADED) return;
  const err = new RwsError(
    ERROR_CODES.REQUEST_TIMEOUT,
    `no request body bytes for ${c.opts.bodyTimeoutMs} ms`,
    { status: 408 },
  );
  c.isKeepAlive = false;
  c.isBodyDone = true;
  c.body?.fail(err);
  if (!c.isResponseStarted && !c.isResponseDone) {
    c.req?.abort(err);
    c.isHead = false;
    writeSimple(c, 408, reasonPhrase(408), false);
    c.isResponseDone = true;
    c.closeAfterWrite();
    return;
  }
  c.socket.destroy();
}

/** Called by the server's tick once `deadline` has passed. */
export function handleTimeout(c: ServerConnection): void {
  const kind = c.deadlineKind;
  if (kind === DL_SEND) {
    const unsent = unsentBytes(c);
    if (unsent === 0) {
      // Everything went out without a 'drain' (small writes): back to the deadline below.
      restoreDeadline(c);
    } else if (unsent < c.sendMark) {
      armSendTimeout(c);
    } else {
      // The peer has not read a byte for sendTimeoutMs: stop the response and let go.
      c.isSendTimedOut = true;
      c.socket.destroy();
    }
    return;
  }
  // Idle or lingering while our last response is still queued: that is a send, not idleness.
  if ((kind === DL_IDLE || kind === DL_LINGER) && unsentBytes(c) > 0) {
    setDeadline(c, kind, kind === DL_IDLE ? c.opts.keepAliveTimeoutMs : LINGER_MS);
    armSendTimeout(c);
    return;
  }
  clearDeadline(c);
  switch (kind) {
    case DL_IDLE:
      c.socket.destroy();
      return;
    case DL_HEADERS:
      // Slowloris: a head that does not arrive in time. Answer 408 when we have not
      // answered anything on this connection yet or a head is half-sent; a reused idle
      // connection is simply closed.
      if (c.state === ST_HEAD && (c.hasHeadBytes || c.requestCount === 0)) {
        c.isHead = false;
        c.minor = 1;
        writeSimple(c, 408, reasonPhrase(408), false);
        c.closeAfterWrite();
      } else {
        c.socket.destroy();
      }
      return;
    case DL_REQUEST: {
      const req = c.req;
      const err = new RwsError(ERROR_CODES.REQUEST_TIMEOUT, 'request timed out', {
        status: c.isBodyDone ? 503 : 408,
      });
      req?.abort(err);
      c.body?.fail(err);
      if (!c.isResponseStarted && c.state !== ST_CLOSED) {
        writeSimple(c, err.status!, reasonPhrase(err.status!), false);
        c.isResponseDone = true;
        c.closeAfterWrite();
      } else {
        c.socket.destroy();
      }
      return;
    }
    case DL_LINGER:
      c.socket.destroy();
      return;
  }
}
