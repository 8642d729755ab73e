/** @module */

export type { AgentOptions, RequestOptions } from './agent.js';
export { Agent, createAgent } from './agent.js';
export type { ClientRequestOptions } from './client.js';
export { getGlobalAgent, request, setGlobalAgent } from './client.js';
export { writeEarlyHints } from './early-hints.js';
export type { Http1ErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export type {
  CloseOptions,
  Http1ServerOptions,
  ListenOptions,
} from './http1-server.js';
export { createServer, Http1Server } from './http1-server.js';
export type {
  ClientResponse,
  ClientTlsOptions,
  InformationalResponse,
  PoolOptions,
  PoolRequestOptions,
  PoolStats,
  RequestBodyInit,
  RequestTimeouts,
} from './pool.js';
export { createPool, Pool } from './pool.js';
export { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_TLS_CIPHERS } from './tls-defaults.js';
