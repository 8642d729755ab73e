/** @module */

export type { ConnectionHandler, RawConnectionHandler } from './alpn-dispatch.js';
export { AlpnDispatch } from './alpn-dispatch.js';
export type { ServerErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export { serve } from './serve.js';
export type {
  AdminOptions,
  HealthOptions,
  ReloadOptions,
  RunningServer,
  Servable,
  ServeMetricsOptions,
  ServeOptions,
  ServerCloseOptions,
  ServerLimits,
  ServerUrl,
  VirtualHost,
} from './types.js';
