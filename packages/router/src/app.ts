import { randomUUID } from 'node:crypto';
import {
  compose,
  empty,
  errorInfo,
  errorStatus,
  fromWebRequest,
  type Handler,
  Headers,
  isPromise,
  isRwsError,
  type MaybePromise,
  type Middleware,
  type Request,
  type Response,
  redirect,
  toWebResponse,
} from '@rws/core';
import { ERROR_CODES } from './errors.js';
import { readJson, searchParamsToObject } from './extractors.js';
import { isJsonType, mediaType, unsupportedMediaType } from './internal/media.js';
import { buildOpenApiDocument, type OpenApiOptions, renderDocsPage } from './openapi.js';
import { joinPaths, type RouteDefinition, RouteGroup, type RouteRegistry } from './route-group.js';
import { ROUTE_PATTERN } from './route-pattern.js';
import { type RouteMatch, Router, type RouterOptions } from './router.js';
import type {
  AppLogger,
  AppMiddleware,
  ErrorHandler,
  MiddlewareRequest,
  RouteMeta,
  RouteSchemas,
} from './types.js';
import { ValidationError, type ValidationIssue, validate } from './validation.js';

/** Options of `createApp`. */
export interface AppOptions<State> {
  /** Shared state every handler sees as `req.state` (typed). */
  state?: State;
  /** Router options: case sensitivity and trailing-slash policy. */
  router?: RouterOptions | undefined;
  /**
   * Where errors are logged, once each. Default: `console.error` — one line for a 4xx, the
   * details with the stack for a 5xx.
   */
  logger?: AppLogger | undefined;
}

/** A route as `app.routes()` lists it (mounted apps' routes included, prefixed). */
export interface AppRouteInfo {
  readonly method: string;
  readonly path: string;
  readonly host: string | null;
  readonly meta: RouteMeta;
  readonly schema: RouteSchemas;
}

/** A flattened route: definition plus everything dispatch needs. */
interface FlatRoute {
  readonly method: string;
  readonly path: string;
  readonly host: string | null;
  readonly def: RouteDefinition;
  readonly middleware: readonly Middleware[];
  readonly state: unknown;
  readonly onError: ErrorHandler | null;
}

interface RouteEntry {
  readonly pipeline: Handler;
  /** The route's full path pattern (mount prefixes included), set as `req[ROUTE_PATTERN]`. */
  readonly pattern: string;
  /** False for fully static paths: the request keeps its own (empty, mutable) params. */
  readonly hasParams: boolean;
  readonly state: unknown;
  readonly onError: ErrorHandler | null;
}

type MutableRequest = Request & { state: unknown; valid: unknown; [ROUTE_PATTERN]?: string };

interface Mount {
  readonly prefix: string;
  readonly app: App<unknown>;
  readonly chain: readonly RouteGroup<unknown, string>[];
}

const EMPTY_VALID = Object.freeze({ body: undefined, query: undefined, params: undefined });

/**
 * One line for a client error (4xx): the client sent something wrong, the stack says nothing
 * about the server. A 5xx gets the details object, with the error and its stack.
 */
const defaultLogger: AppLogger = {
  error(message, details) {
    const status = details['status'];
    if (typeof status === 'number' && status < 500) {
      const err = details['error'];
      const why = err instanceof Error ? err.message : String(err);
      const code = typeof details['code'] === 'string' ? ` ${details['code']}` : '';
      const id =
        typeof details['requestId'] === 'string' ? ` (request ${details['requestId']})` : '';
      console.error(`${message}: ${why}${code}${id}`);
      return;
    }
    console.error(message, details);
  },
};

function toMiddleware(m: AppMiddleware<unknown>): Middleware {
  if (typeof m === 'function') {
    const fn = m as unknown as (req: Request, next: Handler) => MaybePromise<Response>;
    return { handle: (req, next) => fn(req, next) };
  }
  return m as Middleware;
}

