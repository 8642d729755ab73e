/**
 * `session()`: server-side sessions keyed by a signed, HttpOnly cookie, in memory, in Redis
 * (injected client) or in any store implementing `SessionStore`.
 *
 * @module
 */
import {
  type CookieOptions,
  type Handler,
  type Middleware,
  parseCookies,
  type Request,
  type Response,
  RwsError,
  serializeCookie,
} from '@rws/core';
import { type CookieKeys, createCookieKeys, type Secret } from '../cookies/index.js';
import { ERROR_CODES } from '../errors.js';
import { failOptions, isPositiveInteger } from '../internal/fail.js';
import { newSessionId, Session } from './session.js';
import type { SessionStore } from './session-store.js';
import { createMemorySessionStore } from './stores/memory.js';

export { Session } from './session.js';
export type { SessionData, SessionStore, SessionStoreCallOptions } from './session-store.js';
export type { MemorySessionStoreOptions } from './stores/memory.js';
export { createMemorySessionStore } from './stores/memory.js';
export type { RedisClientLike, RedisSessionStoreOptions } from './stores/redis.js';
export { createRedisSessionStore } from './stores/redis.js';

/** Cookie attributes of the session cookie. */
export interface SessionCookieOptions
  extends Omit<CookieOptions, 'maxAge' | 'expires' | 'encode' | 'secure'> {
  /** `'auto'` (default): Secure when the request came over TLS. */
  secure?: boolean | 'auto' | undefined;
}

/** Options of `session()`. */
export interface SessionOptions {
  /**
   * Secrets that sign the id cookie, newest first (≥ 32 bytes each), or a key ring from
   * `createCookieKeys`. Required: a missing secret is a startup error.
   */
  keys: readonly Secret[] | CookieKeys;
  /** Default: a fresh in-memory store. */
  store?: SessionStore | undefined;
  /** Cookie name. Default `sid`. */
  cookieName?: string | undefined;
  /** Lifetime of a session, in milliseconds. Default 86400000 (one day). */
  ttlMs?: number | undefined;
  /**
   * Extend the lifetime on every request (idle timeout), refreshing the store TTL and the
   * cookie. Default true; false makes `ttlMs` an absolute lifetime from the last change.
   */
  rolling?: boolean | undefined;
  /** Cookie attributes. Defaults: `Path=/`, `HttpOnly`, `SameSite=Lax`, Secure on https. */
  cookie?: SessionCookieOptions | undefined;
}

const sessionOf = new WeakMap<Request, Session>();

/**
 * The session of a request that passed `session()`. Throws
 * `RWS_MIDDLEWARE_SESSION_NOT_INSTALLED` (500) when it did not: a handler that needs a
 * session must not silently run without one.
 */
export function getSession(req: Request): Session {
  const found = sessionOf.get(req);
  if (found === undefined) {
    throw new RwsError(
      ERROR_CODES.SESSION_NOT_INSTALLED,
      'getSession(): no session on this request; add session() before this handler',
      { status: 500 },
    );
  }
  return found;
}

function isCookieKeys(keys: unknown): keys is CookieKeys {
  return typeof (keys as CookieKeys | undefined)?.sign === 'function';
}

/**
 * Creates the session middleware.
 *
 * @example
 * ```ts
 * import { compose, json } from '@rws/core';
 * import { getSession, session } from '@rws/middleware/session';
 * const handler = compose([session({ keys: [process.env.SESSION_SECRET!] })], (req) => {
 *   const s = getSession(req);
 *   s.set('visits', (s.get<number>('visits') ?? 0) + 1);
 *   return json({ visits: s.get('visits') });
 * });
 * ```
 */
export function session(options: SessionOptions): Middleware {
  function fail(message: string): never {
    return failOptions(ERROR_CODES.SESSION_INVALID_OPTIONS, 'session', message);
  }
  if (options === undefined || options.keys === undefined) fail('keys are required (fail closed)');
  let keys: CookieKeys;
  try {
    keys = isCookieKeys(options.keys) ? options.keys : createCookieKeys(options.keys);
  } catch (err) {
    fail((err as Error).message.replace(/^createCookieKeys: /, ''));
  }
  const ttlMs = options.ttlMs ?? 86_400_000;
  if (!isPositiveInteger(ttlMs)) fail(`ttlMs must be a positive integer, got ${String(ttlMs)}`);
  const store = options.store ?? createMemorySessionStore();
  if (
    typeof store.get !== 'function' ||
    typeof store.set !== 'function' ||
    typeof store.destroy !== 'function'
  ) {
    fail('store must implement get, set and destroy');
  }
  const name = options.cookieName ?? 'sid';
  const isRolling = options.rolling !== false;
  const { secure = 'auto', ...attributes } = options.cookie ?? {};
  const base: CookieOptions = { path: '/', httpOnly: true, sameSite: 'Lax', ...attributes };
  // Fail at startup on a bad name or attribute rather than on the first response.
  try {
    serializeCookie(name, 'x', { ...base, secure: secure !== false });
  } catch (err) {
    fail((err as Error).message);
  }

  const cookieFor = (req: Request, value: string, maxAgeSec: number): string => {
    const isSecure = secure === 'auto' ? req.conn.tls !== null : secure;
    return serializeCookie(name, value, { ...base, secure: isSecure, maxAge: maxAgeSec });
  };

  async function load(req: Request, raw: string | undefined): Promise<Session> {
    const id = raw === undefined ? null : keys.unsign(name, raw);
    if (id !== null) {
      const data = await store.get(id, { signal: req.signal });
      if (data !== null) return new Session(id, data, false);
    }
    // Unknown, expired or forged: a new id of our own, never the one the client sent.
    return new Session(newSessionId(), {}, true);
  }

  async function commit(
    req: Request,
    s: Session,
    res: Response,
    hadCookie: boolean,
  ): Promise<void> {
    const signal = { signal: req.signal };
    if (s.isDestroyed) {
      if (!s.isNew) await store.destroy(s.previousId ?? s.id, signal);
      if (hadCookie) res.headers.append('set-cookie', cookieFor(req, '', 0));
      return;
    }
    if (s.previousId !== null) await store.destroy(s.previousId, signal);
    const maxAgeSec = Math.floor(ttlMs / 1000);
    if (s.isChanged) {
      await store.set(s.id, s.toJSON(), ttlMs, signal);
    } else if (!s.isNew && isRolling) {
      if (store.touch !== undefined) await store.touch(s.id, ttlMs, signal);
      else await store.set(s.id, s.toJSON(), ttlMs, signal);
    } else {
      return;
    }
    if (s.isChanged || isRolling) {
      res.headers.append('set-cookie', cookieFor(req, keys.sign(name, s.id), maxAgeSec));
    }
  }

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const raw = parseCookies(req.headers.get('cookie'))[name];
      const s = await load(req, raw);
      sessionOf.set(req, s);
      const res = await next(req);
      await commit(req, s, res, raw !== undefined);
      return res;
    },
  };
}
