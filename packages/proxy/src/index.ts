/** @module */

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
export type { ProxyErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export type {
  Gateway,
  GatewayOptions,
  GatewayReloadResult,
  GatewaySource,
} from './gateway/create-gateway.js';
export { createGateway } from './gateway/create-gateway.js';
export { GatewayConfigError } from './gateway/gateway-config-error.js';
