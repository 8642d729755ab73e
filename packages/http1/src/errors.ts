import { CLIENT_ERROR_DESCRIPTIONS } from './internal/client-errors.js';

/**
 * Every error code `@rws/http1` owns. Parser errors carry the HTTP status the server answers
 * with; the docs table in docs/errors.md lists the same codes.
 */
export const ERROR_CODES = {
  INVALID_REQUEST_LINE: 'RWS_HTTP1_INVALID_REQUEST_LINE',
  INVALID_METHOD: 'RWS_HTTP1_INVALID_METHOD',
  INVALID_TARGET: 'RWS_HTTP1_INVALID_TARGET',
  INVALID_VERSION: 'RWS_HTTP1_INVALID_VERSION',
  VERSION_NOT_SUPPORTED: 'RWS_HTTP1_VERSION_NOT_SUPPORTED',
  INVALID_LINE_ENDING: 'RWS_HTTP1_INVALID_LINE_ENDING',
  INVALID_HEADER: 'RWS_HTTP1_INVALID_HEADER',
  OBS_FOLD: 'RWS_HTTP1_OBS_FOLD',
  INVALID_CONTENT_LENGTH: 'RWS_HTTP1_INVALID_CONTENT_LENGTH',
  CONFLICTING_FRAMING: 'RWS_HTTP1_CONFLICTING_FRAMING',
  INVALID_TRANSFER_ENCODING: 'RWS_HTTP1_INVALID_TRANSFER_ENCODING',
  UNSUPPORTED_TRANSFER_CODING: 'RWS_HTTP1_UNSUPPORTED_TRANSFER_CODING',
  INVALID_HOST: 'RWS_HTTP1_INVALID_HOST',
  HEADERS_TOO_LARGE: 'RWS_HTTP1_HEADERS_TOO_LARGE',
  TOO_MANY_HEADERS: 'RWS_HTTP1_TOO_MANY_HEADERS',
  URI_TOO_LONG: 'RWS_HTTP1_URI_TOO_LONG',
  BODY_TOO_LARGE: 'RWS_HTTP1_BODY_TOO_LARGE',
  INVALID_CHUNK: 'RWS_HTTP1_INVALID_CHUNK',
  EXPECTATION_FAILED: 'RWS_HTTP1_EXPECTATION_FAILED',
  HEADERS_TIMEOUT: 'RWS_HTTP1_HEADERS_TIMEOUT',
  REQUEST_TIMEOUT: 'RWS_HTTP1_REQUEST_TIMEOUT',
  BODY_INCOMPLETE: 'RWS_HTTP1_BODY_INCOMPLETE',
  CLIENT_ABORTED: 'RWS_HTTP1_CLIENT_ABORTED',
  SERVER_CLOSED: 'RWS_HTTP1_SERVER_CLOSED',
  INVALID_RESPONSE: 'RWS_HTTP1_INVALID_RESPONSE',
  FILE_NOT_FOUND: 'RWS_HTTP1_FILE_NOT_FOUND',
  UPGRADE_UNAVAILABLE: 'RWS_HTTP1_UPGRADE_UNAVAILABLE',
  // WebSocket (src/websocket/).
  WS_NOT_OPEN: 'RWS_HTTP1_WS_NOT_OPEN',
  WS_HANDSHAKE_FAILED: 'RWS_HTTP1_WS_HANDSHAKE_FAILED',
  WS_INVALID_ARGUMENT: 'RWS_HTTP1_WS_INVALID_ARGUMENT',
  // Client and pool (see internal/client-errors.ts).
  CONNECT_TIMEOUT: 'RWS_HTTP1_CONNECT_TIMEOUT',
  CONNECT_FAILED: 'RWS_HTTP1_CONNECT_FAILED',
  BODY_TIMEOUT: 'RWS_HTTP1_BODY_TIMEOUT',
  SOCKET_CLOSED: 'RWS_HTTP1_SOCKET_CLOSED',
  ABORTED: 'RWS_HTTP1_ABORTED',
  POOL_CLOSED: 'RWS_HTTP1_POOL_CLOSED',
  POOL_QUEUE_FULL: 'RWS_HTTP1_POOL_QUEUE_FULL',
  RESPONSE_TOO_LARGE: 'RWS_HTTP1_RESPONSE_TOO_LARGE',
  INVALID_REQUEST_OPTIONS: 'RWS_HTTP1_INVALID_REQUEST_OPTIONS',
  REQUEST_BODY_LENGTH_MISMATCH: 'RWS_HTTP1_REQUEST_BODY_LENGTH_MISMATCH',
  REQUEST_BODY_FAILED: 'RWS_HTTP1_REQUEST_BODY_FAILED',
} as const;

