/** @module */

export type { AppOptions, AppRouteInfo } from './app.js';
export { App, createApp } from './app.js';
export type { RouterErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS } from './errors.js';
export type { BodyRequest, ReadBodyOptions } from './extractors.js';
export { readForm, readJson, readQuery, readText } from './extractors.js';
export type {
  MultipartField,
  MultipartFile,
  MultipartOptions,
  MultipartPart,
} from './multipart.js';
export { readMultipart } from './multipart.js';
export type { OpenApiOptions, OpenApiRoute } from './openapi.js';
export { buildOpenApiDocument, renderDocsPage } from './openapi.js';
export type { ChainMethod, RouteChain } from './route-group.js';
export { RouteGroup } from './route-group.js';
export { ROUTE_PATTERN, routePattern } from './route-pattern.js';
export type {
  HostRoutes,
  RouteMatch,
  RouteRecord,
  RouterOptions,
  TrailingSlashPolicy,
} from './router.js';
export { Router } from './router.js';
export type {
  InferInput,
  InferOutput,
  StandardSchemaV1,
  StandardSchemaV1Issue,
  StandardSchemaV1Props,
  StandardSchemaV1Result,
} from './standard-schema.js';
export type {
  AppLogger,
  AppMiddleware,
  AppRequest,
  ErrorHandler,
  MiddlewareFunction,
  MiddlewareRequest,
  NoSchemas,
  PathParams,
  ResponseMeta,
  RouteHandler,
  RouteMeta,
  RouteOptions,
  RouteParams,
  RouteSchemas,
  Simplify,
  ValidData,
} from './types.js';
export type { ValidationIssue } from './validation.js';
export { ValidationError } from './validation.js';
