/** @module */

export type { ConnectionHandler } from './alpn-dispatch.js';
export { AlpnDispatch } from './alpn-dispatch.js';
export type { ServerErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export type { MetricsOptions } from './metrics.js';
export {
  createMetrics,
  DEFAULT_DURATION_BUCKETS,
  METRICS_CONTENT_TYPE,
  Metrics,
} from './metrics.js';
export { serve } from './serve.js';
export type {
  HealthOptions,
  ReloadOptions,
  RunningServer,
  Servable,
  ServeOptions,
  ServerCloseOptions,
  ServerLimits,
  ServerUrl,
  VirtualHost,
} from './types.js';