/** A `x-request-id` we can echo: 1–200 visible ASCII characters. */
function requestIdOf(req: Request): string {
  const given = req.headers.get('x-request-id');
  if (given !== null && given.length > 0 && given.length <= 200) {
    let isClean = true;
    for (let i = 0; i < given.length; i++) {
      const c = given.charCodeAt(i);
      if (c < 0x21 || c > 0x7e) {
        isClean = false;
        break;
      }
    }
    if (isClean) return given;
  }
  return randomUUID();
}

/** JSON unless the client asks for text (HTML or plain) and not for JSON. */
function wantsText(req: Request): boolean {
  const accept = req.headers.get('accept');
  if (accept === null) return false;
  if (accept.includes('json')) return false;
  return accept.includes('text/html') || accept.includes('text/plain');
}

/**
 * An application: routes, middleware, typed state, error mapping, validation, OpenAPI, and
 * `fetch()` to run it in-process. `app.handler` is a core `Handler` any rws transport serves.
 *
 * @example
 * ```ts
 * import { json } from '@rws/core';
 * import { createApp } from '@rws/router';
 * const app = createApp({ state: { greeting: 'hello' } });
 * app.get('/hello/:name', (req) => json({ message: `${req.state.greeting} ${req.params.name}` }));
 * const res = await app.request('/hello/ada');
 * ```
 */
export class App<State = undefined> extends RouteGroup<State, ''> implements RouteRegistry {
  readonly #state: State;
  readonly #logger: AppLogger;
  readonly #routerOptions: RouterOptions;
  readonly #defs: RouteDefinition[] = [];
  readonly #mounts: Mount[] = [];
  #router: Router<RouteEntry> | null = null;
  #notFoundHandler: Handler | null = null;
  #notFoundPipeline: Handler | null = null;
  #globalMiddleware: Middleware[] = [];
  #errorHandler: ErrorHandler<State> | null = null;
  #hasHosts = false;
  #openApiDoc: Record<string, unknown> | null = null;

  constructor(options: AppOptions<State> = {}) {
    super(null, '', null, []);
    this.#state = options.state as State;
    this.#logger = options.logger ?? defaultLogger;
    this.#routerOptions = options.router ?? {};
  }

  /** The app's state object. */
  get state(): State {
    return this.#state;
  }

  /** @internal Records a route; the router is (re)built on the next request. */
  addRoute(def: RouteDefinition): void {
    this.#defs.push(def);
    this.#invalidate();
  }

  override use(...middleware: AppMiddleware<State>[]): this {
    super.use(...middleware);
    this.#invalidate();
    return this;
  }

