/** @module */

export type { BodyOptions, BodyReadOptions } from './body.js';
export { Body, DEFAULT_BODY_LIMIT } from './body.js';
export type { HeadersInit } from './headers.js';
export { Headers } from './headers.js';
export type { RwsErrorOptions } from './rws-error.js';
export { isRwsError, RwsError } from './rws-error.js';
export type {
  BodyInit,
  BodySource,
  ConnectionInfo,
  FileBodyInit,
  Handler,
  MaybePromise,
  Middleware,
  Protocol,
  Request,
  Response,
  TlsInfo,
} from './types.js';
