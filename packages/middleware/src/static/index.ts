import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import {
  type Handler,
  Headers,
  isCompressible,
  type MaybePromise,
  type Middleware,
  mimeType,
  type Request,
  type Response,
} from '@rws/core';
import { type Coding, negotiate } from '../internal/compress/negotiate.js';
import { LruMap, readIfUnchanged, sameContent } from '../internal/static/cache.js';
import { evaluatePreconditions, ifRangeAllows } from '../internal/static/conditional.js';
import { decodePath } from '../internal/static/decode-path.js';
import { compressFile, compressText, SIBLING_SUFFIX } from '../internal/static/encoding.js';
import { isFingerprinted } from '../internal/static/fingerprint.js';
import {
  type ContentEntry,
  type Found,
  type Lookup,
  makeFound,
  type StatEntry,
} from '../internal/static/found.js';
import { HotResponses } from '../internal/static/hot-responses.js';
import {
  type ListingEntry,
  type ListingSort,
  renderListing,
  renderNotFound,
  sortEntries,
} from '../internal/static/listing.js';
import { createMultipartBody } from '../internal/static/multipart.js';
import { codingList, fail, nonNegativeInteger, resolveRoot } from '../internal/static/options.js';
import { MAX_RANGES, parseRange } from '../internal/static/range.js';
import { statusResponse } from '../internal/static/responses.js';

export {
  type ServeStorageOptions,
  type StaticObjectInfo,
  type StaticObjectSource,
  serveStorage,
} from './serve-storage.js';

/** A content coding serveStatic can send: `br`, `gzip` or `zstd` (when the runtime has it). */
export type StaticCoding = Coding;

/** Options of `serveStatic()`. */
export interface ServeStaticOptions {
  /** The directory to serve. Must exist. Nothing outside it is ever served. */
  root: string;
  /** Index files tried, in order, for a directory. Default `['index.html']`; `false` for none. */
  index?: readonly string[] | false;
  /** Extensions tried for an extension-less path (`/about` → `about.html`). Default `['html']`. */
  extensions?: readonly string[] | false;
  /** Render a listing for a directory without an index file. Default true. */
  directoryListing?: boolean;
  /**
   * Paths with a segment starting with `.`: `'ignore'` treats them as missing (default),
   * `'deny'` answers 403, `'allow'` serves them.
   */
  dotfiles?: 'ignore' | 'deny' | 'allow';
  /**
   * True (default): a path that is not a file, directory or fallback calls `next()`, so routes
   * after this middleware still run. False: answer 404 (with `notFoundPage`) and 405 for
   * methods other than GET, HEAD and OPTIONS.
   */
  fallthrough?: boolean;
  /** A file under the root sent with status 404 when answering 404. Default `'404.html'`. */
  notFoundPage?: string | false;
  /** A file under the root served (200) for extension-less GET/HEAD that match nothing. */
  spaFallback?: string | false;
  /** Path prefixes that never get the SPA fallback (`'/api'` covers `/api` and `/api/…`). */
  spaFallbackExclude?: readonly string[];
  /** The Cache-Control of files. Default `public, max-age=0, must-revalidate`; false for none. */
  cacheControl?: string | false;
  /**
   * Files whose name carries a content hash (`app.3f9a1c2b.js`, `index-BqjV9TxC.js`) get
   * `Cache-Control: public, max-age=31536000, immutable` instead of `cacheControl`: `true` uses
   * the built-in test (8+ hex digits, or an 8+ character base64url hash, as a `.`/`-` part of the
   * name), a function decides per file name. Default false.
   */
  immutable?: boolean | ((fileName: string) => boolean);
  /** On-the-fly compression codings in preference order; true = br, zstd, gzip. Default true. */
  compression?: boolean | readonly StaticCoding[];
  /** Files smaller than this are never compressed on the fly. Default 1024. */
  compressionThresholdBytes?: number;
  /** Serve `file.br` / `file.zst` / `file.gz` siblings when present. Default true. */
  precompressed?: boolean | readonly StaticCoding[];
  /** Honour Range requests. Default true. */
  acceptRanges?: boolean;
  /** More ranges than this in one request are ignored (200). Default 16. */
  maxRanges?: number;
  /**
   * How long (ms) a path's resolution — `realpath`, `stat`, index and `.html` fallback,
   * precompressed siblings, misses too — is reused before the disk is asked again. A change on
   * disk is seen at most this late. Default 1000; 0 disables the cache.
   */
  statCacheMs?: number;
  /**
   * Files up to this size are kept in memory from their second request on and sent as one
   * buffer; revalidated against size, mtime and inode on each (cached) stat. Default 65536;
   * 0 disables the content cache.
   */
  memoryCacheMaxFileBytes?: number;
  /** Total bytes of file content kept in memory. Default 16 MiB (16777216). */
  memoryCacheMaxBytes?: number;
}

