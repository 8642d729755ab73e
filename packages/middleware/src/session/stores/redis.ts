import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../../errors.js';
import { failOptions } from '../../internal/fail.js';
import { type RedisClientLike, redisCommand } from '../../internal/redis-command.js';
import type { SessionData, SessionStore } from '../session-store.js';

export type { RedisClientLike } from '../../internal/redis-command.js';

/** Options of `createRedisSessionStore()`. */
export interface RedisSessionStoreOptions {
  /** A connected node-redis or ioredis client; rws ships no Redis client of its own. */
  client: RedisClientLike;
  /** Key prefix. Default `rws:sess:`. */
  prefix?: string | undefined;
}

/**
 * A store in Redis, shared by every instance: one `SET … PX` per write, so Redis expires
 * sessions itself. Errors surface as `RWS_MIDDLEWARE_SESSION_STORE_FAILED` (500), never as
 * an empty session that would log the user out silently.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisSessionStore, session } from '@rws/middleware/session';
 * const sessions = session({
 *   keys: [process.env.SESSION_SECRET!],
 *   store: createRedisSessionStore({ client: new Redis() }),
 * });
 * ```
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions): SessionStore {
  const send = redisCommand(options?.client);
  if (send === null) {
    failOptions(
      ERROR_CODES.SESSION_INVALID_OPTIONS,
      'createRedisSessionStore',
      'client must be a node-redis (sendCommand) or ioredis (call) client',
    );
  }
  const prefix = options.prefix ?? 'rws:sess:';
  const run = async (args: string[]): Promise<unknown> => {
    try {
      return await send(args);
    } catch (cause) {
      throw new RwsError(
        ERROR_CODES.SESSION_STORE_FAILED,
        `session store: Redis ${args[0]} failed`,
        {
          status: 500,
          cause,
        },
      );
    }
  };
  return {
    name: 'redis',
    async get(id) {
      const reply = await run(['GET', prefix + id]);
      if (reply === null || reply === undefined) return null;
      const text = typeof reply === 'string' ? reply : Buffer.from(reply as Uint8Array).toString();
      try {
        return JSON.parse(text) as SessionData;
      } catch (cause) {
        throw new RwsError(
          ERROR_CODES.SESSION_STORE_FAILED,
          'session store: a record is not JSON',
          {
            status: 500,
            cause,
          },
        );
      }
    },
    async set(id, data, ttlMs) {
      await run([
        'SET',
        prefix + id,
        JSON.stringify(data),
        'PX',
        String(Math.max(1, Math.ceil(ttlMs))),
      ]);
    },
    async destroy(id) {
      await run(['DEL', prefix + id]);
    },
    async touch(id, ttlMs) {
      await run(['PEXPIRE', prefix + id, String(Math.max(1, Math.ceil(ttlMs)))]);
    },
  };
}
