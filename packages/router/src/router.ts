import { asciiLower, normalizeHost, RwsError } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import {
  ANY_METHOD,
  collect,
  insert,
  type Leaf,
  parsePath,
  scratch,
  Tree,
  walk,
} from './internal/tree.js';

/** What to do when a path misses only by a trailing slash. */
export type TrailingSlashPolicy = 'strict' | 'ignore' | 'redirect';

/** Options of a `Router`. */
export interface RouterOptions {
  /** Match static path text case-sensitively (default true; parameter values keep their case). */
  caseSensitive?: boolean | undefined;
  /**
   * `'strict'` (default): `/a` and `/a/` are different paths. `'ignore'`: a miss is retried
   * with the trailing slash toggled. `'redirect'`: such a retry that hits returns a match
   * whose `redirect` is the canonical path (the App answers 301 for GET/HEAD, 308 otherwise).
   */
  trailingSlash?: TrailingSlashPolicy | undefined;
}

/** The result of `Router.lookup`. */
export interface RouteMatch<T> {
  /** The store of the matched route, or null when the path exists under other methods only. */
  readonly store: T | null;
  /** Decoded parameters; a shared frozen empty object for routes without parameters. */
  readonly params: Readonly<Record<string, string>>;
  /** The `Allow` header value for the path: its methods, HEAD with GET, and OPTIONS. */
  readonly allow: string;
  /** With `trailingSlash: 'redirect'`: the canonical path to redirect to, else null. */
  readonly redirect: string | null;
}

/** One registered route, as `Router.routes()` lists it. */
export interface RouteRecord<T> {
  readonly method: string;
  readonly path: string;
  readonly host: string | null;
  readonly store: T;
}

/** Registers routes under one host pattern; returned by `Router.host()`. */
export interface HostRoutes<T> {
  readonly host: string;
  add(method: string | readonly string[], path: string, store: T): this;
}

const EMPTY_PARAMS: Readonly<Record<string, string>> = Object.freeze(Object.create(null));

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const ALL_METHODS_ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** Method tokens are RFC 9110 §5.6.2 tokens; we check letters only (the usual methods). */
function checkMethod(method: string): string {
  if (typeof method !== 'string' || method === '') {
    throw new RwsError(ERROR_CODES.INVALID_PATH, `invalid method ${JSON.stringify(method)}`);
  }
  return method.toUpperCase();
}

function allowOf(methods: Iterable<string>, hasAny: boolean): string {
  if (hasAny) return ALL_METHODS_ALLOW;
  const set = new Set<string>(methods);
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  const known = METHOD_ORDER.filter((m) => set.has(m));
  const other = [...set].filter((m) => !METHOD_ORDER.includes(m)).sort();
  return [...known, ...other].join(', ');
}

/**
 * A radix-tree router mapping (host, method, path) to a store of your choice. Static routes
 * are found with one map probe and no allocation; dynamic routes with a tree walk whose cost
 * depends on the path length, not on the number of routes.
 *
 * Priority is static > `:param` > `*wildcard` at every segment, whatever the insertion order,
 * with backtracking (`/users/new/edit` still matches `/users/:id/edit` next to `/users/new`).
 *
 * @example
 * ```ts
 * const router = new Router<string>();
 * router.add('GET', '/users/:id', 'user');
 * router.lookup('GET', '/users/42')?.params.id; // '42'
 * ```
 */
export class Router<T> {
  readonly #caseSensitive: boolean;
  readonly #trailingSlash: TrailingSlashPolicy;
  /** Case-sensitive, strict and host-less: lookups need no rewriting and no host check. */
  #isFast: boolean;
  readonly #defaultStatics: Map<string, Leaf<T>>;
  readonly #defaultLengths: number[];
  readonly #default: Tree<T> = new Tree<T>();
  readonly #exactHosts = new Map<string, Tree<T>>();
  /** `*.example.com` patterns as `[suffix '.example.com', tree]`, longest suffix first. */
  #wildcardHosts: [string, Tree<T>][] = [];
  #hasHosts = false;
  readonly #records: RouteRecord<T>[] = [];

  constructor(options: RouterOptions = {}) {
    this.#caseSensitive = options.caseSensitive ?? true;
    this.#trailingSlash = options.trailingSlash ?? 'strict';
    this.#isFast = this.#caseSensitive && this.#trailingSlash === 'strict';
    this.#defaultStatics = this.#default.statics;
    this.#defaultLengths = this.#default.staticLengths;
  }

  /** The trailing-slash policy this router was built with. */
  get trailingSlash(): TrailingSlashPolicy {
    return this.#trailingSlash;
  }

