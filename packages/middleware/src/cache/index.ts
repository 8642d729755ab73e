/**
 * `cache()`: an in-memory HTTP cache for GET and HEAD, like nginx `proxy_cache` in front of
 * a route. It honours `Cache-Control` (RFC 9111: `no-store`, `private`, `no-cache`,
 * `max-age`, `s-maxage`), `Expires`, `Vary` and `ETag` (`If-None-Match` → 304), adds `Age`
 * and `Cache-Status` (RFC 9211), coalesces concurrent misses and stays within a byte bound.
 *
 * @see RFC 9111
 * @module
 */
import { type Handler, Headers, type Middleware, type Request, type Response } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { deriveRequest } from '../internal/derive-request.js';
import { failOptions } from '../internal/fail.js';

/** Options of `cache()`. */
export interface CacheOptions {
  /**
   * Freshness for 2xx responses that carry no `max-age`, `s-maxage` or `Expires` (nginx
   * `proxy_cache_valid`). Default 0: only responses that say how long they are fresh.
   */
  ttlMs?: number | undefined;
  /** Total bytes of bodies kept; least recently used entries go first. Default 64 MiB. */
  maxBytes?: number | undefined;
  /** Larger bodies are passed through and not stored. Default 1 MiB. */
  maxEntryBytes?: number | undefined;
  /** Request headers added to every key, on top of the response's own `Vary`. */
  varyBy?: readonly string[] | undefined;
  /** The cache key of a request. Default: `Host` + request-target. */
  key?: ((req: Request) => string) | undefined;
  /** The clock, for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

interface Variant {
  readonly varyValues: readonly (string | null)[];
  readonly status: number;
  readonly headers: readonly [string, string][];
  readonly body: Uint8Array;
  readonly storedAt: number;
  readonly initialAgeSec: number;
  readonly freshMs: number;
  /** `stale-while-revalidate`: how long past freshness a stale copy may still answer. */
  readonly staleMs: number;
}

interface Slot {
  /** Header names (lower-case) the variants differ by: `varyBy` plus the response's Vary. */
  vary: readonly string[];
  variants: Variant[];
}

const STATUS_NAME = 'rws';

function fail(message: string): never {
  failOptions(ERROR_CODES.CACHE_INVALID_OPTIONS, 'cache', message);
}

/** Cache-Control directives, lower-cased; values unquoted. */
function directives(value: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (value === null) return out;
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === '') continue;
    let v = eq === -1 ? '' : part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    out.set(name, v);
  }
  return out;
}

function seconds(v: string | undefined): number | null {
  if (v === undefined || !/^\d+$/.test(v)) return null;
  return Number(v);
}

/** How long a response stays fresh, in ms, or null when it must not be stored. */
function freshness(res: Response, ttlMs: number, now: number, hasAuth: boolean): number | null {
  if (res.status < 200 || res.status > 299 || res.status === 206) return null;
  if (res.headers.has('set-cookie')) return null;
  const cc = directives(res.headers.get('cache-control'));
  if (cc.has('no-store') || cc.has('private') || cc.has('no-cache')) return null;
  // RFC 9111 §3.5: a shared cache stores authorised responses only when told it may.
  if (hasAuth && !cc.has('public') && !cc.has('s-maxage')) return null;
  const s = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  if (s !== null) return s * 1000;
  const expires = res.headers.get('expires');
  if (expires !== null) {
    const at = Date.parse(expires);
    const date = Date.parse(res.headers.get('date') ?? '');
    return Number.isNaN(at) ? 0 : Math.max(0, at - (Number.isNaN(date) ? now : date));
  }
  return ttlMs > 0 ? ttlMs : null;
}

function etagMatches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  const weak = (t: string): string => (t.startsWith('W/') ? t.slice(2) : t);
  return ifNoneMatch.split(',').some((t) => weak(t.trim()) === weak(etag));
}

/**
 * Creates the cache middleware. Hits never reach `next`; a miss does, and a cacheable
 * answer is stored as its body streams to the client (bodies past `maxEntryBytes` are not).
 * Unsafe methods (POST, PUT, DELETE, PATCH) that succeed invalidate their URI.
 *
 * @example
 * ```ts
 * import { cache } from '@rws/middleware/cache';
 * const pages = cache({ ttlMs: 60_000, varyBy: ['accept-language'] });
 * ```
 */
