/**
 * Reading a server connection's input: finds request heads in the bytes off the socket, holds
 * pipelined bytes until their turn, and hands bodies to `readBody` (RFC 9112 §2.2, §9.3.2).
 */
import { ERROR_CODES } from '../errors.js';
import { armSendTimeout, baseDeadlineKind, setDeadline } from './connection-deadline.js';
import { DL_HEADERS, ST_BODY, ST_HEAD, ST_WAIT } from './connection-state.js';
import { readBody } from './read-body.js';
import { parseRequestHead, RequestHead } from './request-head.js';
import { reject } from './respond-error.js';
import type { ServerConnection } from './server-connection.js';
import { startRequest } from './start-request.js';

const CR = 13;
const LF = 10;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const LFCRLF = Buffer.from('\n\r\n');
/** Spans up to this are searched for the end of a head in JavaScript (see `findHeadEnd`). */
const SHORT_SCAN_BYTES = 160;

/**
 * Parses what `buf` holds from `pos` on: heads, bodies, pipelined requests (until one must wait).
 * `isLent`: `buf` is the buffer all sockets read into (lent-reads.ts), overwritten by the next
 * read of any socket: heads are parsed into strings within this call, and whatever is kept
 * past it (a partial head, pipelined requests, body bytes) is copied. Only `buf[0, end)` is
 * input (`end` is less than `buf.length` only for the lent buffer, which is not cut to size
 * unless a rarer path than "whole heads" needs it: a view per read costs an allocation).
 */
export function processInput(
  c: ServerConnection,
  buf: Buffer,
  pos: number,
  end: number,
  isLent: boolean,
): void {
  c.isProcessing = true;
  let len = end;
  let heads = 0;
  for (;;) {
    const state = c.state;
    if (state === ST_HEAD) {
      if (pos >= len) break;
      if (c.socket.writableNeedDrain) {
        // A client that pipelines without reading its responses must not make us buffer
        // responses without bound: stop parsing until the socket drains.
        c.state = ST_WAIT;
        if (buf.length !== len) buf = buf.subarray(0, len);
        holdPipelined(c, buf, pos, isLent);
        if (!c.isPausedByPipeline) {
          c.isPausedByPipeline = true;
          c.socket.pause();
        }
        armSendTimeout(c);
        break;
      }
      if (!c.hasHeadBytes) {
        // RFC 9112 §2.2: ignore empty lines before the request line.
        while (pos < len && (buf[pos] === CR || buf[pos] === LF)) pos++;
        if (pos >= len) break;
        c.hasHeadBytes = true;
      }
      let at = -1;
      if (len - pos - c.scanFrom <= SHORT_SCAN_BYTES) at = findHeadEnd(buf, pos + c.scanFrom, len);
      else {
        if (buf.length !== len) buf = buf.subarray(0, len);
        at = buf.indexOf(CRLFCRLF, pos + c.scanFrom);
      }
      if (at === -1) {
        if (buf.length !== len) buf = buf.subarray(0, len);
        // headersTimeoutMs runs from the head's first bytes. A head that arrived whole is
        // started below at once, where the request timeout replaces this deadline: setting it
        // only for a partial head saves a clock read per request.
        if (baseDeadlineKind(c) !== DL_HEADERS) {
          setDeadline(c, DL_HEADERS, c.opts.headersTimeoutMs);
        }
        headIncomplete(c, buf, pos, isLent);
        break;
      }
      const headEnd = at + 4;
      if (headEnd - pos > c.opts.maxHeaderBytes) {
        if (buf.length !== len) buf = buf.subarray(0, len);
        reject(
          c,
          lineEnds(c, buf, pos, at) ? ERROR_CODES.HEADERS_TOO_LARGE : ERROR_CODES.URI_TOO_LONG,
        );
        break;
      }
      c.scanFrom = 0;
      const head = new RequestHead();
      const err = parseRequestHead(buf, pos, at + 2, c.opts, head);
      if (err !== null) {
        reject(c, err);
        break;
      }
      pos = headEnd;
      c.hasHeadBytes = false;
      // Responses written synchronously while one buffer is parsed (pipelining) leave in
      // one writev instead of one syscall each. Cork only once a second request shows up:
      // the common single request per read then writes straight through.
      if (++heads === 2) c.socket.cork();
      if (!startRequest(c, head, buf, pos, len)) break;
      continue;
    }
    if (state === ST_BODY) {
      if (pos >= len) break;
      if (isLent) {
        // Body bytes outlive the call (queued for the handler): the rest of the read becomes
        // a Buffer of its own, as Node's ordinary reads are.
        buf = Buffer.from(buf.subarray(pos, len));
        pos = 0;
        len = buf.length;
        isLent = false;
      }
      pos = readBody(c, buf, pos);
      if (pos < 0) break;
      continue;
    }
    if (state === ST_WAIT) {
      // The response to the current request is not done yet: keep pipelined bytes for later.
      if (pos < len) {
        if (buf.length !== len) buf = buf.subarray(0, len);
        holdPipelined(c, buf, pos, isLent);
      }
      break;
    }
    break;
  }
  if (heads >= 2) c.socket.uncork();
  c.isProcessing = false;
}