  /**
   * Serves `sub`'s routes under `prefix`, each wrapped in this app's middleware (of the point
   * of mounting) and then `sub`'s own. Handlers of `sub` keep `sub`'s state and `onError`;
   * 404s are answered by this app.
   */
  mount<SubState>(prefix: string, sub: App<SubState>): this {
    this.#mounts.push({
      prefix: prefix === '/' ? '' : prefix.replace(/\/$/, ''),
      app: sub as unknown as App<unknown>,
      chain: [this as unknown as RouteGroup<unknown, string>],
    });
    this.#invalidate();
    return this;
  }

  /** Answers requests no route matches (default: a 404 error body). Global middleware applies. */
  notFound(handler: (req: MiddlewareRequest<State>) => MaybePromise<Response>): this {
    this.#notFoundHandler = handler as unknown as Handler;
    this.#invalidate();
    return this;
  }

  /**
   * Turns errors thrown by handlers and middleware into responses. The error has already been
   * logged. If the handler throws, the default mapping answers.
   */
  onError(handler: ErrorHandler<State>): this {
    this.#errorHandler = handler;
    this.#invalidate();
    return this;
  }

  /**
   * Serves an OpenAPI 3.1 document at `GET /openapi.json` (built from the routes and their
   * schemas) and an offline API reference page at `GET /docs`.
   */
  openapi(options: OpenApiOptions): this {
    const specPath = options.path ?? '/openapi.json';
    this.get(specPath, { meta: { hidden: true } }, () => {
      this.#openApiDoc ??= buildOpenApiDocument(this.routes(), options);
      return {
        status: 200,
        headers: Headers.fromTrustedList(['content-type', 'application/json; charset=utf-8']),
        body: JSON.stringify(this.#openApiDoc),
      };
    });
    if (options.docsPath !== false) {
      const page = renderDocsPage(options.title, specPath);
      this.get(options.docsPath ?? '/docs', { meta: { hidden: true } }, () => ({
        status: 200,
        headers: Headers.fromTrustedList(['content-type', 'text/html; charset=utf-8']),
        body: page,
      }));
    }
    return this;
  }

  /** Every route, mounted apps included, with its metadata and schemas. */
  routes(): AppRouteInfo[] {
    return this.#flatten().map((r) => ({
      method: r.method,
      path: r.path,
      host: r.host,
      meta: r.def.options.meta ?? {},
      schema: r.def.options.schema ?? {},
    }));
  }

  /** The app as a core `Handler`: serve it with any rws transport. Never rejects. */
  readonly handler: Handler = (req) => this.#dispatch(req as MutableRequest);

  /**
   * Runs a Web `Request` through the whole app in-process and returns a Web `Response`
   * (the body of a HEAD response is dropped, as a transport would).
   */
  async fetch(request: globalThis.Request): Promise<globalThis.Response> {
    const res = await this.#dispatch(fromWebRequest(request) as MutableRequest);
    const web = toWebResponse(res);
    if (request.method === 'HEAD' && web.body !== null) {
      await web.body.cancel();
      return new globalThis.Response(null, {
        status: web.status,
        statusText: web.statusText,
        headers: web.headers,
      });
    }
    return web;
  }

  /** The test client: `app.request('/users/1', { method: 'DELETE' })`. */
  request(path: string, init?: RequestInit): Promise<globalThis.Response> {
    return this.fetch(new globalThis.Request(new URL(path, 'http://localhost'), init));
  }

  #invalidate(): void {
    this.#router = null;
    this.#openApiDoc = null;
  }

  /** @internal Routes of this app and its mounts, with their middleware, flattened. */
  #flatten(): FlatRoute[] {
    const out: FlatRoute[] = [];
    for (const def of this.#defs) {
      const middleware: Middleware[] = [];
      for (const group of def.chain)
        for (const m of group.middleware) middleware.push(toMiddleware(m));
      for (const m of def.options.middleware ?? []) middleware.push(toMiddleware(m));
      out.push({
        method: def.method,
        path: def.path,
        host: def.host,
        def,
        middleware,
        state: this.#state,
        onError: this.#errorHandler as ErrorHandler | null,
      });
    }
    for (const mount of this.#mounts) {
      const outer: Middleware[] = [];
      for (const group of mount.chain)
        for (const m of group.middleware) outer.push(toMiddleware(m));
      for (const r of mount.app.#flatten()) {
        out.push({
          ...r,
          path: joinPaths(mount.prefix, r.path),
          middleware: [...outer, ...r.middleware],
          onError: r.onError ?? (this.#errorHandler as ErrorHandler | null),
        });
      }
    }
    return out;
  }

  #build(): Router<RouteEntry> {
    const router = new Router<RouteEntry>(this.#routerOptions);
    this.#hasHosts = false;
    for (const r of this.#flatten()) {
      const pipeline = compose(r.middleware, finalHandler(r.def));
      const entry: RouteEntry = {
        pipeline,
        pattern: r.path,
        hasParams: r.path.includes(':') || r.path.includes('*'),
        state: r.state,
        onError: r.onError,
      };
      if (r.host === null) router.add(r.method, r.path, entry);
      else {
        this.#hasHosts = true;
        router.host(r.host).add(r.method, r.path, entry);
      }
    }
    this.#globalMiddleware = this.middleware.map((m) => toMiddleware(m as AppMiddleware<unknown>));
    const notFound = this.#notFoundHandler;
    this.#notFoundPipeline = compose(
      this.#globalMiddleware,
      notFound === null
        ? (req: Request) => this.#errorResponse(req, 404, 'Not Found', ERROR_CODES.NOT_FOUND)
        : notFound,
    );
    this.#router = router;
    return router;
  }

  #dispatch(req: MutableRequest): Promise<Response> | Response {
    const router = this.#router ?? this.#build();
    req.state = this.#state;
    req.valid = EMPTY_VALID;
    let match: RouteMatch<RouteEntry> | null;
    try {
      // The request's authority: an absolute-form target's over Host (RFC 9112 §3.2.2).
      match = router.lookup(routeMethod(req), req.path, this.#hasHosts ? req.authority : null);
    } catch (err) {
      return this.#fail(err, req, null);
    }
    if (match === null) return this.#run(this.#notFoundPipeline!, req, null);
    const entry = match.store;
    if (entry === null) return this.#run(this.#fallbackPipeline(req, match), req, null);
    // Static routes share one frozen empty params object; keep the request's own instead.
    if (entry.hasParams) req.params = match.params as Record<string, string>;
    req[ROUTE_PATTERN] = entry.pattern;
    if (entry.state !== this.#state) req.state = entry.state;
    return this.#run(entry.pipeline, req, entry.onError);
  }

  /** 405, automatic OPTIONS or a trailing-slash redirect, wrapped in the global middleware. */
  #fallbackPipeline(req: Request, match: RouteMatch<RouteEntry>): Handler {
    const allow = match.allow;
    let handler: Handler;
    if (match.redirect !== null) {
      const location = match.redirect + (req.search === '' ? '' : `?${req.search}`);
      // RFC 9110 §15.4.9: 308 keeps the method and body; 301 is fine for GET/HEAD.
      const status = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
      handler = () => redirect(location, status);
    } else if (req.method === 'OPTIONS') {
      // RFC 9110 §9.3.7: answer OPTIONS with the methods the resource supports.
      handler = () => empty(204, { headers: { allow } });
    } else {
      // RFC 9110 §15.5.6: a 405 must list the allowed methods in Allow.
      handler = (r) => {
        const res = this.#errorResponse(
          r,
          405,
          'Method Not Allowed',
          ERROR_CODES.METHOD_NOT_ALLOWED,
        );
        res.headers.set('allow', allow);
        return res;
      };
    }
    return compose(this.#globalMiddleware, handler);
  }

  #run(
    pipeline: Handler,
    req: MutableRequest,
    onError: ErrorHandler | null,
  ): MaybePromise<Response> {
    try {
      const res = pipeline(req);
      if (isPromise(res))
        return res.then(undefined, (err: unknown) => this.#fail(err, req, onError));
      return res;
    } catch (err) {
      return this.#fail(err, req, onError);
    }
  }

  #fail(err: unknown, req: MutableRequest, onError: ErrorHandler | null): MaybePromise<Response> {
    const requestId = requestIdOf(req);
    const status = errorStatus(err);
    this.#logger.error(`[rws] ${req.method} ${req.path} failed with ${status}`, {
      status,
      requestId,
      code: isRwsError(err) ? err.code : undefined,
      error: err,
    });
    const handler = onError ?? (this.#errorHandler as ErrorHandler | null);
    if (handler !== null) {
      try {
        const res = handler(err, req as MiddlewareRequest);
        if (isPromise(res)) return res.then(undefined, () => this.#mapError(err, req, requestId));
        return res;
      } catch {
        return this.#mapError(err, req, requestId);
      }
    }
    return this.#mapError(err, req, requestId);
  }

  /**
   * The default error response, by core's one rule (`errorInfo`): the error's status, its
   * message when exposed and its headers; an unexposed 5xx gets a request id and no details.
   */
  #mapError(err: unknown, req: Request, requestId: string): Response {
    if (err instanceof ValidationError) {
      return {
        status: 422,
        headers: Headers.fromTrustedList(['content-type', 'application/json; charset=utf-8']),
        body: JSON.stringify({ errors: err.issues }),
      };
    }
    const { status, isExposed, message, headers } = errorInfo(err);
    let res: Response;
    if (status >= 500 && !isExposed) {
      res = this.#errorResponse(
        req,
        status,
        message,
        status === 500 && !isRwsError(err) ? ERROR_CODES.INTERNAL : codeOf(err),
        requestId,
      );
      res.headers.set('x-request-id', requestId);
    } else {
      res = this.#errorResponse(req, status, message, codeOf(err));
    }
    if (headers !== null) {
      for (const [name, value] of headers) {
        // The App writes the error body, so its own Content-Type stays.
        if (name !== 'content-type' && name !== 'content-length') res.headers.append(name, value);
      }
    }
    return res;
  }

  #errorResponse(
    req: Request,
    status: number,
    message: string,
    code: string,
    requestId?: string,
  ): Response {
    if (wantsText(req)) {
      return {
        status,
        headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
        body: `${status} ${message}${requestId === undefined ? '' : `\nrequest id: ${requestId}`}\n`,
      };
    }
    const error: Record<string, unknown> = { status, message, code };
    if (requestId !== undefined) error['requestId'] = requestId;
    return {
      status,
      headers: new Headers({ 'content-type': 'application/json; charset=utf-8' }),
      body: JSON.stringify({ error }),
    };
  }
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : ERROR_CODES.HTTP_ERROR;
}

