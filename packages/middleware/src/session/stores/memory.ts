import { ERROR_CODES } from '../../errors.js';
import { failOptions, isPositiveInteger } from '../../internal/fail.js';
import type { SessionData, SessionStore } from '../session-store.js';

/** Options of `createMemorySessionStore()`. */
export interface MemorySessionStoreOptions {
  /** Most sessions kept; past it the least recently used go first. Default 10000. */
  maxEntries?: number | undefined;
  /** The clock, for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

interface Entry {
  json: string;
  expiresAt: number;
}

/**
 * An in-process store with a TTL per session and a bound on memory (LRU eviction). Data is
 * kept as JSON, so what comes back is a copy and anything a Redis store would reject fails
 * here too. One process only: use the Redis store behind a load balancer.
 *
 * @example
 * ```ts
 * import { createMemorySessionStore } from '@rws/middleware/session';
 * const store = createMemorySessionStore({ maxEntries: 50_000 });
 * ```
 */
export function createMemorySessionStore(options: MemorySessionStoreOptions = {}): SessionStore {
  const maxEntries = options.maxEntries ?? 10_000;
  if (!isPositiveInteger(maxEntries)) {
    failOptions(
      ERROR_CODES.SESSION_INVALID_OPTIONS,
      'createMemorySessionStore',
      `maxEntries must be a positive integer, got ${String(maxEntries)}`,
    );
  }
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use makes the first key the LRU one.
  const entries = new Map<string, Entry>();
  const live = (id: string): Entry | null => {
    const entry = entries.get(id);
    if (entry === undefined) return null;
    if (entry.expiresAt <= now()) {
      entries.delete(id);
      return null;
    }
    entries.delete(id);
    entries.set(id, entry);
    return entry;
  };
  return {
    name: 'memory',
    async get(id) {
      const entry = live(id);
      return entry === null ? null : (JSON.parse(entry.json) as SessionData);
    },
    async set(id, data, ttlMs) {
      entries.delete(id);
      entries.set(id, { json: JSON.stringify(data), expiresAt: now() + ttlMs });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    },
    async destroy(id) {
      entries.delete(id);
    },
    async touch(id, ttlMs) {
      const entry = live(id);
      if (entry !== null) entry.expiresAt = now() + ttlMs;
    },
    async close() {
      entries.clear();
    },
  };
}