/** One of the codes in `ERROR_CODES`. */
export type Http1ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** A one-line description of every code, keyed by the code string. */
export const ERROR_DESCRIPTIONS: Readonly<Record<Http1ErrorCode, string>> = {
  ...(CLIENT_ERROR_DESCRIPTIONS as Record<Http1ErrorCode, string>),
  RWS_HTTP1_INVALID_REQUEST_LINE:
    'The request line is not `method SP request-target SP HTTP-version` (400).',
  RWS_HTTP1_INVALID_METHOD: 'The method is empty or contains a non-token character (400).',
  RWS_HTTP1_INVALID_TARGET:
    'The request-target is not a valid origin, absolute, authority or asterisk form (400).',
  RWS_HTTP1_INVALID_VERSION: 'The HTTP-version is malformed (400).',
  RWS_HTTP1_VERSION_NOT_SUPPORTED: 'The HTTP major version is not 1 (505).',
  RWS_HTTP1_INVALID_LINE_ENDING: 'A bare CR or bare LF where CRLF is required (400).',
  RWS_HTTP1_INVALID_HEADER:
    'A header field has an invalid name, whitespace before the colon, or a control character in its value (400).',
  RWS_HTTP1_OBS_FOLD: 'A header field value is folded over several lines (obs-fold, 400).',
  RWS_HTTP1_INVALID_CONTENT_LENGTH:
    'Content-Length is not one decimal number, is a list, or repeats with a different value (400).',
  RWS_HTTP1_CONFLICTING_FRAMING: 'A message has both Content-Length and Transfer-Encoding (400).',
  RWS_HTTP1_INVALID_TRANSFER_ENCODING:
    'Transfer-Encoding does not end with a single `chunked`, or appears in HTTP/1.0 (400).',
  RWS_HTTP1_UNSUPPORTED_TRANSFER_CODING:
    'Transfer-Encoding names a coding other than chunked (501).',
  RWS_HTTP1_INVALID_HOST:
    'Host is missing or repeated in HTTP/1.1, or is not a valid host[:port] (400).',
  RWS_HTTP1_HEADERS_TOO_LARGE: 'The header section is larger than `maxHeaderBytes` (431).',
  RWS_HTTP1_TOO_MANY_HEADERS: 'The header section has more fields than `maxHeaderCount` (431).',
  RWS_HTTP1_URI_TOO_LONG: 'The request-target is longer than `maxUrlBytes` (414).',
  RWS_HTTP1_BODY_TOO_LARGE: 'The body is larger than `maxBodyBytes` (413).',
  RWS_HTTP1_INVALID_CHUNK:
    'The chunked body is malformed: bad chunk size, missing CRLF or bad trailer (400).',
  RWS_HTTP1_EXPECTATION_FAILED: 'Expect names something other than `100-continue` (417).',
  RWS_HTTP1_HEADERS_TIMEOUT:
    'server: the request head did not arrive within `headersTimeoutMs` (408); client: the response head did not arrive within `headersTimeoutMs`.',
  RWS_HTTP1_REQUEST_TIMEOUT:
    'The request was not received or answered within `requestTimeoutMs` (408 or 503), or its body stalled for `bodyTimeoutMs` (408, or the connection closes).',
  RWS_HTTP1_BODY_INCOMPLETE: 'The connection closed before the whole request body arrived.',
  RWS_HTTP1_CLIENT_ABORTED: 'The client closed the connection before the response was complete.',
  RWS_HTTP1_SERVER_CLOSED: 'The server closed the connection while shutting down.',
  RWS_HTTP1_INVALID_RESPONSE:
    'server: a handler returned something that is not a valid response, or a body that does not match its content-length (500); client: the response violates RFC 9112 framing.',
  RWS_HTTP1_FILE_NOT_FOUND: 'server: a file response body names a file that does not exist (404).',
  RWS_HTTP1_UPGRADE_UNAVAILABLE:
    'server: `req.upgrade.accept()` was called twice, after the response started, or after the request ended.',
  RWS_HTTP1_WS_NOT_OPEN: 'WebSocket: `send()` or `ping()` on a socket that is closing or closed.',
  RWS_HTTP1_WS_HANDSHAKE_FAILED:
    'WebSocket client: the server refused the opening handshake or answered it wrongly (status, Sec-WebSocket-Accept, protocol, extensions).',
  RWS_HTTP1_WS_INVALID_ARGUMENT:
    'WebSocket: an invalid URL, close code, close reason longer than 123 bytes, ping payload longer than 125 bytes, or option.',
};