  /**
   * Registers `store` for `method` (or several, or `'ALL'`) at `path`. Throws
   * `RWS_ROUTER_ROUTE_CONFLICT` for a duplicate and `RWS_ROUTER_PARAM_CONFLICT` when another
   * route names the parameter at the same position differently.
   */
  add(method: string | readonly string[], path: string, store: T): this {
    this.#add(this.#default, null, method, path, store);
    return this;
  }

  /**
   * Routes registered on the returned object only match requests whose host (port stripped,
   * case-insensitive) is `pattern`, or a subdomain of it for `*.example.com`. Host routes
   * are tried first; a request they do not match falls back to the host-less routes.
   */
  host(pattern: string): HostRoutes<T> {
    const host = normalizeHost(String(pattern).trim());
    if (host === '' || host === '*' || host.indexOf('*', 1) !== -1) {
      throw new RwsError(
        ERROR_CODES.INVALID_HOST,
        `invalid host pattern ${JSON.stringify(pattern)}`,
      );
    }
    let tree: Tree<T> | undefined;
    if (host.charCodeAt(0) === 42 /* * */) {
      if (host.charCodeAt(1) !== 46) {
        throw new RwsError(
          ERROR_CODES.INVALID_HOST,
          `invalid host pattern ${JSON.stringify(pattern)}: "*" must be a whole leftmost label`,
        );
      }
      const suffix = host.slice(1);
      tree = this.#wildcardHosts.find(([s]) => s === suffix)?.[1];
      if (tree === undefined) {
        tree = new Tree<T>();
        this.#wildcardHosts.push([suffix, tree]);
        this.#wildcardHosts.sort((a, b) => b[0].length - a[0].length);
      }
    } else {
      tree = this.#exactHosts.get(host);
      if (tree === undefined) {
        tree = new Tree<T>();
        this.#exactHosts.set(host, tree);
      }
    }
    this.#hasHosts = true;
    this.#isFast = false;
    const target = tree;
    const add = (method: string | readonly string[], path: string, store: T) => {
      this.#add(target, host, method, path, store);
    };
    return {
      host,
      add(method, path, store) {
        add(method, path, store);
        return this;
      },
    };
  }

  /** Every registered route in registration order. */
  routes(): readonly RouteRecord<T>[] {
    return this.#records;
  }

  /**
   * Finds the route for a request. Returns null when nothing matches the path (404); a match
   * with `store: null` when the path exists under other methods (405, or an automatic
   * OPTIONS answer); HEAD falls back to GET. `path` is the still-encoded path without query.
   * Throws `RWS_ROUTER_INVALID_ENCODING` (status 400) when a parameter is badly encoded.
   */
  lookup(method: string, path: string, host?: string | null): RouteMatch<T> | null {
    // Kept small so V8 inlines it: the common configuration costs one map probe.
    if (this.#isFast) {
      const leaf =
        this.#defaultLengths[path.length] === 1 ? this.#defaultStatics.get(path) : undefined;
      if (leaf !== undefined) {
        const hit = leaf.staticMatch(method) as RouteMatch<T> | undefined;
        if (hit !== undefined) return hit;
      }
      return this.#dynamic(this.#default, method, path, leaf);
    }
    return this.#lookupSlow(method, path, host);
  }

