/**
 * Every error code @rws/proxy throws or records as the cause of a proxy error response.
 * docs/errors.md lists the same codes; a test keeps the two in step.
 */
export const ERROR_CODES = {
  INVALID_OPTIONS: 'RWS_PROXY_INVALID_OPTIONS',
  NO_BACKEND: 'RWS_PROXY_NO_BACKEND',
  CONNECT_FAILED: 'RWS_PROXY_CONNECT_FAILED',
  CONNECT_TIMEOUT: 'RWS_PROXY_CONNECT_TIMEOUT',
  HEADERS_TIMEOUT: 'RWS_PROXY_HEADERS_TIMEOUT',
  BODY_TIMEOUT: 'RWS_PROXY_BODY_TIMEOUT',
  TOTAL_TIMEOUT: 'RWS_PROXY_TOTAL_TIMEOUT',
  INVALID_RESPONSE: 'RWS_PROXY_INVALID_RESPONSE',
  UPSTREAM_RESET: 'RWS_PROXY_UPSTREAM_RESET',
  CLIENT_ABORTED: 'RWS_PROXY_CLIENT_ABORTED',
  REQUEST_BODY_FAILED: 'RWS_PROXY_REQUEST_BODY_FAILED',
} as const;

/** A code @rws/proxy throws or records. */
export type ProxyErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<ProxyErrorCode, string>> = {
  RWS_PROXY_INVALID_OPTIONS:
    'A proxy, upstream or gateway option is invalid; the message names the option and the value.',
  RWS_PROXY_NO_BACKEND:
    'proxy: no backend of the upstream is available (all unhealthy, ejected or circuit-open); answered 503',
  RWS_PROXY_CONNECT_FAILED:
    'proxy: connecting to the backend failed (refused, reset, TLS verification); answered 502',
  RWS_PROXY_CONNECT_TIMEOUT:
    'proxy: connecting to the backend took longer than connectMs; answered 504',
  RWS_PROXY_HEADERS_TIMEOUT:
    'proxy: the backend sent no complete response head within responseHeadersMs; answered 504',
  RWS_PROXY_BODY_TIMEOUT:
    'proxy: the backend response body was silent for bodyIdleMs; the response to the client is cut short',
  RWS_PROXY_TOTAL_TIMEOUT:
    'proxy: the exchange with the backend took longer than totalMs; answered 504 (or cut short once streaming)',
  RWS_PROXY_INVALID_RESPONSE:
    'proxy: the backend response was malformed or ambiguous (framing, header syntax, too large); answered 502, never relayed',
  RWS_PROXY_UPSTREAM_RESET:
    'proxy: the backend closed the connection before the response was complete; answered 502 (or cut short once streaming)',
  RWS_PROXY_CLIENT_ABORTED: 'proxy: the client went away; the request to the backend was cancelled',
  RWS_PROXY_REQUEST_BODY_FAILED:
    'proxy: reading the client request body failed while forwarding it (client error or limit); answered 400 or the limit status',
};
