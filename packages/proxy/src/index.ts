/** @module */

export type { CircuitBreakerOptions, CircuitState, RedisLike } from './circuit-breaker.js';
export type { ConfigProblem, ConfigSource, KeyPath } from './config/config-problem.js';
export { formatConfigProblem, keyPathName } from './config/config-problem.js';
export { didYouMean } from './config/did-you-mean.js';
export type * from './config/gateway-config.js';
export { createGatewayJsonSchema } from './config/gateway-json-schema.js';
export type {
  GatewayConfigProblem,
  GatewayConfigResult,
  ParseGatewayConfigOptions,
} from './config/parse-gateway-config.js';
export {
  GATEWAY_SECTIONS,
  hasGatewaySections,
  parseBackendAddress,
  parseGatewayConfig,
} from './config/parse-gateway-config.js';
export { findTomlLine, tomlLineOf } from './config/toml-line.js';
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
export type { GatewayConfigErrorCode, ProxyErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS, GATEWAY_CONFIG_CODES } from './errors.js';
export type {
  Gateway,
  GatewayListenerInfo,
  GatewayOptions,
  GatewayReloadResult,
  GatewaySource,
} from './gateway/create-gateway.js';
export { createGateway } from './gateway/create-gateway.js';
export { GatewayConfigError } from './gateway/gateway-config-error.js';
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
