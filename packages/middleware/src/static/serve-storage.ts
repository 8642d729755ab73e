import {
  type Handler,
  Headers,
  isRwsError,
  lookupExtension,
  type MaybePromise,
  type Middleware,
  type Request,
  type Response,
} from '@rws/core';
import { evaluatePreconditions, ifRangeAllows } from '../internal/static/conditional.js';
import { decodePath } from '../internal/static/decode-path.js';
import { fail } from '../internal/static/options.js';
import { parseRange } from '../internal/static/range.js';
import { statusResponse } from '../internal/static/responses.js';

/** What `serveStorage` needs to know of an object (the shape of @rws/storage's `ObjectInfo`). */
export interface StaticObjectInfo {
  readonly size: number;
  readonly lastModified: Date;
  /** Quoted, as in HTTP; when absent a weak tag is made from size and time. */
  readonly etag: string | undefined;
  readonly contentType?: string | undefined;
  readonly cacheControl?: string | undefined;
}

/**
 * The object store `serveStorage` reads: a structural subset of @rws/storage's `Storage`, so
 * any of its drivers (or another store) fits without this package depending on it.
 */
export interface StaticObjectSource {
  head(key: string, options?: { signal?: AbortSignal }): MaybePromise<StaticObjectInfo | null>;
  get(
    key: string,
    options?: { range?: { start: number; end?: number }; signal?: AbortSignal },
  ): MaybePromise<(StaticObjectInfo & { readonly body: ReadableStream<Uint8Array> }) | null>;
}

/** Options of `serveStorage()`. */
export interface ServeStorageOptions {
  /** The store, e.g. `createS3Storage({ bucket })` from @rws/storage. */
  storage: StaticObjectSource;
  /** Prepended to every key (`'site/'`): the request path `/a.txt` reads `site/a.txt`. */
  prefix?: string;
  /** Index objects tried, in order, for a path ending in `/`. Default `['index.html']`. */
  index?: readonly string[] | false;
  /** True (default): a missing object calls `next()`. False: 404, and 405 for other methods. */
  fallthrough?: boolean;
  /** Cache-Control of objects stored without one. Default `public, max-age=0, must-revalidate`. */
  cacheControl?: string | false;
  /** Honour single `Range` requests. Default true. */
  acceptRanges?: boolean;
}

const ALLOW = 'GET, HEAD, OPTIONS';
const DEFAULT_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
/** Longest object key, in UTF-8 bytes (S3's limit); longer paths cannot name an object. */
const MAX_KEY_BYTES = 1024;
/** What stores record when the uploader gave no type: the extension knows better. */
const GENERIC_TYPES = new Set(['application/octet-stream', 'binary/octet-stream']);

interface Found {
  readonly key: string;
  readonly info: StaticObjectInfo;
}

function etagOf(info: StaticObjectInfo): string {
  if (info.etag !== undefined) return info.etag;
  // A store without entity tags: size and time make a weak one (RFC 9110 §8.8.1).
  return `W/"${info.size.toString(16)}-${info.lastModified.getTime().toString(16)}"`;
}

function contentTypeOf(key: string, info: StaticObjectInfo): string {
  const stored = info.contentType;
  if (stored !== undefined && stored !== '' && !GENERIC_TYPES.has(stored.toLowerCase())) {
    return stored;
  }
  return lookupExtension(key) ?? 'application/octet-stream';
}

/**
 * Serves objects of a bucket (any @rws/storage driver) the way `serveStatic` serves files:
 * the request path is the key under `prefix`, index objects for paths ending in `/`, the
 * Content-Type stored with the object or else by extension, ETag and Last-Modified from `head`,
 * `If-None-Match`/`If-Modified-Since` → 304, `If-Match`/`If-Unmodified-Since` → 412, one
 * `Range` → 206 (416 when unsatisfiable; several ranges get the whole object), HEAD without a
 * body read. Paths that could leave the prefix (`..`, encoded `/`) get 403, as in serveStatic.
 *
 * @example
 * ```ts
 * // Any @rws/storage driver fits; this package does not depend on it.
 *
 * const files = serveStorage({ storage: createMemoryStorage(), prefix: 'site/' });
 * ```
 */