/** Entries of the path resolution cache (each a few hundred bytes). */
const STAT_CACHE_ENTRIES = 1000;
/** Entries of the content cache, loaded or not (a file is loaded on its second request). */
const CONTENT_CACHE_ENTRIES = 1000;

const ALLOW = 'GET, HEAD, OPTIONS';
const DEFAULT_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

type Located =
  | { readonly kind: 'file'; readonly file: Found }
  | { readonly kind: 'redirect'; readonly location: string }
  | { readonly kind: 'listing'; readonly dir: string; readonly urlPath: string };

/**
 * Creates the static file middleware.
 *
 * @example
 * ```ts
 * import { serveStatic } from '@rws/middleware/static';
 *
 * const files = serveStatic({ root: './public', spaFallback: 'index.html' });
 * ```
 */
export function serveStatic(options: ServeStaticOptions): Middleware {
  if (options === null || typeof options !== 'object') fail('options must be an object');
  const rootReal = resolveRoot(options.root);
  const rootPrefix = rootReal.endsWith(sep) ? rootReal : rootReal + sep;
  const index = options.index === false ? [] : (options.index ?? ['index.html']).slice();
  const extensions = options.extensions === false ? [] : (options.extensions ?? ['html']).slice();
  const isListingOn = options.directoryListing ?? true;
  const dotfiles = options.dotfiles ?? 'ignore';
  if (dotfiles !== 'ignore' && dotfiles !== 'deny' && dotfiles !== 'allow') {
    fail(`dotfiles must be 'ignore', 'deny' or 'allow'`);
  }
  const isFallthrough = options.fallthrough ?? true;
  const cacheControl =
    options.cacheControl === false ? null : (options.cacheControl ?? DEFAULT_CACHE_CONTROL);
  const immutableOption = options.immutable ?? false;
  if (typeof immutableOption !== 'boolean' && typeof immutableOption !== 'function') {
    fail('immutable must be a boolean or a function');
  }
  const isImmutable: ((fileName: string) => boolean) | null =
    immutableOption === true ? isFingerprinted : immutableOption === false ? null : immutableOption;
  const compression = codingList(options.compression, 'compression');
  const precompressed = codingList(options.precompressed, 'precompressed');
  const threshold = options.compressionThresholdBytes ?? 1024;
  if (!Number.isFinite(threshold) || threshold < 0) {
    fail('compressionThresholdBytes must be a non-negative number');
  }
  const isRangeOn = options.acceptRanges ?? true;
  const maxRanges = options.maxRanges ?? MAX_RANGES;
  if (!Number.isInteger(maxRanges) || maxRanges < 1) fail('maxRanges must be a positive integer');
  const statCacheMs = nonNegativeInteger(options.statCacheMs, 1000, 'statCacheMs');
  const memoryMaxFile = nonNegativeInteger(
    options.memoryCacheMaxFileBytes,
    64 * 1024,
    'memoryCacheMaxFileBytes',
  );
  const memoryMaxTotal = nonNegativeInteger(
    options.memoryCacheMaxBytes,
    16 * 1024 * 1024,
    'memoryCacheMaxBytes',
  );

  const underRoot = (rel: string, name: string): string => {
    const p = resolve(rootReal, rel);
    if (p !== rootReal && !p.startsWith(rootPrefix)) fail(`${name} must be inside root`);
    return p;
  };
  const notFoundPage =
    options.notFoundPage === false
      ? null
      : underRoot(options.notFoundPage ?? '404.html', 'notFoundPage');
  const spaFallback =
    options.spaFallback === undefined || options.spaFallback === false
      ? null
      : underRoot(options.spaFallback, 'spaFallback');
  const spaExclude = (options.spaFallbackExclude ?? []).map((p) => {
    let s = p.startsWith('/') ? p : `/${p}`;
    while (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
    return s;
  });

  /** Stats `p` if it exists and its real path is inside the root (symlinks included). */
  async function findOnDisk(p: string): Promise<Found | null> {
    let real: string;
    try {
      real = await realpath(p);
    } catch {
      return null;
    }
    // The containment check runs on the real path, so a cached result is exactly what this
    // check decided; a symlink changed on disk is re-resolved once the entry expires.
    if (real !== rootReal && !real.startsWith(rootPrefix)) return null;
    try {
      return makeFound(real, await stat(real, { bigint: true }));
    } catch {
      return null;
    }
  }

  // Path resolution cache: `find()` results (misses included) per candidate path for
  // `statCacheMs`, so a burst of requests for one file costs one realpath + stat per period
  // instead of two thread-pool round trips each (nginx's `open_file_cache`).
  const statCache = statCacheMs > 0 ? new LruMap<string, StatEntry>(STAT_CACHE_ENTRIES) : null;

  function find(p: string, lookup?: Lookup): Promise<Found | null> | Found | null {
    if (statCache === null) return findOnDisk(p);
    const hit = statCache.get(p);
    const now = Date.now();
    if (hit !== undefined && hit.expires > now) {
      if (lookup !== undefined && hit.expires < lookup.expires) lookup.expires = hit.expires;
      return hit.found;
    }
    const expires = now + statCacheMs;
    if (lookup !== undefined && expires < lookup.expires) lookup.expires = expires;
    return findOnDisk(p).then((found) => {
      statCache.set(p, { expires, found });
      return found;
    });
  }

  // Content cache: bytes of small files, keyed by real path and checked against the (cached)
  // stat's size, mtime and inode on every use. A file is loaded on its second request with the
  // same identity, so a one-off crawl of many files does not evict the hot ones.
  let memoryBytes = 0;
  const contentSizeLimit = BigInt(Math.min(memoryMaxFile, memoryMaxTotal));
  const contentCache =
    memoryMaxFile > 0 && memoryMaxTotal > 0
      ? new LruMap<string, ContentEntry>(CONTENT_CACHE_ENTRIES, (e) => {
          if (e.buf !== null) memoryBytes -= e.buf.length;
        })
      : null;

  /** The whole content of `f` from memory, or null to read it from disk. */
  async function cachedContent(f: Found): Promise<Buffer | null> {
    if (contentCache === null) return null;
    const st = f.stats;
    if (st.size > contentSizeLimit) return null;
    let e = contentCache.get(f.path);
    if (e === undefined || !sameContent(e, st)) {
      if (e?.buf) memoryBytes -= e.buf.length;
      e = {
        path: f.path,
        size: st.size,
        mtimeNs: st.mtimeNs,
        ino: st.ino,
        uses: 1,
        buf: null,
        loading: null,
      };
      contentCache.set(f.path, e);
      return null;
    }
    if (e.buf !== null) return e.buf;
    e.uses++;
    if (e.loading === null) {
      const entry = e;
      entry.loading = readIfUnchanged(f.path, st).then((buf) => {
        entry.loading = null;
        // Still the current entry (not evicted or replaced while reading)?
        if (buf === null || contentCache.get(f.path) !== entry) return null;
        entry.buf = buf;
        memoryBytes += buf.length;
        while (memoryBytes > memoryMaxTotal && contentCache.evictOldest()) {}
        return entry.buf;
      });
    }
    return e.loading;
  }

  /** Bytes `start..end` of `f`: a slice of the cached content, or a file range. */
  async function fileBody(
    isHead: boolean,
    f: Found,
    start: number,
    end: number,
  ): Promise<Response['body']> {
    if (isHead || end < start) return null;
    const buf = await cachedContent(f);
    if (buf !== null)
      return start === 0 && end === buf.length - 1 ? buf : buf.subarray(start, end + 1);
    return { kind: 'file', path: f.path, start, end };
  }

  async function findFile(p: string, lookup?: Lookup): Promise<Found | null> {
    const f = await find(p, lookup);
    return f?.stats.isFile() ? f : null;
  }

  async function locate(
    req: Request,
    segments: string[],
    hasSlash: boolean,
    lookup: Lookup,
  ): Promise<Located | null> {
    const fsPath = segments.length === 0 ? rootReal : join(rootReal, ...segments);
    const found = await find(fsPath, lookup);
    if (found !== null) {
      if (found.stats.isFile()) {
        // `/file.txt/` names a directory that does not exist.
        return hasSlash ? null : { kind: 'file', file: found };
      }
      if (found.stats.isDirectory()) {
        if (!hasSlash) {
          // Built from the decoded segments, never from the raw path, so `//evil.example`
          // cannot turn into a protocol-relative Location (open redirect).
          // `/.` and `/%2e` name the root with no segments left: `/`, never `//` (issue #8).
          const dir =
            segments.length === 0 ? '/' : `/${segments.map(encodeURIComponent).join('/')}/`;
          const location = `${dir}${req.search.length > 0 ? `?${req.search}` : ''}`;
          return { kind: 'redirect', location };
        }
        for (const name of index) {
          const f = await findFile(join(found.path, name), lookup);
          if (f !== null) return { kind: 'file', file: f };
        }
        if (isListingOn) {
          const urlPath = segments.length === 0 ? '/' : `/${segments.join('/')}/`;
          return { kind: 'listing', dir: found.path, urlPath };
        }
        return null;
      }
      return null;
    }
    const last = segments[segments.length - 1];
    if (!hasSlash && last !== undefined && !last.includes('.')) {
      for (const ext of extensions) {
        const f = await findFile(`${fsPath}.${ext}`, lookup);
        if (f !== null) return { kind: 'file', file: f };
      }
    }
    return null;
  }

  function isSpaCandidate(segments: string[]): boolean {
    const last = segments[segments.length - 1];
    if (last?.includes('.')) return false;
    const path = `/${segments.join('/')}`;
    for (const prefix of spaExclude) {
      if (prefix === '/' || path === prefix || path.startsWith(`${prefix}/`)) return false;
    }
    return true;
  }

  async function notFound(req: Request, next: Handler): Promise<Response> {
    if (isFallthrough) return next(req);
    if (notFoundPage !== null) {
      const page = await findFile(notFoundPage);
      if (page !== null) {
        const size = Number(page.stats.size);
        const headers = new Headers({
          'content-type': mimeType(page.path),
          'content-length': String(size),
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
        });
        const body = await fileBody(req.method === 'HEAD', page, 0, size - 1);
        return { status: 404, headers, body };
      }
    }
    // Browsers (Accept names text/html) get a page in the listing's style; curl, scripts
    // and API clients get plain text.
    const accept = req.headers.get('accept');
    if (accept === null || !accept.toLowerCase().includes('text/html')) {
      return statusResponse(404, { vary: 'Accept' });
    }
    const html = renderNotFound(req.path);
    const headers = new Headers({
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(html)),
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
      vary: 'Accept',
    });
    return { status: 404, headers, body: req.method === 'HEAD' ? null : html };
  }

  async function serveListing(req: Request, dir: string, urlPath: string): Promise<Response> {
    const dirents = await readdir(dir, { withFileTypes: true });
    const entries: ListingEntry[] = [];
    await Promise.all(
      dirents.map(async (d) => {
        if (dotfiles !== 'allow' && d.name.startsWith('.')) return;
        // Symlinks are followed only when they stay inside the root; others are not listed.
        // Uncached: a listing is not a hot path, and a big directory would evict hot entries.
        const f = await findOnDisk(join(dir, d.name));
        if (f === null) return;
        const isDirectory = f.stats.isDirectory();
        if (!isDirectory && !f.stats.isFile()) return;
        entries.push({
          name: d.name,
          isDirectory,
          size: Number(f.stats.size),
          mtimeMs: Number(f.stats.mtimeMs),
        });
      }),
    );
    const sortParam = req.query.get('sort');
    const sort: ListingSort = sortParam === 'size' || sortParam === 'date' ? sortParam : 'name';
    const isDescending = req.query.get('order') === 'desc';
    sortEntries(entries, sort, isDescending);
    const html = renderListing(urlPath, entries, sort, isDescending);
    const headers = new Headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    // Compressed like any other text file, under the same threshold.
    const size = Buffer.byteLength(html);
    if (compression.length > 0) {
      headers.set('vary', 'Accept-Encoding');
      const coding =
        size >= threshold
          ? negotiate(req.headers.get('accept-encoding'), compression).coding
          : null;
      if (coding !== null) {
        const body = await compressText(html, coding);
        headers.set('content-encoding', coding);
        headers.set('content-length', String(body.length));
        return { status: 200, headers, body: req.method === 'HEAD' ? null : body };
      }
    }
    headers.set('content-length', String(size));
    return { status: 200, headers, body: req.method === 'HEAD' ? null : html };
  }

  async function serveFile(req: Request, file: Found, lookup: Lookup): Promise<Response> {
    const isHead = req.method === 'HEAD';
    const contentType = mimeType(file.path);
    const size = Number(file.stats.size);
    const rangeHeader = isRangeOn && !isHead ? req.headers.get('range') : null;
    const acceptEncoding = req.headers.get('accept-encoding');
    const compressible = isCompressible(contentType);

    // Choose the representation first: validators belong to the representation sent.
    let sent = file;
    let coding: Coding | null = null;
    let isOnTheFly = false;
    let vary = compressible && (compression.length > 0 || precompressed.length > 0);
    if (rangeHeader === null && acceptEncoding !== null) {
      if (precompressed.length > 0) {
        const present: Coding[] = [];
        const siblings = new Map<Coding, Found>();
        for (const c of precompressed) {
          if (negotiate(acceptEncoding, [c]).coding === null) continue;
          const s = await findFile(file.path + SIBLING_SUFFIX[c], lookup);
          if (s !== null) {
            present.push(c);
            siblings.set(c, s);
          }
        }
        const pick = negotiate(acceptEncoding, present).coding;
        if (pick !== null) {
          coding = pick;
          sent = siblings.get(pick)!;
          vary = true;
        }
      }
      if (coding === null && compressible && size >= threshold && compression.length > 0) {
        coding = negotiate(acceptEncoding, compression).coding;
        isOnTheFly = coding !== null;
      }
    }

    const tag = sent.tag;
    // Compressing on the fly is not byte-for-byte reproducible across zlib versions, so that
    // representation gets a weak tag (RFC 9110 §8.8.1), as nginx does.
    const etag = isOnTheFly
      ? `W/"${tag}-${coding}"`
      : coding !== null
        ? `"${tag}-${coding}"`
        : `"${tag}"`;
    const lastModifiedSec = sent.lastModifiedSec;
    const headers = new Headers();
    headers.set('etag', etag);
    headers.set('last-modified', sent.lastModified);
    if (isImmutable?.(basename(file.path))) {
      headers.set('cache-control', IMMUTABLE_CACHE_CONTROL);
    } else if (cacheControl !== null) headers.set('cache-control', cacheControl);
    if (vary) headers.set('vary', 'Accept-Encoding');

    const pre = evaluatePreconditions(req.headers, etag, lastModifiedSec);
    if (pre === 412) return statusResponse(412, { etag });
    if (pre === 304) return { status: 304, headers, body: null };

    headers.set('content-type', contentType);
    headers.set('x-content-type-options', 'nosniff');
    if (coding !== null) {
      headers.set('content-encoding', coding);
      if (isOnTheFly) {
        return { status: 200, headers, body: isHead ? null : compressFile(file.path, coding) };
      }
      const n = Number(sent.stats.size);
      headers.set('content-length', String(n));
      const body = await fileBody(isHead, sent, 0, n - 1);
      hot?.keep(req, lookup.expires, headers, body, etag, lastModifiedSec);
      return { status: 200, headers, body };
    }

    if (isRangeOn) headers.set('accept-ranges', 'bytes');
    if (rangeHeader !== null && ifRangeAllows(req.headers.get('if-range'), etag, lastModifiedSec)) {
      const result = parseRange(rangeHeader, size, maxRanges);
      if (result.kind === 'unsatisfiable') {
        // RFC 9110 §15.5.17: 416 carries the current length.
        return statusResponse(416, { 'content-range': `bytes */${size}` });
      }
      if (result.kind === 'ranges') {
        const ranges = result.ranges;
        if (ranges.length === 1) {
          const { start, end } = ranges[0]!;
          headers.set('content-range', `bytes ${start}-${end}/${size}`);
          headers.set('content-length', String(end - start + 1));
          return { status: 206, headers, body: await fileBody(false, file, start, end) };
        }
        const mp = createMultipartBody(file.path, ranges, size, contentType);
        headers.set('content-type', `multipart/byteranges; boundary=${mp.boundary}`);
        headers.set('content-length', String(mp.length));
        return { status: 206, headers, body: mp.body };
      }
    }
    headers.set('content-length', String(size));
    const body = await fileBody(isHead, file, 0, size - 1);
    if (rangeHeader === null) hot?.keep(req, lookup.expires, headers, body, etag, lastModifiedSec);
    return { status: 200, headers, body };
  }

  // Finished 200s of files whose bytes are in memory, answered without the steps above until
  // the stat lookups they came from expire. Off when either cache is.
  const hot = statCache !== null && contentCache !== null ? new HotResponses(memoryMaxTotal) : null;

  async function handleFull(req: Request, next: Handler): Promise<Response> {
    const method = req.method;
    const isRead = method === 'GET' || method === 'HEAD';
    if (!isFallthrough && !isRead) {
      if (method === 'OPTIONS')
        return { status: 204, headers: new Headers({ allow: ALLOW }), body: null };
      return statusResponse(405, { allow: ALLOW });
    }
    const decoded = decodePath(req.path);
    if (!decoded.ok) return statusResponse(decoded.status);
    const { segments, hasTrailingSlash } = decoded;
    if (dotfiles !== 'allow') {
      for (const s of segments) {
        if (s.charCodeAt(0) !== 46) continue;
        if (dotfiles === 'deny') return statusResponse(403);
        return notFound(req, next);
      }
    }
    const lookup: Lookup = { expires: Number.POSITIVE_INFINITY };
    const located = await locate(req, segments, hasTrailingSlash, lookup);
    if (located === null) {
      if (isRead && spaFallback !== null && isSpaCandidate(segments)) {
        const f = await findFile(spaFallback, lookup);
        if (f !== null) return serveFile(req, f, lookup);
      }
      return notFound(req, next);
    }
    if (!isRead) {
      if (method === 'OPTIONS')
        return { status: 204, headers: new Headers({ allow: ALLOW }), body: null };
      return statusResponse(405, { allow: ALLOW });
    }
    if (located.kind === 'redirect') {
      const headers = new Headers({ location: located.location, 'content-length': '0' });
      return { status: 301, headers, body: null };
    }
    if (located.kind === 'listing') return serveListing(req, located.dir, located.urlPath);
    return serveFile(req, located.file, lookup);
  }

  return {
    handle(req: Request, next: Handler): MaybePromise<Response> {
      const method = req.method;
      if (hot !== null && (method === 'GET' || method === 'HEAD')) {
        const res = hot.answer(req, method === 'HEAD');
        if (res !== null) return res;
      }
      return handleFull(req, next);
    },
  };
}
