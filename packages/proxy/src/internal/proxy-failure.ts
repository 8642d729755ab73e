/**
 * What a failed exchange becomes: the proxy's cause code for an http1 client error (and who
 * aborted), and the answer the client gets for it (a short plain-text body, or gRPC
 * trailers-only for a gRPC call).
 */
import {
  type AbortSignalLike,
  Headers,
  isRwsError,
  type Request,
  type Response,
  statusText,
} from '@rws/core';
import { ERROR_CODES, type ProxyErrorCode } from '../errors.js';
import { grpcFailure, isGrpcRequest } from './grpc.js';

/** The short cause each failure answer names. */
export const MESSAGES: Record<ProxyErrorCode, string> = {
  RWS_PROXY_INVALID_OPTIONS: 'proxy misconfigured',
  RWS_PROXY_NO_BACKEND: 'no backend available',
  RWS_PROXY_CONNECT_FAILED: 'could not connect to the backend',
  RWS_PROXY_CONNECT_TIMEOUT: 'connecting to the backend timed out',
  RWS_PROXY_HEADERS_TIMEOUT: 'the backend did not answer in time',
  RWS_PROXY_BODY_TIMEOUT: 'the backend response stalled',
  RWS_PROXY_TOTAL_TIMEOUT: 'the backend exchange took too long',
  RWS_PROXY_INVALID_RESPONSE: 'the backend sent an invalid response',
  RWS_PROXY_UPSTREAM_RESET: 'the backend closed the connection',
  RWS_PROXY_CLIENT_ABORTED: 'client closed the request',
  RWS_PROXY_REQUEST_BODY_FAILED: 'the request body could not be read',
};

const STATUS_OF: Record<ProxyErrorCode, number> = {
  RWS_PROXY_INVALID_OPTIONS: 500,
  RWS_PROXY_NO_BACKEND: 503,
  RWS_PROXY_CONNECT_FAILED: 502,
  RWS_PROXY_CONNECT_TIMEOUT: 504,
  RWS_PROXY_HEADERS_TIMEOUT: 504,
  RWS_PROXY_BODY_TIMEOUT: 504,
  RWS_PROXY_TOTAL_TIMEOUT: 504,
  RWS_PROXY_INVALID_RESPONSE: 502,
  RWS_PROXY_UPSTREAM_RESET: 502,
  // Nobody reads it; 499 is what nginx logs for the same case.
  RWS_PROXY_CLIENT_ABORTED: 499,
  RWS_PROXY_REQUEST_BODY_FAILED: 400,
};

/** A proxy error response: a short plain-text body naming the cause. */
export function errorResponse(code: ProxyErrorCode, status: number = STATUS_OF[code]): Response {
  return {
    status,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: `${status} ${statusText(status) || 'Error'}: ${MESSAGES[code]}\n`,
  };
}

/**
 * A WebSocket (HTTP/1.1 Upgrade or extended CONNECT) picked an h3 backend: relaying it would
 * need an RFC 9220 extended CONNECT through the upstream's HTTP/3 client, which the proxy does
 * not send yet (planned), so the handshake is refused instead of reaching the backend as a GET.
 */
export function webSocketToH3Backend(): Response {
  return {
    status: 502,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: '502 Bad Gateway: a WebSocket cannot be relayed to an h3 backend yet (use http://, https://, h2: or h2s:)\n',
  };
}

/** A failure answer: gRPC calls get grpc-status trailers, others a plain-text error. */
export function fail(req: Request, code: ProxyErrorCode, status?: number): Response {
  return isGrpcRequest(req) ? grpcFailure(code, MESSAGES[code]) : errorResponse(code, status);
}

/**
 * Maps an http1 client error (and who aborted) to the proxy's cause code; `client` aborts when
 * the client went away (`req.signal`, plus `req.halfClose` with `clientHalfClose: 'abort'`).
 */
export function classify(
  err: unknown,
  client: AbortSignalLike,
  totalSignal: AbortSignal | null,
): ProxyErrorCode {
  if (client.aborted) return ERROR_CODES.CLIENT_ABORTED;
  if (totalSignal?.aborted) return ERROR_CODES.TOTAL_TIMEOUT;
  const code = isRwsError(err) ? err.code : '';
  // The HTTP/2 exchange reports its causes in the proxy's own codes.
  if (code in STATUS_OF) return code as ProxyErrorCode;
  switch (code) {
    case 'RWS_HTTP1_CONNECT_FAILED':
      return ERROR_CODES.CONNECT_FAILED;
    case 'RWS_HTTP1_CONNECT_TIMEOUT':
      return ERROR_CODES.CONNECT_TIMEOUT;
    case 'RWS_HTTP1_HEADERS_TIMEOUT':
      return ERROR_CODES.HEADERS_TIMEOUT;
    case 'RWS_HTTP1_BODY_TIMEOUT':
      return ERROR_CODES.BODY_TIMEOUT;
    case 'RWS_HTTP1_INVALID_RESPONSE':
    case 'RWS_HTTP1_RESPONSE_TOO_LARGE':
      return ERROR_CODES.INVALID_RESPONSE;
    case 'RWS_HTTP1_REQUEST_BODY_FAILED':
    case 'RWS_HTTP1_REQUEST_BODY_LENGTH_MISMATCH':
      return ERROR_CODES.REQUEST_BODY_FAILED;
    case 'RWS_HTTP1_POOL_QUEUE_FULL':
    case 'RWS_HTTP1_POOL_CLOSED':
      return ERROR_CODES.NO_BACKEND;
    default:
      return ERROR_CODES.UPSTREAM_RESET;
  }
}
