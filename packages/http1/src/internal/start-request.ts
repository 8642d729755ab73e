/**
 * Starting a request on a server connection once its head is parsed: framing checks, the
 * core `Request`, and the upgrade offer (`req.upgrade`) for CONNECT and Upgrade.
 */
import { Body, Headers } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import { armBodyTimeout, setLazyDeadline } from './connection-deadline.js';
import {
  BODY_CHUNKED,
  BODY_LENGTH,
  BODY_NONE,
  DL_REQUEST,
  ST_BODY,
  ST_CLOSED,
  ST_UPGRADED,
  ST_WAIT,
} from './connection-state.js';
import {
  CONN_CLOSE,
  CONN_KEEP_ALIVE,
  CONN_UPGRADE,
  TE_ABSENT,
  TE_CHUNKED,
  TE_CODINGS_THEN_CHUNKED,
} from './field-parser.js';
import { H1Request } from './h1-request.js';
import { RequestBody } from './request-body.js';
import type { RequestHead } from './request-head.js';
import { reject } from './respond-error.js';
import type { ServerConnection } from './server-connection.js';
import { offerUpgrade } from './server-upgrade.js';

/**
 * Sets up the request whose head was just parsed and calls the handler. Returns false when
 * processing must stop (the connection closed or was upgraded).
 */
export function startRequest(
  c: ServerConnection,
  head: RequestHead,
  buf: Buffer,
  pos: number,
  end: number,
): boolean {
  const fields = head.fields;
  const opts = c.opts;
  const minor = head.minor;
  // Framing checks (RFC 9112 §6.1, §6.3): anything ambiguous is a 400 and a closed connection.
  let mode = BODY_NONE;
  let length = 0;
  const te = fields.transferEncoding;
  if (te !== TE_ABSENT) {
    if (fields.contentLength !== -1) return reject(c, ERROR_CODES.CONFLICTING_FRAMING);
    if (minor === 0) return reject(c, ERROR_CODES.INVALID_TRANSFER_ENCODING);
    if (te === TE_CODINGS_THEN_CHUNKED) return reject(c, ERROR_CODES.UNSUPPORTED_TRANSFER_CODING);
    if (te !== TE_CHUNKED) return reject(c, ERROR_CODES.INVALID_TRANSFER_ENCODING);
    mode = BODY_CHUNKED;
  } else if (fields.contentLength > 0) {
    mode = BODY_LENGTH;
    length = fields.contentLength;
    // Announced too large: answer 413 before reading a byte (and before any 100 Continue).
    if (length > opts.maxBodyBytes) return reject(c, ERROR_CODES.BODY_TOO_LARGE);
  }

  // RFC 9110 §9.3.6: CONNECT has no content; bytes after its head belong to the tunnel, so
  // framing fields on it could only desynchronise us from a proxy in front.
  const isConnect = head.method === 'CONNECT';
  if (isConnect) {
    if (mode === BODY_CHUNKED) return reject(c, ERROR_CODES.INVALID_TRANSFER_ENCODING);
    if (mode === BODY_LENGTH) return reject(c, ERROR_CODES.INVALID_CONTENT_LENGTH);
  }

  let needsContinue = false;
  const expect = fields.expect;
  if (expect !== null) {
    if (expect.length === 12 && expect.toLowerCase() === '100-continue') {
      // RFC 9110 §10.1.1: ignore 100-continue from HTTP/1.0 clients.
      needsContinue = minor === 1 && mode !== BODY_NONE;
    } else {
      return reject(c, ERROR_CODES.EXPECTATION_FAILED);
    }
  }

  const conn = fields.connection;
  c.minor = minor;
  c.isKeepAlive =
    minor === 1
      ? (conn & CONN_CLOSE) === 0
      : (conn & CONN_KEEP_ALIVE) !== 0 && (conn & CONN_CLOSE) === 0;
  c.requestCount++;
  c.isHead = head.method === 'HEAD';
  c.needsContinue = needsContinue;
  c.isResponseDone = false;
  c.isResponseStarted = false;
  c.isDiscarding = false;
  c.discarded = 0;
  c.sentBytes = 0;

  const headers = Headers.fromTrustedList(fields.list);
  let body: Body;
  let source: RequestBody | null = null;
  if (mode === BODY_NONE) {
    body = new Body(null, c.bodyOptions);
  } else {
    source = new RequestBody(c, mode === BODY_LENGTH ? length : null, opts.bodyHighWaterMark);
    body = new Body(source, c.bodyOptions);
  }
  const req = new H1Request(
    head.method,
    head.target,
    headers,
    body,
    minor === 1 ? 'http/1.1' : 'http/1.0',
    c.info,
    c,
  );
  c.req = req;
  // A pipelined request parsed after the client's FIN: its response is not complete either.
  if (c.isPeerEnded) req.markHalfClosed();
  c.body = source;
  c.bodyMode = mode;
  c.bodyRemaining = length;
  c.isBodyDone = mode === BODY_NONE;
  c.decoder = mode === BODY_CHUNKED ? new ChunkedDecoder() : null;

  if (isConnect) {
    // The handler chain decides (`req.upgrade.accept()` opens the tunnel). Whatever else it
    // answers, the connection closes after it: the client may already be sending tunnel bytes.
    c.isKeepAlive = false;
    offerUpgrade(c, req, 'connect', null);
  } else if (
    // Upgrade (RFC 9110 §7.8). One that is not also a `Connection` option, on HTTP/1.0, or on
    // a request with content (whose bytes would have to be read before switching) is not
    // offered: the request is answered normally.
    fields.upgrade !== null &&
    (conn & CONN_UPGRADE) !== 0 &&
    minor === 1 &&
    mode === BODY_NONE
  ) {
    offerUpgrade(c, req, 'upgrade', fields.upgrade.trim().toLowerCase());
  }

  setLazyDeadline(c, DL_REQUEST, opts.requestTimeoutMs);
  armBodyTimeout(c);
  c.state = c.isBodyDone ? ST_WAIT : ST_BODY;
  // A handler that accepts synchronously takes these bytes with the socket; later ones wait
  // in `pending` (ST_WAIT) until it accepts or answers.
  if (req.upgrade !== undefined) c.tunnelHead = buf.subarray(pos, end);
  c.callHandler(req);
  c.tunnelHead = null;
  // The handler may have answered synchronously (and even closed the connection).
  const state = c.state;
  return state !== ST_CLOSED && state !== ST_UPGRADED;
}
