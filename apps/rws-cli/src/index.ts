/** @module */

export type { BannerInput } from './banner.js';
export { renderBanner } from './banner.js';
export type { ConfigKey, ValueType } from './config/config-key.js';
export { renderHelp } from './config/help.js';
export { createJsonSchema, renderJsonSchema } from './config/json-schema.js';
export type { CliCommand, ParsedArgs } from './config/parse-args.js';
export { parseArgs } from './config/parse-args.js';
export type { ParsedEnv } from './config/parse-env.js';
export { parseEnv } from './config/parse-env.js';
export type { ParsedToml } from './config/parse-toml.js';
export { parseToml } from './config/parse-toml.js';
export type { ConfigProblem, ConfigSource } from './config/problem.js';
export { formatProblem } from './config/problem.js';
export type {
  ResolveConfigAsyncInput,
  ResolveConfigInput,
  ResolveConfigResult,
} from './config/resolve-config.js';
export {
  ConfigError,
  DEFAULT_CONFIG_FILE,
  loadConfig,
  resolveConfig,
  resolveConfigAsync,
} from './config/resolve-config.js';
export { CONFIG_KEYS, defaultConfig } from './config/schema.js';
export type {
  CorsConfig,
  ProxyConfigRaw,
  ServerConfig,
  VirtualHost,
} from './config/server-config.js';
export type { CreateHandlerOptions } from './create-handler.js';
export { createHandler } from './create-handler.js';
export type { CliErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export type { CliIo } from './main.js';
export { main, VERSION } from './main.js';
export type { StartContext } from './start.js';
export { startServer } from './start.js';
export { toServeOptions } from './to-serve-options.js';
