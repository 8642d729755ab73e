import type { Redis } from 'ioredis';

/** The only Redis tests talk to: a local server on the default port. */
const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * A connected ioredis client on 127.0.0.1:6379, or null when no Redis runs there. Locally a
 * missing Redis prints the reason (`<what> skipped: no Redis at …`) and the caller skips
 * (`if (client === null) return ctx.skip()`), so the test shows as skipped, not passed. Under
 * `CI=true` a missing Redis throws: CI must run these tests. No retries, so an absent server
 * fails fast. The caller disconnects the client.
 *
 * @example
 * ```ts
 * it('shares state over Redis', async (ctx) => {
 *   const client = await connectRedis('Redis store tests');
 *   if (client === null) return ctx.skip();
 *   try { … } finally { client.disconnect(); }
 * });
 * ```
 */
export async function connectRedis(what: string): Promise<Redis | null> {
  // Loaded on first use, so tests that never touch Redis do not load ioredis.
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    return client;
  } catch (err) {
    client.disconnect();
    if (process.env['CI'] === 'true') throw err;
    console.warn(`${what} skipped: no Redis at ${REDIS_URL} (${(err as Error).message})`);
    return null;
  }
}
