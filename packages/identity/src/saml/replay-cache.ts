/**
 * Remembers the IDs of assertions already used, so a captured SAMLResponse cannot log anyone in
 * a second time within its validity window.
 * @see SAML 2.0 Profiles §4.1.4.5 (a bearer assertion is used once)
 */
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** A store of used assertion IDs. Share one (Redis, a database) across app instances. */
export interface SamlReplayCache {
  /**
   * Records `id` as used until `expiresAt` (ms since the epoch). Answers false when the ID was
   * already recorded and has not expired: the assertion is a replay. Must be atomic.
   */
  use(id: string, expiresAt: number): boolean | Promise<boolean>;
}

/** Options of `createMemoryReplayCache()`. */
export interface MemoryReplayCacheOptions {
  /** The most IDs kept; past it, the soonest to expire are dropped first. Default 100000. */
  maxEntries?: number | undefined;
  /** The clock, for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/**
 * A bounded in-memory `SamlReplayCache` for one process. When full it drops expired IDs, then
 * the ones closest to expiry, so memory stays bounded under a flood of valid logins.
 */
export function createMemoryReplayCache(options: MemoryReplayCacheOptions = {}): SamlReplayCache {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new RwsError(
      ERROR_CODES.SAML_INVALID_OPTIONS,
      `createMemoryReplayCache: maxEntries must be an integer >= 1, got ${String(maxEntries)}`,
    );
  }
  const now = options.now ?? Date.now;
  const used = new Map<string, number>();

  function evict(at: number): void {
    for (const [id, expiresAt] of used) if (expiresAt <= at) used.delete(id);
    if (used.size < maxEntries) return;
    // Drop a tenth at once, so a flood of logins at capacity sorts once per many inserts.
    const bySoonest = [...used].sort((a, b) => a[1] - b[1]);
    const drop = Math.max(used.size - maxEntries + 1, Math.floor(maxEntries / 10));
    for (let i = 0; i < drop; i++) used.delete((bySoonest[i] as [string, number])[0]);
  }

  return {
    use(id: string, expiresAt: number): boolean {
      const at = now();
      const seen = used.get(id);
      if (seen !== undefined && seen > at) return false;
      if (used.size >= maxEntries) evict(at);
      used.set(id, expiresAt);
      return true;
    },
  };
}
