/**
 * Every error code @rws/proxy throws or reports. docs/errors.md lists the same codes; a test
 * keeps the two in step. Configuration problems have their own table so `ProxyErrorCode`
 * stays the set of errors a proxied request can fail with.
 */

/** Codes of gateway configuration problems (`ConfigProblem.code`, `GatewayConfigError`). */
export const GATEWAY_CONFIG_CODES = {
  CONFIG_INVALID: 'RWS_PROXY_CONFIG_INVALID',
  CONFIG_TOML_SYNTAX: 'RWS_PROXY_CONFIG_TOML_SYNTAX',
  CONFIG_UNKNOWN_KEY: 'RWS_PROXY_CONFIG_UNKNOWN_KEY',
  CONFIG_INVALID_VALUE: 'RWS_PROXY_CONFIG_INVALID_VALUE',
  CONFIG_MISSING_VALUE: 'RWS_PROXY_CONFIG_MISSING_VALUE',
  CONFIG_UNKNOWN_UPSTREAM: 'RWS_PROXY_CONFIG_UNKNOWN_UPSTREAM',
  CONFIG_CONFLICT: 'RWS_PROXY_CONFIG_CONFLICT',
  CONFIG_UNSUPPORTED: 'RWS_PROXY_CONFIG_UNSUPPORTED',
} as const;

/** A code of a gateway configuration problem. */
export type GatewayConfigErrorCode =
  (typeof GATEWAY_CONFIG_CODES)[keyof typeof GATEWAY_CONFIG_CODES];

/** Codes of the reverse proxy and upstreams: what a proxied request failed with. */
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

/** A code of a proxy error (what a proxied request failed with). */
export type ProxyErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Codes of service discovery (reported to `watchDiscovery`'s `onError`, never to a request). */
export const DISCOVERY_ERROR_CODES = {
  DISCOVERY_FAILED: 'RWS_PROXY_DISCOVERY_FAILED',
} as const;

/** A code of a discovery failure. */
export type DiscoveryErrorCode = (typeof DISCOVERY_ERROR_CODES)[keyof typeof DISCOVERY_ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<
  Record<ProxyErrorCode | GatewayConfigErrorCode | DiscoveryErrorCode, string>
> = {
  RWS_PROXY_INVALID_OPTIONS:
    'A proxy, upstream or gateway option is invalid; the message names the option and the value.',
  RWS_PROXY_CONFIG_INVALID:
    'A gateway configuration has problems; the error lists every one with its key path and line (nothing was started or swapped).',
  RWS_PROXY_CONFIG_TOML_SYNTAX: 'The gateway configuration is not valid TOML.',
  RWS_PROXY_CONFIG_UNKNOWN_KEY:
    'A gateway configuration key is not one the gateway reads (with a did-you-mean suggestion).',
  RWS_PROXY_CONFIG_INVALID_VALUE:
    'A gateway configuration value has the wrong type, is out of range, or is not a valid address, path or header.',
  RWS_PROXY_CONFIG_MISSING_VALUE: 'A required gateway configuration key is missing.',
  RWS_PROXY_CONFIG_UNKNOWN_UPSTREAM:
    'A proxy route names an upstream that no [[upstream]] defines and that is not an address.',
  RWS_PROXY_CONFIG_CONFLICT:
    'Two gateway configuration keys contradict each other (a duplicate upstream name, an action key given twice, keys of another action type).',
  RWS_PROXY_CONFIG_UNSUPPORTED:
    'A gateway configuration section or action type is recognised but not supported yet; the message names the issue that adds it.',
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
  RWS_PROXY_DISCOVERY_FAILED:
    'discovery: a source (etcd, Consul, Docker, Kubernetes) could not be read or its watch broke; the last known backends stay in force',
  RWS_PROXY_REQUEST_BODY_FAILED:
    'proxy: reading the client request body failed while forwarding it (client error or limit); answered 400 or the limit status',
};
