import type { Handler, MaybePromise, Middleware, Request, Response } from '@rws/core';
import type { InferOutput, StandardSchemaV1 } from './standard-schema.js';

/** Flattens an intersection for readable hovers. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

type ParamName<S extends string> = S extends `${infer N}(${string}` ? N : S;

type ExtractParams<P extends string> = P extends `${string}/:${infer Rest}`
  ? Rest extends `${infer Segment}/${infer Tail}`
    ? { [K in ParamName<Segment>]: string } & ExtractParams<`/${Tail}`>
    : { [K in ParamName<Rest>]: string }
  : P extends `${string}/*${infer Wild}`
    ? { [K in Wild extends '' ? '*' : Wild]: string }
    : unknown;

/**
 * The params object of a route path: `'/users/:id/files/*path'` → `{ id: string; path: string }`,
 * a bare `*` → `{ '*': string }`, patterns (`:id(\\d+)`) → `{ id: string }`.
 */
export type PathParams<P extends string> = string extends P
  ? Record<string, string>
  : Simplify<ExtractParams<P>>;

/** The schemas of a route without validation. */
export type NoSchemas = Record<never, never>;

/** The schemas a route may validate; the handler sees the outputs in `req.valid`. */
export interface RouteSchemas {
  /** Validates the JSON (or urlencoded form) body. */
  body?: StandardSchemaV1 | undefined;
  /** Validates the query, as an object of strings (repeated keys → arrays). */
  query?: StandardSchemaV1 | undefined;
  /** Validates the path params; its output replaces `req.params`. */
  params?: StandardSchemaV1 | undefined;
}

type OutputOf<S, K extends keyof RouteSchemas> = S extends { [P in K]: infer X }
  ? X extends StandardSchemaV1
    ? InferOutput<X>
    : undefined
  : undefined;

/** What validation produced: `req.valid.body`, `.query`, `.params` (undefined without a schema). */
export interface ValidData<S extends RouteSchemas = RouteSchemas> {
  readonly body: OutputOf<S, 'body'>;
  readonly query: OutputOf<S, 'query'>;
  readonly params: OutputOf<S, 'params'>;
}

/**
 * The request an App handler receives: the core `Request` plus typed `params`, the app's
 * `state` and the validated data.
 */
export type AppRequest<
  Params = Record<string, string>,
  State = unknown,
  Schemas extends RouteSchemas = RouteSchemas,
> = Omit<Request, 'params'> & {
  /** Decoded path params (the params schema's output when there is one). */
  params: Params;
  /** The state object given to `createApp({ state })`, shared by every request. */
  readonly state: State;
  /** Validated body, query and params (see `RouteSchemas`). */
  readonly valid: ValidData<Schemas>;
};

/** The params type a handler sees for `Path` and `Schemas`. */
export type RouteParams<Path extends string, Schemas extends RouteSchemas> = Schemas extends {
  params: infer X;
}
  ? X extends StandardSchemaV1
    ? InferOutput<X>
    : PathParams<Path>
  : PathParams<Path>;

/** A route handler. */
export type RouteHandler<Path extends string, State, Schemas extends RouteSchemas = NoSchemas> = (
  req: AppRequest<RouteParams<Path, Schemas>, State, Schemas>,
) => MaybePromise<Response>;

/** The request middleware sees: params are not narrowed yet. */
export type MiddlewareRequest<State = unknown> = AppRequest<Record<string, string>, State>;

/**
 * Plain-function middleware: sugar for `{ handle(req, next) }`, converted on registration.
 */
export type MiddlewareFunction<State = unknown> = (
  req: MiddlewareRequest<State>,
  next: Handler<MiddlewareRequest<State>>,
) => MaybePromise<Response>;

/** Middleware an App accepts: the core `Middleware` interface or a plain function. */
export type AppMiddleware<State = unknown> =
  | Middleware<MiddlewareRequest<State>>
  | Middleware
  | MiddlewareFunction<State>;

/** A response an OpenAPI document lists for an operation. */
export interface ResponseMeta {
  description?: string | undefined;
  /** A Standard Schema, or a JSON Schema object used as is. */
  schema?: StandardSchemaV1 | Record<string, unknown> | undefined;
  /** Default `application/json`. */
  contentType?: string | undefined;
}

/** Route metadata for OpenAPI and listings. */
export interface RouteMeta {
  /** A unique route name (also the default operationId). */
  name?: string | undefined;
  summary?: string | undefined;
  description?: string | undefined;
  tags?: readonly string[] | undefined;
  operationId?: string | undefined;
  deprecated?: boolean | undefined;
  /** Responses by status code (`'200'`, `'404'`, `'default'`). */
  responses?: Readonly<Record<string, ResponseMeta>> | undefined;
  /** Leave the route out of the OpenAPI document. */
  hidden?: boolean | undefined;
}

/** Options of one route: middleware, schemas and metadata. */
export interface RouteOptions<Schemas extends RouteSchemas = RouteSchemas, State = unknown> {
  /** Middleware run for this route only, inside group and app middleware. */
  middleware?: readonly AppMiddleware<State>[] | undefined;
  /** Standard Schema validation of body, query and params (invalid → 422). */
  schema?: Schemas | undefined;
  meta?: RouteMeta | undefined;
  /** Body size limit for schema-validated bodies (default: the body's own limit, 1 MiB). */
  bodyLimit?: number | undefined;
}

/** Handles an error thrown by a handler or middleware. */
export type ErrorHandler<State = unknown> = (
  error: unknown,
  req: MiddlewareRequest<State>,
) => MaybePromise<Response>;

/** Where the App logs errors; `console` fits. */
export interface AppLogger {
  error(message: string, details: Record<string, unknown>): void;
}
