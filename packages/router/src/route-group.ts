import { RwsError } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import type {
  AppMiddleware,
  NoSchemas,
  RouteHandler,
  RouteOptions,
  RouteSchemas,
} from './types.js';

/** @internal A route as recorded before the router is built. */
export interface RouteDefinition {
  readonly method: string;
  /** Full path, group prefixes included. */
  readonly path: string;
  readonly host: string | null;
  readonly handler: RouteHandler<string, unknown, RouteSchemas>;
  readonly options: RouteOptions<RouteSchemas, unknown>;
  /** Groups from the outermost (the app) to the innermost; their middleware wraps the route. */
  readonly chain: readonly RouteGroup<unknown, string>[];
}

/** @internal The registry a group writes into (its App). */
export interface RouteRegistry {
  addRoute(def: RouteDefinition): void;
}

/** Joins a prefix and a path: `('/api', '/users')` → `/api/users`, `('/api', '/')` → `/api`. */
export function joinPaths(prefix: string, path: string): string {
  if (prefix === '' || prefix === '/') return path;
  if (path === '/' || path === '') return prefix;
  return prefix + path;
}

function normalisePrefix(prefix: string): string {
  if (prefix === '' || prefix === '/') return '';
  if (prefix.charCodeAt(0) !== 47) {
    throw new RwsError(
      ERROR_CODES.INVALID_PATH,
      `invalid group prefix ${JSON.stringify(prefix)}: it must start with "/"`,
    );
  }
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** Chained registration for one path: `app.route('/users/:id').get(h).put(h2)`. */
export interface RouteChain<Path extends string, State> {
  get: ChainMethod<this, Path, State>;
  post: ChainMethod<this, Path, State>;
  put: ChainMethod<this, Path, State>;
  patch: ChainMethod<this, Path, State>;
  delete: ChainMethod<this, Path, State>;
  head: ChainMethod<this, Path, State>;
  options: ChainMethod<this, Path, State>;
  all: ChainMethod<this, Path, State>;
}

/** A method of a `RouteChain`. */
export interface ChainMethod<Self, Path extends string, State> {
  (handler: RouteHandler<Path, State>): Self;
  <Schemas extends RouteSchemas = NoSchemas>(
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<Path, State, Schemas>,
  ): Self;
}

/**
 * A set of routes under a common prefix, with its own middleware. `App` is the root group;
 * `app.group(prefix, (g) => …)` makes nested ones. Middleware added with `use()` applies to
 * every route of the group, including routes registered before the `use()` call.
 */
export class RouteGroup<State, Prefix extends string = ''> {
  readonly #registry: RouteRegistry;
  readonly #prefix: string;
  readonly #host: string | null;
  readonly #chain: readonly RouteGroup<unknown, string>[];
  /** @internal Middleware of this group, in `use()` order. */
  readonly middleware: AppMiddleware<State>[] = [];

  /** @internal */
  constructor(
    registry: RouteRegistry | null,
    prefix: string,
    host: string | null,
    parentChain: readonly RouteGroup<unknown, string>[],
  ) {
    this.#registry = registry ?? (this as unknown as RouteRegistry);
    this.#prefix = normalisePrefix(prefix);
    this.#host = host;
    this.#chain = [...parentChain, this as unknown as RouteGroup<unknown, string>];
  }

  /** The full prefix of this group ('' for the app). */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * Adds middleware to every route of this group: a core `Middleware` (`{ handle(req, next) }`)
   * or, as sugar, a plain function `(req, next) => response`, converted to one.
   */
  use(...middleware: AppMiddleware<State>[]): this {
    for (const m of middleware) {
      if (
        typeof m !== 'function' &&
        (typeof m !== 'object' || m === null || typeof m.handle !== 'function')
      ) {
        throw new RwsError(
          ERROR_CODES.INVALID_HANDLER,
          'middleware must be a function or { handle(req, next) }',
        );
      }
      this.middleware.push(m);
    }
    return this;
  }

  /** Registers a route for one or more methods (`'ALL'` for any). */
  on(
    method: string | readonly string[],
    path: string,
    optionsOrHandler: RouteOptions<RouteSchemas, State> | RouteHandler<string, State, RouteSchemas>,
    maybeHandler?: RouteHandler<string, State, RouteSchemas>,
  ): this {
    let options: RouteOptions<RouteSchemas, State>;
    let handler: RouteHandler<string, State, RouteSchemas> | undefined;
    if (typeof optionsOrHandler === 'function') {
      options = {};
      handler = optionsOrHandler;
    } else {
      options = optionsOrHandler ?? {};
      handler = maybeHandler;
    }
    if (typeof handler !== 'function') {
      throw new RwsError(
        ERROR_CODES.INVALID_HANDLER,
        `route ${String(method)} ${path} has no handler function`,
      );
    }
    const full = joinPaths(this.#prefix, path);
    for (const m of typeof method === 'string' ? [method] : method) {
      this.#registry.addRoute({
        method: m.toUpperCase(),
        path: full,
        host: this.#host,
        handler: handler as RouteHandler<string, unknown, RouteSchemas>,
        options: options as RouteOptions<RouteSchemas, unknown>,
        chain: this.#chain,
      });
    }
    return this;
  }

  /** A GET route (it also answers HEAD). */
  get<Path extends string>(path: Path, handler: RouteHandler<`${Prefix}${Path}`, State>): this;
  get<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<`${Prefix}${Path}`, State, Schemas>,
  ): this;
  get(path: string, a: unknown, b?: unknown): this {
    return this.on('GET', path, a as never, b as never);
  }

  /** A POST route. */
  post<Path extends string>(path: Path, handler: RouteHandler<`${Prefix}${Path}`, State>): this;
  post<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<`${Prefix}${Path}`, State, Schemas>,
  ): this;
  post(path: string, a: unknown, b?: unknown): this {
    return this.on('POST', path, a as never, b as never);
  }

  /** A PUT route. */
  put<Path extends string>(path: Path, handler: RouteHandler<`${Prefix}${Path}`, State>): this;
  put<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<`${Prefix}${Path}`, State, Schemas>,
  ): this;
  put(path: string, a: unknown, b?: unknown): this {
    return this.on('PUT', path, a as never, b as never);
  }

  /** A PATCH route. */
  patch<Path extends string>(path: Path, handler: RouteHandler<`${Prefix}${Path}`, State>): this;
  patch<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<`${Prefix}${Path}`, State, Schemas>,
  ): this;
  patch(path: string, a: unknown, b?: unknown): this {
    return this.on('PATCH', path, a as never, b as never);
  }

  /** A DELETE route. */
  delete<Path extends string>(path: Path, handler: RouteHandler<`${Prefix}${Path}`, State>): this;
  delete<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<`${Prefix}${Path}`, State, Schemas>,
  ): this;
  delete(path: string, a: unknown, b?: unknown): this {
    return this.on('DELETE', path, a as never, b as never);
  }

  /** A HEAD route (overrides the automatic HEAD of a GET). */
  head<Path extends string>(path: Path, handler: RouteHandler<`${Prefix}${Path}`, State>): this;
  head<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<`${Prefix}${Path}`, State, Schemas>,
  ): this;
  head(path: string, a: unknown, b?: unknown): this {
    return this.on('HEAD', path, a as never, b as never);
  }

  /** An OPTIONS route (overrides the automatic 204 answer). */
  options<Path extends string>(path: Path, handler: RouteHandler<`${Prefix}${Path}`, State>): this;
  options<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<`${Prefix}${Path}`, State, Schemas>,
  ): this;
  options(path: string, a: unknown, b?: unknown): this {
    return this.on('OPTIONS', path, a as never, b as never);
  }

  /** A route for any method (including OPTIONS, then not answered automatically). */
  all<Path extends string>(path: Path, handler: RouteHandler<`${Prefix}${Path}`, State>): this;
  all<Path extends string, Schemas extends RouteSchemas = NoSchemas>(
    path: Path,
    options: RouteOptions<Schemas, State>,
    handler: RouteHandler<`${Prefix}${Path}`, State, Schemas>,
  ): this;
  all(path: string, a: unknown, b?: unknown): this {
    return this.on('ALL', path, a as never, b as never);
  }

  /** Registers several methods on one path: `app.route('/items/:id').get(h).put(h2)`. */
  route<Path extends string>(path: Path): RouteChain<`${Prefix}${Path}`, State> {
    const chain = {} as Record<string, unknown>;
    for (const m of ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'all']) {
      chain[m] = (a: never, b?: never) => {
        this.on(m === 'all' ? 'ALL' : m.toUpperCase(), path, a, b);
        return chain;
      };
    }
    return chain as unknown as RouteChain<`${Prefix}${Path}`, State>;
  }

  /** A nested group: routes under `prefix`, with middleware of their own. */
  group<Sub extends string>(
    prefix: Sub,
    define: (group: RouteGroup<State, `${Prefix}${Sub}`>) => void,
  ): this {
    const group = new RouteGroup<State, `${Prefix}${Sub}`>(
      this.#registry,
      joinPaths(this.#prefix, normalisePrefix(prefix)),
      this.#host,
      this.#chain,
    );
    define(group);
    return this;
  }

  /**
   * A group whose routes only match requests for `host` (`api.example.com`, or
   * `*.example.com` for any subdomain); port and case of the Host header are ignored.
   */
  host(host: string, define: (group: RouteGroup<State, Prefix>) => void): this {
    const group = new RouteGroup<State, Prefix>(this.#registry, this.#prefix, host, this.#chain);
    define(group);
    return this;
  }
}
