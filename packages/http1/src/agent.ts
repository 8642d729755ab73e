/**
 * An `Agent` keeps one keep-alive `Pool` per origin, so callers can send requests to any
 * URL and still reuse sockets.
 */

import { CLIENT_ERROR_CODES, clientError } from './internal/client-errors.js';
import type { ClientResponse } from './internal/client-response.js';
import {
  POOL_EMPTY_HOOKS,
  Pool,
  type PoolOptions,
  type PoolRequestOptions,
  parseOrigin,
} from './pool.js';

/** A request with its destination: `url`, or `origin` plus `path`. */
export interface RequestOptions extends PoolRequestOptions {
  /** Full URL, e.g. `https://example.com/a?b=1`; its path and query become `path`. */
  url?: string | URL | undefined;
  /** `http(s)://host[:port]`; used with `path`. */
  origin?: string | URL | undefined;
}

/** Options of an `Agent`: the options every pool it creates gets. */
export interface AgentOptions extends PoolOptions {
  /** Per-origin overrides, keyed by origin (`https://api.example.com`). */
  origins?: Readonly<Record<string, PoolOptions>> | undefined;
}

/**
 * Maps each origin to a `Pool`, created on first use and dropped once its last socket has
 * closed (idle timeout, server close, failed connect), so a gateway whose upstreams come and
 * go does not keep one pool per origin it ever saw.
 *
 * @example
 * ```ts
 * import { createAgent } from '@rws/http1';
 * const agent = createAgent({ maxSockets: 8 });
 * const res = await agent.request({ url: 'http://127.0.0.1:8080/users' });
 * const users = await res.body.json();
 * await agent.close();
 * ```
 */
export class Agent {
  #options: AgentOptions;
  #pools = new Map<string, Pool>();
  #isClosed = false;

  constructor(options: AgentOptions = {}) {
    this.#options = options;
  }

  /**
   * The pool for `origin`, created on first use. The agent forgets a pool once it has no
   * sockets left; hold on to one only while using it.
   */
  getPool(origin: string | URL): Pool {
    if (this.#isClosed) {
      throw clientError(CLIENT_ERROR_CODES.POOL_CLOSED, 'agent is closed');
    }
    const url = parseOrigin(origin);
    let pool = this.#pools.get(url.origin);
    if (pool === undefined || pool.isClosed) {
      const { origins, ...base } = this.#options;
      pool = new Pool(url, { ...base, ...origins?.[url.origin] });
      POOL_EMPTY_HOOKS.set(pool, this.#evict);
      this.#pools.set(url.origin, pool);
    }
    return pool;
  }

  /** The origins that have a pool now (one with open, opening or awaited sockets). */
  get origins(): string[] {
    return [...this.#pools.keys()];
  }

  #evict = (pool: Pool): void => {
    if (this.#pools.get(pool.origin) === pool) this.#pools.delete(pool.origin);
  };

  /** Sends a request through the pool of its origin. */
  request(options: RequestOptions): Promise<ClientResponse> {
    let pool: Pool;
    let path: string | undefined;
    try {
      const target = resolveTarget(options);
      pool = this.getPool(target.origin);
      path = target.path;
    } catch (err) {
      return Promise.reject(err);
    }
    const { url: _url, origin: _origin, ...rest } = options;
    return pool.request({ ...rest, path });
  }

  /** Closes every pool gracefully. */
  async close(): Promise<void> {
    this.#isClosed = true;
    await Promise.all([...this.#pools.values()].map((p) => p.close()));
    this.#pools.clear();
  }

  /** Destroys every pool; running requests fail with `RWS_HTTP1_POOL_CLOSED`. */
  async destroy(reason?: unknown): Promise<void> {
    this.#isClosed = true;
    await Promise.all([...this.#pools.values()].map((p) => p.destroy(reason)));
    this.#pools.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Creates an `Agent`. */
export function createAgent(options?: AgentOptions): Agent {
  return new Agent(options);
}

function resolveTarget(options: RequestOptions): { origin: string; path: string } {
  if (options.url !== undefined) {
    if (options.origin !== undefined || options.path !== undefined) {
      throw clientError(
        CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS,
        'give either url, or origin and path',
      );
    }
    let url: URL;
    try {
      url = new URL(String(options.url));
    } catch (cause) {
      throw clientError(CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS, 'invalid url', cause);
    }
    return {
      origin: url.origin === 'null' ? String(options.url) : url.origin,
      path: `${url.pathname}${url.search}`,
    };
  }
  if (options.origin === undefined) {
    throw clientError(CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS, 'url or origin is required');
  }
  return { origin: String(options.origin), path: options.path ?? '/' };
}
