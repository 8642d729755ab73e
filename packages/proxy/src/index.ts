/** @module */

export type { CircuitBreakerOptions, CircuitState, RedisLike } from './circuit-breaker.js';
export type { ProxyErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export type { ForwardedMode } from './internal/forwarding.js';
export type { ProxyInfo } from './proxy-info.js';
export { getProxyInfo } from './proxy-info.js';
export type {
  ProxyTimeouts,
  RetryOptions,
  ReverseProxy,
  ReverseProxyOptions,
} from './reverse-proxy.js';
export { reverseProxy } from './reverse-proxy.js';
export type {
  Backend,
  BackendOptions,
  BackendPicker,
  BackendSnapshot,
  HealthCheckOptions,
  OutlierDetectionOptions,
  Strategy,
  Upstream,
  UpstreamOptions,
} from './upstream.js';
export { createUpstream, STRATEGIES } from './upstream.js';