  #lookupSlow(method: string, path: string, host?: string | null): RouteMatch<T> | null {
    if (this.#hasHosts && host) {
      const tree = this.#hostTree(host);
      if (tree !== undefined) {
        const found = this.#find(tree, method, path);
        if (found !== null) return found;
      }
    }
    return this.#find(this.#default, method, path);
  }

  #hostTree(host: string): Tree<T> | undefined {
    const name = normalizeHost(host);
    const exact = this.#exactHosts.get(name);
    if (exact !== undefined) return exact;
    for (const [suffix, tree] of this.#wildcardHosts) {
      if (name.length > suffix.length && name.endsWith(suffix)) return tree;
    }
    return undefined;
  }

  #find(tree: Tree<T>, method: string, path: string): RouteMatch<T> | null {
    const found = this.#match(tree, method, path);
    if (found !== null || this.#trailingSlash === 'strict' || path.length <= 1) return found;
    const alt =
      path.charCodeAt(path.length - 1) === 47 ? path.slice(0, path.length - 1) : `${path}/`;
    const retry = this.#match(tree, method, alt);
    if (retry === null || this.#trailingSlash === 'ignore') return retry;
    return { store: null, params: EMPTY_PARAMS, allow: retry.allow, redirect: alt };
  }

  #match(tree: Tree<T>, method: string, path: string): RouteMatch<T> | null {
    const mpath = this.#caseSensitive ? path : asciiLower(path);
    const leaf = tree.staticLengths[mpath.length] === 1 ? tree.statics.get(mpath) : undefined;
    if (leaf !== undefined) {
      const hit = leaf.staticMatch(method) as RouteMatch<T> | undefined;
      if (hit !== undefined) return hit;
    }
    return this.#dynamic(tree, method, mpath, leaf, path);
  }

  /**
   * The tree walk. The hit path is kept this short so V8 optimizes it (and inlines it into
   * `lookup`): with the miss handling below inline it stayed in Maglev, calling `slice` and
   * `indexOf` of each parameter as generic builtins.
   */
  #dynamic(
    tree: Tree<T>,
    method: string,
    mpath: string,
    leaf: Leaf<T> | undefined,
    path: string = mpath,
  ): RouteMatch<T> | null {
    if (!tree.hasDynamic) return leaf === undefined ? null : methodMiss(leaf.allow);
    scratch.top = 0;
    const found = walk(tree.root, mpath, 0, method);
    if (found === null) return dynamicMiss(tree, mpath);
    return {
      store: found.get(method),
      params:
        found.buildParams === null ? EMPTY_PARAMS : found.buildParams(path, scratch.values, decode),
      allow: found.allow,
      redirect: null,
    };
  }

  #add(
    tree: Tree<T>,
    host: string | null,
    method: string | readonly string[],
    path: string,
    store: T,
  ): void {
    const methods = typeof method === 'string' ? [method] : method;
    const tokens = parsePath(path);
    const leaf = insert(tree, tokens, path, this.#caseSensitive);
    for (const raw of methods) {
      const m = checkMethod(raw);
      if (leaf.explicit.has(m)) {
        throw new RwsError(
          ERROR_CODES.ROUTE_CONFLICT,
          `route ${m} ${path}${host === null ? '' : ` (host ${host})`} is already registered`,
        );
      }
      leaf.explicit.add(m);
      if (m === ANY_METHOD) leaf.any = store;
      else leaf.methods[m] = store;
      // Automatic HEAD: a GET answers HEAD unless HEAD has its own route (RFC 9110 §9.3.2).
      if (m === 'GET' && !leaf.explicit.has('HEAD')) leaf.methods['HEAD'] = store;
      leaf.sync();
      this.#records.push({ method: m, path, host, store });
    }
    leaf.allow = allowOf(
      [...leaf.explicit].filter((m) => m !== ANY_METHOD),
      leaf.any !== null,
    );
    if (leaf.paramNames.length === 0) {
      leaf.matchNames = Object.keys(leaf.methods);
      leaf.matchList = leaf.matchNames.map((m) =>
        Object.freeze({
          store: leaf.methods[m]!,
          params: EMPTY_PARAMS,
          allow: leaf.allow,
          redirect: null,
        }),
      );
      leaf.getMatch = leaf.matchList[leaf.matchNames.indexOf('GET')];
      leaf.anyMatch =
        leaf.any === null
          ? undefined
          : Object.freeze({
              store: leaf.any,
              params: EMPTY_PARAMS,
              allow: leaf.allow,
              redirect: null,
            });
    }
  }
}

/** No route for `method` at `mpath`: null (404), or the path's other methods (405, OPTIONS). */
function dynamicMiss<T>(tree: Tree<T>, mpath: string): RouteMatch<T> | null {
  const leaves: Leaf<T>[] = [];
  collect(tree.root, mpath, 0, leaves);
  if (leaves.length === 0) return null;
  if (leaves.length === 1) return methodMiss(leaves[0]!.allow);
  const methods = new Set<string>();
  let hasAny = false;
  for (const l of leaves) {
    if (l.any !== null) hasAny = true;
    for (const m of l.explicit) methods.add(m);
  }
  return methodMiss(allowOf(methods, hasAny));
}

function methodMiss<T>(allow: string): RouteMatch<T> {
  return { store: null, params: EMPTY_PARAMS, allow, redirect: null };
}

/**
 * Slices one parameter out of the path and percent-decodes it when it holds a `%` (looked for
 * with a loop: parameters are short, and an `indexOf` call cost more than the scan).
 */
function decode(path: string, start: number, end: number, name: string): string {
  for (let i = start; i < end; i++) {
    if (path.charCodeAt(i) === 37 /* % */) return decodeParam(name, path.slice(start, end));
  }
  return path.slice(start, end);
}

function decodeParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (cause) {
    throw new RwsError(
      ERROR_CODES.INVALID_ENCODING,
      `path parameter "${name}" is not valid percent-encoded UTF-8`,
      { status: 400, cause },
    );
  }
}
