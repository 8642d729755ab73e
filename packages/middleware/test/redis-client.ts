import { Redis } from 'ioredis';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * A connected ioredis client, or null (with the reason printed) when no Redis runs locally.
 * Under CI=true a missing Redis is a failure, not a skip.
 */
export async function connectRedis(what: string): Promise<Redis | null> {
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
