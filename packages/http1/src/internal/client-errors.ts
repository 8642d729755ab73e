import { RwsError } from '@rws/core';

/**
 * The error codes the HTTP/1.1 client and pool raise. They are also listed (with
 * descriptions) in `src/errors.ts`; these constants keep the client independent of that
 * file's layout.
 */
export const CLIENT_ERROR_CODES = {
  CONNECT_TIMEOUT: 'RWS_HTTP1_CONNECT_TIMEOUT',
  CONNECT_FAILED: 'RWS_HTTP1_CONNECT_FAILED',
  HEADERS_TIMEOUT: 'RWS_HTTP1_HEADERS_TIMEOUT',
  BODY_TIMEOUT: 'RWS_HTTP1_BODY_TIMEOUT',
  SOCKET_CLOSED: 'RWS_HTTP1_SOCKET_CLOSED',
  ABORTED: 'RWS_HTTP1_ABORTED',
  POOL_CLOSED: 'RWS_HTTP1_POOL_CLOSED',
  POOL_QUEUE_FULL: 'RWS_HTTP1_POOL_QUEUE_FULL',
  INVALID_RESPONSE: 'RWS_HTTP1_INVALID_RESPONSE',
  RESPONSE_TOO_LARGE: 'RWS_HTTP1_RESPONSE_TOO_LARGE',
  INVALID_REQUEST_OPTIONS: 'RWS_HTTP1_INVALID_REQUEST_OPTIONS',
  REQUEST_BODY_LENGTH_MISMATCH: 'RWS_HTTP1_REQUEST_BODY_LENGTH_MISMATCH',
  REQUEST_BODY_FAILED: 'RWS_HTTP1_REQUEST_BODY_FAILED',
} as const;

/**
 * One-line descriptions of the client-only codes, merged into `ERROR_DESCRIPTIONS` of
 * `src/errors.ts` (HEADERS_TIMEOUT and INVALID_RESPONSE are shared with the server and
 * described there).
 */
export const CLIENT_ERROR_DESCRIPTIONS: Record<string, string> = {
  RWS_HTTP1_CONNECT_TIMEOUT:
    'client: the TCP connect (and TLS handshake) to the origin took longer than connectTimeoutMs',
  RWS_HTTP1_CONNECT_FAILED: 'client: the connection to the origin failed (refused, DNS, TLS)',
  RWS_HTTP1_BODY_TIMEOUT:
    'client: no response body bytes arrived for bodyTimeoutMs while the body was being read',
  RWS_HTTP1_SOCKET_CLOSED: 'client: the connection closed before the response was complete',
  RWS_HTTP1_ABORTED: 'client: the request was aborted through its AbortSignal',
  RWS_HTTP1_POOL_CLOSED: 'client: the pool or agent was closed or destroyed',
  RWS_HTTP1_POOL_QUEUE_FULL:
    'client: every socket of the pool is busy and maxQueue requests are already waiting',
  RWS_HTTP1_RESPONSE_TOO_LARGE:
    'client: the response head or trailer section exceeds maxResponseHeaderBytes (or has more than 256 fields)',
  RWS_HTTP1_INVALID_REQUEST_OPTIONS:
    'client: request options are invalid (method, path, origin, header or body type)',
  RWS_HTTP1_REQUEST_BODY_LENGTH_MISMATCH:
    'client: the request body produced a different number of bytes than its content-length',
  RWS_HTTP1_REQUEST_BODY_FAILED:
    'client: the request body stream threw while being sent; the request was abandoned and the socket dropped',
};

type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[keyof typeof CLIENT_ERROR_CODES];

/** Builds a client error. Status 502 marks upstream failures for a proxy mapping them. */
export function clientError(code: ClientErrorCode, message: string, cause?: unknown): RwsError {
  const status =
    code === CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS ||
    code === CLIENT_ERROR_CODES.REQUEST_BODY_LENGTH_MISMATCH ||
    code === CLIENT_ERROR_CODES.REQUEST_BODY_FAILED ||
    code === CLIENT_ERROR_CODES.ABORTED
      ? 500
      : code === CLIENT_ERROR_CODES.CONNECT_TIMEOUT ||
          code === CLIENT_ERROR_CODES.HEADERS_TIMEOUT ||
          code === CLIENT_ERROR_CODES.BODY_TIMEOUT
        ? 504
        : code === CLIENT_ERROR_CODES.POOL_QUEUE_FULL || code === CLIENT_ERROR_CODES.POOL_CLOSED
          ? 503
          : 502;
  return new RwsError(code, message, { status, cause, expose: false });
}

/** Shorthand for `RWS_HTTP1_INVALID_RESPONSE` naming the problem. */
export function invalidResponse(problem: string): RwsError {
  return clientError(CLIENT_ERROR_CODES.INVALID_RESPONSE, `invalid response: ${problem}`);
}
