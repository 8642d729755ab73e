/**
 * Where `session()` keeps session data. Stores hold JSON-serialisable records by session id
 * with a time to live; the middleware never relies on anything else, so the database store
 * (`@rws/middleware/session-sql`) implements the same four methods.
 */

/** A session's data: JSON-serialisable values by key. */
export type SessionData = Record<string, unknown>;

/** Per-call options of store methods. */
export interface SessionStoreCallOptions {
  signal?: AbortSignal | undefined;
}

/**
 * The store interface. Required: `get`, `set`, `destroy`; `touch` (extend the TTL without
 * rewriting the data) is optional and `session()` falls back to `set`.
 *
 * Contract, checked by the shared store suite in the package's tests (run it for a new store):
 * - `get` returns a copy: changing it does not change the stored record until `set`.
 * - `get` of an unknown or expired id returns null.
 * - `set` replaces the record and its TTL; `destroy` of an unknown id is not an error.
 * - ids are opaque strings of URL-safe characters; a store may prefix them.
 */
export interface SessionStore {
  readonly name: string;
  get(id: string, options?: SessionStoreCallOptions): Promise<SessionData | null>;
  set(
    id: string,
    data: SessionData,
    ttlMs: number,
    options?: SessionStoreCallOptions,
  ): Promise<void>;
  destroy(id: string, options?: SessionStoreCallOptions): Promise<void>;
  touch?(id: string, ttlMs: number, options?: SessionStoreCallOptions): Promise<void>;
  close?(): Promise<void>;
}