/** The route handler, preceded by Standard Schema validation when the route has schemas. */
function finalHandler(def: RouteDefinition): Handler {
  const handler = def.handler as unknown as Handler;
  const schemas = def.options.schema;
  if (schemas === undefined || (!schemas.body && !schemas.query && !schemas.params)) {
    return handler;
  }
  const limit = def.options.bodyLimit;
  return async (req) => {
    const issues: ValidationIssue[] = [];
    const valid: { body: unknown; query: unknown; params: unknown } = {
      body: undefined,
      query: undefined,
      params: undefined,
    };
    if (schemas.params) {
      const r = await validate(schemas.params, req.params, 'params');
      if (r.issues === null) valid.params = r.value;
      else issues.push(...r.issues);
    }
    if (schemas.query) {
      const r = await validate(schemas.query, searchParamsToObject(req.query), 'query');
      if (r.issues === null) valid.query = r.value;
      else issues.push(...r.issues);
    }
    if (schemas.body) {
      const r = await validate(schemas.body, await readBodyValue(req, limit), 'body');
      if (r.issues === null) valid.body = r.value;
      else issues.push(...r.issues);
    }
    if (issues.length > 0) throw new ValidationError(issues);
    const mutable = req as MutableRequest;
    mutable.valid = valid;
    if (schemas.params) mutable.params = valid.params as Record<string, string>;
    return handler(req);
  };
}

