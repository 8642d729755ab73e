/** @module */

export type { CircuitBreakerOptions, CircuitState, RedisLike } from './circuit-breaker.js';
export type { DnsSourceOptions } from './discovery/dns.js';
export { dnsSource } from './discovery/dns.js';
export { envSource } from './discovery/env.js';
export { fileSource } from './discovery/file.js';
export { staticSource } from './discovery/static.js';
export type {
  DiscoverySource,
  DiscoveryWatch,
  WatchDiscoveryOptions,
} from './discovery.js';
export { watchDiscovery } from './discovery.js';
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
  TcpBackendSnapshot,
  TcpHealthCheckOptions,
  TcpProxy,
  TcpProxyOptions,
} from './tcp-proxy.js';
export { createTcpProxy } from './tcp-proxy.js';
export type { SplitEntry, TrafficSplit, TrafficSplitOptions } from './traffic-split.js';
export { createTrafficSplit } from './traffic-split.js';
export type { UdpProxy, UdpProxyOptions } from './udp-proxy.js';
export { createUdpProxy } from './udp-proxy.js';
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