export function cache(options: CacheOptions = {}): Middleware {
  const ttlMs = options.ttlMs ?? 0;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const maxEntryBytes = options.maxEntryBytes ?? 1024 * 1024;
  for (const [name, v] of [
    ['ttlMs', ttlMs],
    ['maxBytes', maxBytes],
    ['maxEntryBytes', maxEntryBytes],
  ] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      fail(`${name} must be a non-negative integer, got ${String(v)}`);
    }
  }
  const varyBy = (options.varyBy ?? []).map((h) => {
    if (typeof h !== 'string' || h === '' || h === '*') fail('varyBy must list header names');
    return h.toLowerCase();
  });
  const keyOf = options.key ?? ((req: Request) => `${req.headers.get('host') ?? ''}${req.target}`);
  const now = options.now ?? Date.now;
  const slots = new Map<string, Slot>();
  const pending = new Map<string, Promise<void>>();
  let totalBytes = 0;

  const drop = (key: string): void => {
    const slot = slots.get(key);
    if (slot === undefined) return;
    for (const v of slot.variants) totalBytes -= v.body.byteLength;
    slots.delete(key);
  };
  const store = (key: string, vary: readonly string[], variant: Variant): void => {
    let slot = slots.get(key);
    if (slot !== undefined && slot.vary.join() !== vary.join()) {
      drop(key);
      slot = undefined;
    }
    if (slot === undefined) slot = { vary, variants: [] };
    const same = slot.variants.findIndex(
      (v) => v.varyValues.join('\0') === variant.varyValues.join('\0'),
    );
    if (same !== -1) {
      totalBytes -= slot.variants[same]!.body.byteLength;
      slot.variants.splice(same, 1);
    }
    slot.variants.push(variant);
    totalBytes += variant.body.byteLength;
    slots.delete(key);
    slots.set(key, slot);
    while (totalBytes > maxBytes && slots.size > 0) drop(slots.keys().next().value as string);
  };
  /** The variant for `req`, fresh or still usable stale (`isStale`), or null. */
  const lookup = (
    key: string,
    req: Request,
    t: number,
  ): { variant: Variant; isStale: boolean } | null => {
    const slot = slots.get(key);
    if (slot === undefined) return null;
    const values = slot.vary.map((h) => req.headers.get(h));
    const variant = slot.variants.find((v) => v.varyValues.every((x, i) => x === values[i]));
    if (variant === undefined) return null;
    const age = t - variant.storedAt;
    if (age >= variant.freshMs + variant.staleMs) return null;
    slots.delete(key);
    slots.set(key, slot);
    return { variant, isStale: age >= variant.freshMs };
  };

  const answer = (req: Request, v: Variant, t: number, isStale = false): Response => {
    const headers = new Headers();
    for (const [name, value] of v.headers) headers.append(name, value);
    const age = v.initialAgeSec + Math.floor((t - v.storedAt) / 1000);
    headers.set('age', String(age));
    headers.set(
      'cache-status',
      isStale
        ? `${STATUS_NAME}; hit; fwd=stale`
        : `${STATUS_NAME}; hit; ttl=${Math.floor((v.freshMs - (t - v.storedAt)) / 1000)}`,
    );
    const etag = headers.get('etag');
    const inm = req.headers.get('if-none-match');
    if (etag !== null && inm !== null && etagMatches(inm, etag)) {
      headers.delete('content-length');
      headers.delete('content-type');
      return { status: 304, headers, body: null };
    }
    headers.set('content-length', String(v.body.byteLength));
    return { status: v.status, headers, body: req.method === 'HEAD' ? null : v.body };
  };

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const isRead = req.method === 'GET' || req.method === 'HEAD';
      if (!isRead) {
        const res = await next(req);
        if (req.method !== 'OPTIONS' && req.method !== 'TRACE' && res.status < 400) {
          drop(keyOf(req));
        }
        return res;
      }
      const reqCc = directives(req.headers.get('cache-control'));
      if (reqCc.has('no-store')) {
        const res = await next(req);
        res.headers.set('cache-status', `${STATUS_NAME}; fwd=bypass`);
        return res;
      }
      const key = keyOf(req);
      const isRevalidate =
        reqCc.has('no-cache') ||
        reqCc.get('max-age') === '0' ||
        req.headers.get('pragma') === 'no-cache';
      if (!isRevalidate) {
        const hit = lookup(key, req, now());
        if (hit !== null) {
          // RFC 5861: answer stale now, refresh in the background (one refresh per key).
          if (hit.isStale && !pending.has(key)) refreshInBackground(req, next, key);
          return answer(req, hit.variant, now(), hit.isStale);
        }
        const wait = pending.get(key);
        if (wait !== undefined) {
          await wait;
          const after = lookup(key, req, now());
          if (after !== null) return answer(req, after.variant, now(), after.isStale);
        }
      }
      return fetchAndStore(req, next, key, isRevalidate);
    },
  };

  function refreshInBackground(req: Request, next: Handler, key: string): void {
    // The client has its answer; its going away must not cancel the refresh.
    const background = deriveRequest(req, { signal: new AbortController().signal });
    void (async () => {
      const res = await fetchAndStore(background, next, key, true);
      const body = res.body;
      // A streamed body is stored as it is read: read it to the end.
      if (body !== null && typeof body === 'object' && Symbol.asyncIterator in body) {
        for await (const _ of body as AsyncIterable<Uint8Array>);
      }
    })().catch(() => {});
  }

  async function fetchAndStore(
    req: Request,
    next: Handler,
    key: string,
    isRevalidate: boolean,
  ): Promise<Response> {
    // HEAD misses are forwarded but never stored: they have no body to store.
    if (req.method === 'HEAD') return next(req);
    let release!: () => void;
    const isLeader = !pending.has(key);
    if (isLeader) pending.set(key, new Promise<void>((r) => (release = r)));
    const done = (): void => {
      if (isLeader) {
        pending.delete(key);
        release();
      }
    };
    let res: Response;
    try {
      res = await next(req);
    } catch (err) {
      done();
      throw err;
    }
    const t = now();
    const fresh = freshness(res, ttlMs, t, req.headers.has('authorization'));
    const resVary = (res.headers.get('vary') ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== '');
    if (
      fresh === null ||
      fresh === 0 ||
      resVary.includes('*') ||
      (res.body === null && res.status !== 204)
    ) {
      res.headers.set('cache-status', `${STATUS_NAME}; fwd=${isRevalidate ? 'request' : 'miss'}`);
      done();
      return res;
    }
    const vary = [...new Set([...varyBy, ...resVary])].sort();
    const varyValues = vary.map((h) => req.headers.get(h));
    const initialAgeSec = seconds(res.headers.get('age') ?? undefined) ?? 0;
    const headers: [string, string][] = [];
    for (const entry of res.headers) {
      if (entry[0] !== 'age' && entry[0] !== 'connection') headers.push(entry);
    }
    const save = (body: Uint8Array): void => {
      store(key, vary, {
        varyValues,
        status: res.status,
        headers,
        body,
        storedAt: t,
        initialAgeSec,
        freshMs: Math.max(0, fresh - initialAgeSec * 1000),
        staleMs:
          (seconds(directives(res.headers.get('cache-control')).get('stale-while-revalidate')) ??
            0) * 1000,
      });
    };
    res.headers.set(
      'cache-status',
      `${STATUS_NAME}; fwd=${isRevalidate ? 'request' : 'miss'}; stored`,
    );
    const body = res.body;
    if (body === null || typeof body === 'string' || body instanceof Uint8Array) {
      const bytes =
        body === null ? new Uint8Array(0) : typeof body === 'string' ? Buffer.from(body) : body;
      if (bytes.byteLength <= maxEntryBytes) save(bytes);
      done();
      return res;
    }
    if (!(Symbol.asyncIterator in (body as object)) && !(body instanceof ReadableStream)) {
      // A file body is already cheap to serve again: leave it to the handler.
      done();
      return res;
    }
    // Streamed bodies are stored as they pass; waiters go to the origin meanwhile.
    done();
    res.body = teeInto(body as AsyncIterable<Uint8Array>, maxEntryBytes, save);
    return res;
  }
}

async function* teeInto(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  save: (body: Uint8Array) => void,
): AsyncGenerator<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  let isTooBig = false;
  for await (const chunk of source) {
    if (!isTooBig) {
      size += chunk.byteLength;
      if (size > limit) {
        isTooBig = true;
        chunks.length = 0;
      } else chunks.push(Buffer.from(chunk));
    }
    yield chunk;
  }
  // Only a body that arrived whole is stored; an aborted one never reaches here.
  if (!isTooBig) save(Buffer.concat(chunks));
}