/** The body a body schema validates: JSON, or a urlencoded form as an object. */
async function readBodyValue(req: Request, limit: number | undefined): Promise<unknown> {
  const type = mediaType(req.headers.get('content-type'));
  if (isJsonType(type)) return readJson(req, { limit });
  if (type === 'application/x-www-form-urlencoded') {
    return searchParamsToObject(await req.body.form({ limit }));
  }
  if (type === '' && !req.body.hasBody) return undefined;
  throw unsupportedMediaType(req, 'application/json or application/x-www-form-urlencoded');
}

/**
 * Creates an App. `state` is shared by every request as `req.state`, typed.
 *
 * @example
 * ```ts
 * import { text } from '@rws/core';
 * import { createApp } from '@rws/router';
 * const app = createApp({ state: { visits: 0 } });
 * app.get('/', (req) => text(`visit ${++req.state.visits}`));
 * ```
 */
export function createApp<State = undefined>(options: AppOptions<State> = {}): App<State> {
  return new App<State>(options);
}

/**
 * The method a request is routed by: its own, except that an extended CONNECT (HTTP/2 or
 * HTTP/3 with `:protocol`, such as a WebSocket) is routed as GET, the method of its HTTP/1.1
 * form (GET with `Upgrade`), so one `app.get()` route serves the handshake on every protocol.
 * `req.method` stays `CONNECT`.
 * @see RFC 8441 §4, RFC 9220
 */
function routeMethod(req: Request): string {
  const upgrade = req.upgrade;
  return upgrade !== undefined && upgrade.kind === 'connect' && upgrade.protocol !== null
    ? 'GET'
    : req.method;
}
