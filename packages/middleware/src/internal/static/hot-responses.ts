/**
 * Finished `200` responses of small files held in memory, keyed by the raw request path and
 * the raw `Accept-Encoding` value: for a path requested again within the stat cache's period,
 * `serveStatic()` answers from here with one map lookup — no path decoding, no `path.join`, no
 * stat cache, no negotiation, no header building — and the same bytes and fields the full path
 * would produce (nginx's `open_file_cache` plus a prebuilt header block).
 *
 * An entry lives no longer than the stat cache entries its response was built from, so a file
 * changed on disk is seen exactly as late as without this cache.
 */
import { Headers, type Request, type Response } from '@rws/core';
import { evaluatePreconditions } from './conditional.js';

/** One representation of a path: what a 200 and a 304 to it carry. */
interface HotVariant {
  /** The 200's fields, `[name, value, …]` as `serveStatic()` built them (copied per use). */
  readonly fields: readonly string[];
  /** The 304's fields: the validators and caching fields of `fields` (RFC 9110 §15.4.5). */
  readonly notModifiedFields: readonly string[];
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModifiedSec: number;
}

interface HotEntry {
  /** `Date.now()` after which the entry is stale: the earliest expiry of its stat lookups. */
  readonly expires: number;
  /** By raw `Accept-Encoding` value (`''` when absent). */
  readonly variants: Map<string, HotVariant>;
}

/** Fields a 304 repeats from the 200 (the ones `serveStatic()` sends on its own 304s). */
const NOT_MODIFIED_FIELDS: ReadonlySet<string> = new Set([
  'etag',
  'last-modified',
  'cache-control',
  'vary',
]);

/** Request fields the hot path leaves to the full one. */
const NOT_HOT = 1;
/** Request fields that make the answer depend on validators (evaluated on the hot path). */
const CONDITIONAL = 2;

/** Most paths held; the oldest is dropped first. */
const MAX_ENTRIES = 1000;

export class HotResponses {
  readonly #map = new Map<string, HotEntry>();
  readonly #maxBytes: number;
  #bytes = 0;

  /** `maxBytes`: body bytes held at most (bodies are shared with the content cache). */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /**
   * The response to a GET or HEAD for `req`, or null when the full path must answer: no fresh
   * entry, a `Range`/`If-Range` request, another `Accept-Encoding`, or a failed precondition.
   */
  answer(req: Request, isHead: boolean): Response | null {
    const entry = this.#map.get(req.path);
    if (entry === undefined) return null;
    if (entry.expires <= Date.now()) {
      this.#drop(req.path, entry);
      return null;
    }
    // One pass over the request's fields instead of a `get` per field of interest.
    const list = req.headers.toList();
    let acceptEncoding = '';
    let flags = 0;
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      switch (name) {
        case 'accept-encoding':
          acceptEncoding =
            acceptEncoding === '' ? list[i + 1]! : `${acceptEncoding}, ${list[i + 1]}`;
          break;
        case 'range':
        case 'if-range':
          flags |= NOT_HOT;
          break;
        case 'if-none-match':
        case 'if-modified-since':
        case 'if-match':
        case 'if-unmodified-since':
          flags |= CONDITIONAL;
          break;
      }
    }
    if ((flags & NOT_HOT) !== 0) return null;
    const v = entry.variants.get(acceptEncoding);
    if (v === undefined) return null;
    if ((flags & CONDITIONAL) !== 0) {
      const pre = evaluatePreconditions(req.headers, v.etag, v.lastModifiedSec);
      if (pre === 304) {
        return {
          status: 304,
          headers: Headers.fromTrustedList(v.notModifiedFields.slice()),
          body: null,
        };
      }
      if (pre !== null) return null;
    }
    return {
      status: 200,
      // A copy: middleware after this one may change the response's fields.
      headers: Headers.fromTrustedList(copyWithRoom(v.fields)),
      body: isHead ? null : v.body,
    };
  }

  /**
   * Keeps the 200 just built for a GET of `req` until `expires`, when its body is a file's
   * cached bytes. An entry of an older stat period is replaced, with all its variants.
   */
  keep(
    req: Request,
    expires: number,
    headers: Headers,
    body: Response['body'],
    etag: string,
    lastModifiedSec: number,
  ): void {
    if (!(body instanceof Buffer) || req.method !== 'GET') return;
    if (expires <= Date.now() || body.length > this.#maxBytes) return;
    const path = req.path;
    const acceptEncoding = req.headers.get('accept-encoding') ?? '';
    let entry = this.#map.get(path);
    if (entry !== undefined && entry.expires !== expires) {
      this.#drop(path, entry);
      entry = undefined;
    }
    if (entry === undefined) {
      entry = { expires, variants: new Map() };
      this.#map.set(path, entry);
    }
    const old = entry.variants.get(acceptEncoding);
    if (old !== undefined) this.#bytes -= old.body.length;
    const fields = headers.toList().slice();
    const notModifiedFields: string[] = [];
    for (let i = 0; i < fields.length; i += 2) {
      if (NOT_MODIFIED_FIELDS.has(fields[i]!)) notModifiedFields.push(fields[i]!, fields[i + 1]!);
    }
    entry.variants.set(acceptEncoding, { fields, notModifiedFields, body, etag, lastModifiedSec });
    this.#bytes += body.length;
    while (this.#bytes > this.#maxBytes || this.#map.size > MAX_ENTRIES) {
      const oldest = this.#map.entries().next();
      if (oldest.done === true) break;
      this.#drop(oldest.value[0], oldest.value[1]);
    }
  }

  #drop(path: string, entry: HotEntry): void {
    if (this.#map.get(path) === entry) this.#map.delete(path);
    for (const v of entry.variants.values()) this.#bytes -= v.body.length;
    entry.variants.clear();
  }
}

/**
 * A copy of `fields` with room for two more fields. Nearly every answer gets `x-request-id`
 * appended by the request-id middleware on its way out, and on a TLS listener with HTTP/3
 * (the `rws` default) `@rws/server` appends `alt-svc` after it; an exact-size copy (`slice()`)
 * was reallocated for them (~400 bytes per request in `--mode alloc`). V8 keeps the capacity
 * when the length is set back (it trims only far larger gaps).
 */
function copyWithRoom(fields: readonly string[]): string[] {
  const n = fields.length;
  const copy = new Array<string>(n + 4);
  for (let i = 0; i < n; i++) copy[i] = fields[i]!;
  copy.length = n;
  return copy;
}
