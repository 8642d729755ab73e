/**
 * `rateLimit()`: limits requests per key (client IP, a header, or a function) with a sliding
 * window or a token bucket, in memory or in Redis shared by several instances. Over the limit
 * the answer is 429 with `Retry-After`; every answer carries the IETF `RateLimit-Policy` and
 * `RateLimit` fields.
 *
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
 * @module
 */
import {
  type Handler,
  Headers,
  isPromise,
  type MaybePromise,
  type Middleware,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { failOptions, isPositiveInteger } from '../internal/fail.js';
import { clientAddress, type IpList, parseIpList } from '../internal/net/ip-list.js';

/** `sliding-window` (a weighted two-window counter, as nginx/Cloudflare) or `token-bucket`. */
export type RateLimitAlgorithm = 'sliding-window' | 'token-bucket';

/** The outcome of one hit. */
export interface RateLimitResult {
  readonly isAllowed: boolean;
  /** Requests left in the current window (or tokens left in the bucket). */
  readonly remaining: number;
  /** Milliseconds until the quota is fully (window) or partly (bucket: one token) back. */
  readonly resetMs: number;
}

/** Counts hits per key. One store may serve several `rateLimit()` instances. */
export interface RateLimitStore {
  /** Records one request for `key` and says whether it is within `limit` per `windowMs`. */
  hit(
    key: string,
    limit: number,
    windowMs: number,
    algorithm: RateLimitAlgorithm,
  ): Promise<RateLimitResult> | RateLimitResult;
  close?(): Promise<void>;
}

/** How requests are grouped: by client IP (default), by a header's value, or a function. */
export type RateLimitKey = 'ip' | { readonly header: string } | ((req: Request) => string);

/** Options of `rateLimit()`. Reloadable with `update()`. */
export interface RateLimitOptions {
  /** Requests allowed per window (bucket capacity for `token-bucket`). */
  limit: number;
  /** Window length in ms (bucket refill time from empty to full for `token-bucket`). */
  windowMs: number;
  /** Default `sliding-window`. */
  algorithm?: RateLimitAlgorithm | undefined;
  /** Default `'ip'`. A request without the header is keyed by its client IP. */
  key?: RateLimitKey | undefined;
  /**
   * Peers (addresses or CIDRs) whose `X-Forwarded-For`/`Forwarded` is believed when keying
   * by IP. Default none: the socket peer is the client.
   */
  trustedProxies?: readonly string[] | undefined;
  /** Default: a new `createMemoryRateLimitStore()`. */
  store?: RateLimitStore | undefined;
  /** The policy name in the RateLimit fields. Default `default`. */
  policyName?: string | undefined;
  /** Send `RateLimit-Policy`/`RateLimit` on every response (429s always get them). Default true. */
  hasHeaders?: boolean | undefined;
  /** When the store fails: false (default) answers 503, true lets the request through. */
  failOpen?: boolean | undefined;
}

/** The rate-limit middleware, reloadable. */
export interface RateLimitMiddleware extends Middleware {
  /** Replaces limit, window, algorithm and key rules (validated first; on error the old stay). */
  update(options: RateLimitOptions): void;
}

interface Policy {
  readonly limit: number;
  readonly windowMs: number;
  readonly algorithm: RateLimitAlgorithm;
  readonly keyOf: (req: Request) => string;
  readonly store: RateLimitStore;
  readonly policyName: string;
  /** The `RateLimit-Policy` value: the same for every response of the policy. */
  readonly policyHeader: string;
  /** The start of every `RateLimit` value, up to the remaining count. */
  readonly remainingPrefix: string;
  readonly hasHeaders: boolean;
  readonly isFailOpen: boolean;
}

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;

function fail(message: string): never {
  failOptions(ERROR_CODES.RATE_LIMIT_INVALID_OPTIONS, 'rateLimit', message);
}

function compile(o: RateLimitOptions, store: RateLimitStore | undefined): Policy {
  if (typeof o !== 'object' || o === null) fail('options must be an object');
  if (!isPositiveInteger(o.limit)) fail(`limit must be a positive integer, got ${String(o.limit)}`);
  if (!isPositiveInteger(o.windowMs)) {
    fail(`windowMs must be a positive integer, got ${String(o.windowMs)}`);
  }
  const algorithm = o.algorithm ?? 'sliding-window';
  if (algorithm !== 'sliding-window' && algorithm !== 'token-bucket') {
    fail(`algorithm must be "sliding-window" or "token-bucket", got ${JSON.stringify(algorithm)}`);
  }
  let trusted: IpList | null = null;
  if (o.trustedProxies !== undefined) {
    if (!Array.isArray(o.trustedProxies)) fail('trustedProxies must be an array');
    const parsed = parseIpList(o.trustedProxies);
    if (!parsed.ok) fail(`trustedProxies: ${JSON.stringify(parsed.entry)}: ${parsed.reason}`);
    trusted = parsed.list;
  }
  // Without trusted proxies the key is the socket peer's: a connection's requests (and a
  // client's connections) repeat it, so the last one is kept, already built and hashed.
  let lastAddress = '';
  let lastKey = '';
  const ipOf =
    trusted === null
      ? (req: Request): string => {
          const address = req.conn.remoteAddress;
          if (address !== lastAddress) {
            lastAddress = address;
            lastKey = `ip:${address}`;
          }
          return lastKey;
        }
      : (req: Request): string =>
          `ip:${clientAddress(req.conn.remoteAddress, req.headers, trusted)}`;
  const key = o.key ?? 'ip';
  let keyOf: (req: Request) => string;
  if (key === 'ip') keyOf = ipOf;
  else if (typeof key === 'function') keyOf = (req) => `fn:${key(req)}`;
  else if (typeof key === 'object' && key !== null && typeof key.header === 'string') {
    const header = key.header.toLowerCase();
    keyOf = (req) => {
      const value = req.headers.get(header);
      return value === null ? ipOf(req) : `h:${value}`;
    };
  } else fail('key must be "ip", { header: name } or a function');
  const policyName = o.policyName ?? 'default';
  if (typeof policyName !== 'string' || !NAME_RE.test(policyName)) {
    fail('policyName must be 1-64 characters of A-Z a-z 0-9 _ . -');
  }
  const windowSecs = Math.max(1, Math.ceil(o.windowMs / 1000));
  return {
    limit: o.limit,
    windowMs: o.windowMs,
    algorithm,
    keyOf,
    store: store ?? createMemoryRateLimitStore(),
    policyName,
    policyHeader: `"${policyName}";q=${o.limit};w=${windowSecs}`,
    remainingPrefix: `"${policyName}";r=`,
    hasHeaders: o.hasHeaders ?? true,
    isFailOpen: o.failOpen ?? false,
  };
}

function setHeaders(headers: Headers, p: Policy, r: RateLimitResult): void {
  headers.set('ratelimit-policy', p.policyHeader);
  headers.set(
    'ratelimit',
    `${p.remainingPrefix}${Math.max(0, r.remaining)};t=${Math.ceil(r.resetMs / 1000)}`,
  );
}

/**
 * Creates the rate-limit middleware.
 *
 * @example
 * ```ts
 * import { rateLimit } from '@rws/middleware/rate-limit';
 * const limiter = rateLimit({ limit: 500, windowMs: 60_000, trustedProxies: ['10.0.0.0/8'] });
 * limiter.update({ limit: 1000, windowMs: 60_000 }); // e.g. on SIGHUP
 * ```
 */
export function rateLimit(options: RateLimitOptions): RateLimitMiddleware {
  let policy = compile(options, options?.store);
  return {
    update(next: RateLimitOptions): void {
      // The counters live in the store: keep it unless a new one is given.
      policy = compile(next, next?.store ?? policy.store);
    },
    // Synchronous when the store and the rest of the chain are (the memory store is): no
    // promise or microtask per request then.
    handle(req: Request, next: Handler): MaybePromise<Response> {
      const p = policy;
      let hit: MaybePromise<RateLimitResult>;
      try {
        hit = p.store.hit(p.keyOf(req), p.limit, p.windowMs, p.algorithm);
      } catch (cause) {
        return storeFailed(p, cause, req, next);
      }
      if (isPromise(hit)) {
        return hit.then(
          (result) => admit(p, result, req, next),
          (cause: unknown) => storeFailed(p, cause, req, next),
        );
      }
      return admit(p, hit, req, next);
    },
  };
}

function storeFailed(p: Policy, cause: unknown, req: Request, next: Handler) {
  if (p.isFailOpen) return next(req);
  throw new RwsError(ERROR_CODES.RATE_LIMIT_STORE_FAILED, 'rate-limit store failed', {
    status: 503,
    cause,
  });
}

function admit(
  p: Policy,
  result: RateLimitResult,
  req: Request,
  next: Handler,
): MaybePromise<Response> {
  if (!result.isAllowed) {
    const headers = new Headers({
      'content-type': 'text/plain; charset=utf-8',
      'retry-after': String(Math.max(1, Math.ceil(result.resetMs / 1000))),
    });
    setHeaders(headers, p, result);
    return { status: 429, headers, body: 'Too Many Requests\n' };
  }
  const res = next(req);
  if (!p.hasHeaders) return res;
  if (isPromise(res)) {
    return res.then((r) => {
      setHeaders(r.headers, p, result);
      return r;
    });
  }
  setHeaders(res.headers, p, result);
  return res;
}

/** Options of `createMemoryRateLimitStore()`. */
export interface MemoryRateLimitStoreOptions {
  /** Keys tracked at most; the least recently seen are forgotten first. Default 100 000. */
  maxKeys?: number | undefined;
  /** The clock, for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

interface Entry {
  /** sliding window: start of the current window; bucket: time of last refill. */
  at: number;
  /** sliding window: hits in the current window; bucket: tokens left. */
  count: number;
  /** sliding window: hits in the previous window. */
  previous: number;
}

/** Sliding-window counter: hits in this window plus the previous one's weighted by overlap. */
function slidingHit(entry: Entry, now: number, limit: number, windowMs: number): RateLimitResult {
  const start = now - (now % windowMs);
  // The entry is updated in place: a new window moves this one's hits to `previous`.
  if (entry.at <= start - 2 * windowMs) {
    entry.previous = 0;
    entry.count = 0;
    entry.at = start;
  } else if (entry.at < start) {
    entry.previous = entry.at === start - windowMs ? entry.count : 0;
    entry.count = 0;
    entry.at = start;
  }
  const weight = (windowMs - (now - start)) / windowMs;
  const estimate = entry.previous * weight + entry.count;
  const resetMs = start + windowMs - now;
  if (estimate + 1 > limit) {
    // When would the estimate fall below the limit? The previous window's weight shrinks
    // linearly; past the window's end only this window's hits count.
    let wait = resetMs;
    if (entry.previous > 0 && entry.count <= limit - 1) {
      const elapsedNeeded = windowMs * (1 - (limit - 1 - entry.count) / entry.previous);
      wait = Math.min(resetMs, Math.max(1, Math.ceil(start + elapsedNeeded - now)));
    }
    return { isAllowed: false, remaining: 0, resetMs: wait };
  }
  entry.count++;
  return { isAllowed: true, remaining: Math.floor(limit - estimate - 1), resetMs };
}

/** Token bucket: `limit` tokens, refilled at `limit` per `windowMs`, one per request. */
function bucketHit(entry: Entry, now: number, limit: number, windowMs: number): RateLimitResult {
  const rate = limit / windowMs;
  entry.count = Math.min(limit, entry.count + (now - entry.at) * rate);
  entry.at = now;
  if (entry.count < 1) {
    return { isAllowed: false, remaining: 0, resetMs: Math.ceil((1 - entry.count) / rate) };
  }
  entry.count -= 1;
  return {
    isAllowed: true,
    remaining: Math.floor(entry.count),
    resetMs: Math.ceil((limit - entry.count) / rate),
  };
}

/** An in-process store with bounded memory (LRU over keys). */
export function createMemoryRateLimitStore(
  options: MemoryRateLimitStoreOptions = {},
): RateLimitStore {
  const maxKeys = options.maxKeys ?? 100_000;
  if (!isPositiveInteger(maxKeys)) fail('maxKeys must be a positive integer');
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  /** The key seen last: already at the end of the Map's order. */
  let newest: string | null = null;
  return {
    hit(key, limit, windowMs, algorithm): RateLimitResult {
      const t = now();
      let entry = entries.get(key);
      if (entry === undefined) {
        // A fresh key: an empty window, or a full bucket.
        entry =
          algorithm === 'token-bucket'
            ? { at: t, count: limit, previous: 0 }
            : { at: t - (t % windowMs), count: 0, previous: 0 };
        entries.set(key, entry);
        if (entries.size > maxKeys) entries.delete(entries.keys().next().value as string);
      } else if (key !== newest) {
        // Re-insert so Map order is least-recently-seen first (a repeat of the newest key
        // is already last: no delete and set for a client's run of requests).
        entries.delete(key);
        entries.set(key, entry);
      }
      newest = key;
      return algorithm === 'token-bucket'
        ? bucketHit(entry, t, limit, windowMs)
        : slidingHit(entry, t, limit, windowMs);
    },
  };
}

/**
 * The Redis commands the store needs, satisfied by both node-redis (`sendCommand`) and
 * ioredis (`call`) clients. The client is the application's; the store never closes it.
 */
export type RedisClientLike =
  | { sendCommand(args: string[]): Promise<unknown> }
  | { call(command: string, ...args: string[]): Promise<unknown> };

/** Options of `createRedisRateLimitStore()`. */
export interface RedisRateLimitStoreOptions {
  /** A connected node-redis or ioredis client. */
  client: RedisClientLike;
  /** Key prefix. Default `rws:rl:`. */
  prefix?: string | undefined;
}

// Both scripts take the time from Redis (TIME) so instances with skewed clocks agree.
const SLIDING_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local start = now - (now % window)
local cur = KEYS[1] .. ':' .. start
local prev = KEYS[1] .. ':' .. (start - window)
local count = tonumber(redis.call('GET', cur) or '0')
local previous = tonumber(redis.call('GET', prev) or '0')
local weight = (window - (now - start)) / window
local estimate = previous * weight + count
local reset = start + window - now
if estimate + 1 > limit then
  return {0, 0, reset}
end
redis.call('INCR', cur)
redis.call('PEXPIRE', cur, window * 2)
return {1, math.floor(limit - estimate - 1), reset}
`;

const BUCKET_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local rate = limit / window
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or limit
local at = tonumber(state[2]) or now
tokens = math.min(limit, tokens + (now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], window * 2)
if allowed == 1 then
  return {1, math.floor(tokens), math.ceil((limit - tokens) / rate)}
end
return {0, 0, math.ceil((1 - tokens) / rate)}
`;

/**
 * A store in Redis, so several instances share one budget. Each hit is one atomic `EVAL`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisRateLimitStore, rateLimit } from '@rws/middleware/rate-limit';
 * const store = createRedisRateLimitStore({ client: new Redis() });
 * const limiter = rateLimit({ limit: 100, windowMs: 60_000, store });
 * ```
 */
export function createRedisRateLimitStore(options: RedisRateLimitStoreOptions): RateLimitStore {
  const client = options?.client as
    | {
        sendCommand?: (args: string[]) => Promise<unknown>;
        call?: (...a: string[]) => Promise<unknown>;
      }
    | undefined;
  if (typeof client?.sendCommand !== 'function' && typeof client?.call !== 'function') {
    fail('store client must be a node-redis (sendCommand) or ioredis (call) client');
  }
  const prefix = options.prefix ?? 'rws:rl:';
  const send = (args: string[]): Promise<unknown> =>
    // ioredis has both, and its sendCommand takes a Command object: prefer call().
    typeof client.call === 'function'
      ? client.call(...args)
      : (client.sendCommand as (a: string[]) => Promise<unknown>)(args);
  return {
    async hit(key, limit, windowMs, algorithm): Promise<RateLimitResult> {
      const script = algorithm === 'token-bucket' ? BUCKET_LUA : SLIDING_LUA;
      const reply = await send([
        'EVAL',
        script,
        '1',
        `${prefix}${algorithm === 'token-bucket' ? 'b' : 's'}:${key}`,
        String(limit),
        String(windowMs),
      ]);
      if (!Array.isArray(reply) || reply.length !== 3) {
        throw new RwsError(ERROR_CODES.RATE_LIMIT_STORE_FAILED, 'unexpected reply from Redis');
      }
      return {
        isAllowed: Number(reply[0]) === 1,
        remaining: Number(reply[1]),
        resetMs: Number(reply[2]),
      };
    },
  };
}
