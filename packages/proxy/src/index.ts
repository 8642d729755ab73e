/** @module */

export type { CircuitBreakerOptions, CircuitState, RedisLike } from './circuit-breaker.js';
export type { ConfigProblem, ConfigSource, KeyPath } from './config/config-problem.js';
export { formatConfigProblem, keyPathName } from './config/config-problem.js';
export { didYouMean } from './config/did-you-mean.js';
export type * from './config/gateway-config.js';
export { createGatewayJsonSchema, storageSourceJsonSchema } from './config/gateway-json-schema.js';
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
export type { ConsulSourceOptions } from './discovery/consul.js';
export { consulSource } from './discovery/consul.js';
export type { DnsSourceOptions } from './discovery/dns.js';
export { dnsSource } from './discovery/dns.js';
export type { DockerSourceOptions } from './discovery/docker.js';
export { dockerSource } from './discovery/docker.js';
export { envSource } from './discovery/env.js';
export type { EtcdSourceOptions } from './discovery/etcd.js';
export { etcdSource } from './discovery/etcd.js';
export { fileSource } from './discovery/file.js';
export type { KubernetesApiOptions, KubernetesSourceOptions } from './discovery/kubernetes.js';
export { kubernetesSource } from './discovery/kubernetes.js';
export type {
  IngressPathType,
  IngressResolveOptions,
  IngressRoute,
  IngressSnapshot,
  IngressSource,
  IngressTls,
  KubernetesIngressOptions,
} from './discovery/kubernetes-ingress.js';
export { kubernetesIngressSource } from './discovery/kubernetes-ingress.js';
export { staticSource } from './discovery/static.js';
export type {
  DiscoverySource,
  DiscoveryWatch,
  WatchDiscoveryOptions,
} from './discovery.js';
export { watchDiscovery } from './discovery.js';
export type { DiscoveryErrorCode, GatewayConfigErrorCode, ProxyErrorCode } from './errors.js';
export {
  DISCOVERY_ERROR_CODES,
  ERROR_CODES,
  ERROR_DESCRIPTIONS,
  GATEWAY_CONFIG_CODES,
} from './errors.js';
export type {
  Gateway,
  GatewayListenerInfo,
  GatewayOptions,
  GatewayReloadResult,
  GatewaySource,
} from './gateway/create-gateway.js';
export { createGateway } from './gateway/create-gateway.js';
export { GatewayConfigError } from './gateway/gateway-config-error.js';
export type { IngressRouter, IngressRouterOptions } from './ingress-router.js';
export { createIngressRouter } from './ingress-router.js';
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
  OpenStorageSourceOptions,
  ParseStorageSourceOptions,
  StorageSourceProblem,
} from './storage-source.js';
export { openStorageSource, parseStorageSource } from './storage-source.js';
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