export function serveStorage(options: ServeStorageOptions): Middleware {
  if (options === null || typeof options !== 'object') fail('options must be an object');
  const { storage } = options;
  if (typeof storage?.head !== 'function' || typeof storage.get !== 'function') {
    fail('storage must have head() and get()');
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || prefix.startsWith('/') || prefix.includes('..')) {
    fail('prefix must be a relative key prefix without ".."');
  }
  const index = options.index === false ? [] : (options.index ?? ['index.html']).slice();
  const isFallthrough = options.fallthrough ?? true;
  const defaultCacheControl =
    options.cacheControl === false ? null : (options.cacheControl ?? DEFAULT_CACHE_CONTROL);
  const isRangeOn = options.acceptRanges ?? true;

  async function headOf(key: string, signal: AbortSignal): Promise<Found | null> {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) return null;
    const info = await storage.head(key, { signal });
    return info === null ? null : { key, info };
  }

  /** The object a path names, an index object, a redirect to the `/` form, or nothing. */
  async function locate(
    req: Request,
    segments: string[],
    hasSlash: boolean,
  ): Promise<Found | string | null> {
    const base = prefix + segments.join('/');
    if (hasSlash || segments.length === 0) {
      const dir = segments.length === 0 ? prefix : `${base}/`;
      for (const name of index) {
        const found = await headOf(dir + name, req.signal);
        if (found !== null) return found;
      }
      return null;
    }
    const found = await headOf(base, req.signal);
    if (found !== null || index.length === 0) return found;
    // Stores have no directories: `/docs` with a `docs/index.html` is redirected to `/docs/`,
    // built from the decoded segments so the Location cannot become protocol-relative.
    const indexed = await headOf(`${base}/${index[0]}`, req.signal);
    if (indexed === null) return null;
    const search = req.search.length > 0 ? `?${req.search}` : '';
    return `/${segments.map(encodeURIComponent).join('/')}/${search}`;
  }

  async function serveObject(
    req: Request,
    next: Handler,
    found: Found,
    attempt: number,
  ): Promise<Response> {
    const { key, info } = found;
    const isHead = req.method === 'HEAD';
    const etag = etagOf(info);
    const lastModifiedSec = Math.floor(info.lastModified.getTime() / 1000);
    const headers = new Headers();
    headers.set('etag', etag);
    headers.set('last-modified', info.lastModified.toUTCString());
    const cacheControl = info.cacheControl ?? defaultCacheControl;
    if (cacheControl !== null) headers.set('cache-control', cacheControl);

    const pre = evaluatePreconditions(req.headers, etag, lastModifiedSec);
    if (pre === 412) return statusResponse(412, { etag });
    if (pre === 304) return { status: 304, headers, body: null };

    headers.set('content-type', contentTypeOf(key, info));
    headers.set('x-content-type-options', 'nosniff');
    if (isRangeOn) headers.set('accept-ranges', 'bytes');
    const size = info.size;
    let range: { start: number; end: number } | null = null;
    const rangeHeader = isRangeOn && !isHead ? req.headers.get('range') : null;
    if (rangeHeader !== null && ifRangeAllows(req.headers.get('if-range'), etag, lastModifiedSec)) {
      // One range only: a store answers one range per request, and several would cost a
      // request each (more than one range gets the whole object, which RFC 9110 §14.2 allows).
      const result = parseRange(rangeHeader, size, 1);
      if (result.kind === 'unsatisfiable') {
        // RFC 9110 §15.5.17: 416 carries the current length.
        return statusResponse(416, { 'content-range': `bytes */${size}` });
      }
      if (result.kind === 'ranges') range = result.ranges[0]!;
    }
    if (isHead || size === 0) {
      headers.set('content-length', String(size));
      return { status: 200, headers, body: null };
    }
    const object = await storage.get(
      key,
      range === null ? { signal: req.signal } : { range, signal: req.signal },
    );
    if (object === null || object.size !== size || etagOf(object) !== etag) {
      // Replaced or deleted between head and get: the headers above describe another
      // version. Start over once; a key that keeps changing is not served half-described.
      await object?.body.cancel();
      if (attempt > 0) return statusResponse(503, { 'retry-after': '1' });
      return handle(req, next, attempt + 1);
    }
    if (range !== null) {
      headers.set('content-range', `bytes ${range.start}-${range.end}/${size}`);
      headers.set('content-length', String(range.end - range.start + 1));
      return { status: 206, headers, body: object.body };
    }
    headers.set('content-length', String(size));
    return { status: 200, headers, body: object.body };
  }

  async function handle(req: Request, next: Handler, attempt: number): Promise<Response> {
    const missing = (): MaybePromise<Response> => (isFallthrough ? next(req) : statusResponse(404));
    const decoded = decodePath(req.path);
    if (!decoded.ok) return statusResponse(decoded.status);
    const { segments, hasTrailingSlash } = decoded;
    // Dot-segments (`.env`, `.git/`) are treated as missing, as serveStatic does by default.
    if (segments.some((s) => s.charCodeAt(0) === 46)) {
      return missing();
    }
    let located: Found | string | null;
    try {
      located = await locate(req, segments, hasTrailingSlash);
    } catch (err) {
      // A key the store refuses names no object; any other failure (network, credentials) is
      // the store's, and its message may carry store details, so only the status is sent.
      return isRwsError(err, 'RWS_STORAGE_KEY_INVALID') ? missing() : statusResponse(502);
    }
    if (located === null) return missing();
    if (typeof located === 'string') {
      return {
        status: 301,
        headers: new Headers({ location: located, 'content-length': '0' }),
        body: null,
      };
    }
    try {
      return await serveObject(req, next, located, attempt);
    } catch {
      return statusResponse(502);
    }
  }

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const method = req.method;
      if (method !== 'GET' && method !== 'HEAD') {
        if (isFallthrough) return next(req);
        if (method === 'OPTIONS') {
          return { status: 204, headers: new Headers({ allow: ALLOW }), body: null };
        }
        return statusResponse(405, { allow: ALLOW });
      }
      return handle(req, next, 0);
    },
  };
}