/**
 * Where the first CRLFCRLF in `buf[from, end)` starts, or -1, for a short span (what most
 * heads are): calling the native `indexOf` costs several hundred instructions before it looks
 * at a byte, this loop a few per byte.
 */
function findHeadEnd(buf: Buffer, from: number, end: number): number {
  for (let i = from + 3; i < end; i++) {
    if (buf[i] === LF && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i - 3;
  }
  return -1;
}

/** True when the request line of the head at `pos` ends before `limit` (for 431 vs 414). */
function lineEnds(c: ServerConnection, buf: Buffer, pos: number, limit: number): boolean {
  const lf = buf.indexOf(LF, pos);
  return lf !== -1 && lf <= limit && lf - pos <= c.opts.maxUrlBytes + 16;
}

/**
 * No complete head yet: rejects what can already be rejected, else keeps the bytes for the next
 * read.
 */
function headIncomplete(c: ServerConnection, buf: Buffer, pos: number, isLent: boolean): void {
  const avail = buf.length - pos;
  if (avail > c.opts.maxHeaderBytes) {
    reject(
      c,
      lineEnds(c, buf, pos, buf.length) ? ERROR_CODES.HEADERS_TOO_LARGE : ERROR_CODES.URI_TOO_LONG,
    );
    return;
  }
  // A head that only uses bare LF line endings never contains CRLFCRLF: reject it now
  // instead of waiting for the size limit or the timeout (RFC 9112 §2.2).
  const from = pos + c.scanFrom;
  if (buf.indexOf(LFLF, from) !== -1 || buf.indexOf(LFCRLF, from) !== -1) {
    reject(c, ERROR_CODES.INVALID_LINE_ENDING);
    return;
  }
  if (avail > c.opts.maxUrlBytes + 32 && buf.indexOf(LF, pos) === -1) {
    reject(c, ERROR_CODES.URI_TOO_LONG);
    return;
  }
  c.pending = isLent ? Buffer.from(buf.subarray(pos)) : pos === 0 ? buf : buf.subarray(pos);
  c.scanFrom = Math.max(0, avail - 3);
}

/**
 * Keeps bytes of later requests until the current response is done; pauses the socket when they
 * pile up.
 */
function holdPipelined(c: ServerConnection, buf: Buffer, pos: number, isLent: boolean): void {
  const rest = pos === 0 ? buf : buf.subarray(pos);
  const pending = c.pending;
  c.pending = pending !== null ? Buffer.concat([pending, rest]) : isLent ? Buffer.from(rest) : rest;
  if (c.pending.length > c.opts.maxHeaderBytes && !c.isPausedByPipeline) {
    c.isPausedByPipeline = true;
    c.socket.pause();
  }
}
