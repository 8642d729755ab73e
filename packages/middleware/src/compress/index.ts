/**
 * `compress()`: on-the-fly br, zstd and gzip content coding negotiated from `Accept-Encoding`
 * (RFC 9110 §12.5.3). Streams are compressed chunk by chunk with a flush after each, so
 * server-sent events and other incremental bodies still arrive as they are sent.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import {
  type BodyInit,
  type FileBodyInit,
  type Handler,
  isCompressible,
  isNullBodyStatus,
  isPromise,
  type MaybePromise,
  type Middleware,
  type Request,
  type Response,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import {
  type CompressionLevels,
  compressBuffer,
  compressStream,
  DEFAULT_CODINGS,
  HAS_ZSTD,
} from '../internal/compress/compressor.js';
import { type Coding, negotiate } from '../internal/compress/negotiate.js';
import { appendVary, hasListMember } from '../internal/cors/vary.js';
import { failOptions } from '../internal/fail.js';
import { fieldCount, fieldValue } from '../internal/field-value.js';

export type { CompressionLevels } from '../internal/compress/compressor.js';
export type { Coding } from '../internal/compress/negotiate.js';

/** Options of `compress()`. */
export interface CompressOptions {
  /**
   * Codings to offer, in the server's order of preference when the client rates several
   * equally. Default `['br', 'zstd', 'gzip']` (zstd only where node:zlib has it).
   */
  encodings?: readonly Coding[] | undefined;
  /**
   * Bodies smaller than this many bytes are sent as they are: compressing them costs more than
   * it saves. A stream of unknown length is always compressed. Ignored when the client refuses
   * identity. Default 1024.
   */
  threshold?: number | undefined;
  /**
   * Which `Content-Type`s to compress. Default: core's `isCompressible()` (text, JSON, XML,
   * JavaScript, SVG, fonts, …) plus `text/event-stream`.
   */
  filter?: ((contentType: string | null) => boolean) | undefined;
  /**
   * What to do with a strong `ETag` on a compressed response: `'weaken'` (default) makes it
   * weak (`W/"…"`), as nginx does, so conditional requests still match; `'drop'` removes it.
   */
  etag?: 'weaken' | 'drop' | undefined;
  /** Compression levels per coding. */
  levels?: CompressionLevels | undefined;
}

// Responses of one server repeat a few types: the last verdict is kept.
let lastType: string | null = null;
let isLastCompressible = false;

function defaultFilter(contentType: string | null): boolean {
  if (contentType === null) return false;
  if (contentType === lastType) return isLastCompressible;
  isLastCompressible =
    isCompressible(contentType) || /^\s*text\/event-stream\s*(;|$)/i.test(contentType);
  lastType = contentType;
  return isLastCompressible;
}

const VARY_ACCEPT_ENCODING: readonly string[] = ['Accept-Encoding'];

const ALL_CODINGS: readonly Coding[] = ['br', 'zstd', 'gzip'];

function checkOptions(options: CompressOptions): void {
  function fail(message: string): never {
    return failOptions(ERROR_CODES.COMPRESS_INVALID_OPTIONS, 'compress', message);
  }
  if (options.encodings !== undefined) {
    if (!Array.isArray(options.encodings) || options.encodings.length === 0) {
      fail('encodings must be a non-empty array of "br", "zstd" and "gzip"');
    }
    for (const coding of options.encodings) {
      if (!ALL_CODINGS.includes(coding)) fail(`unknown encoding ${JSON.stringify(coding)}`);
      if (coding === 'zstd' && !HAS_ZSTD) fail('zstd is not available in this Node.js runtime');
    }
  }
  const threshold = options.threshold;
  if (threshold !== undefined && !(Number.isSafeInteger(threshold) && threshold >= 0)) {
    fail(`threshold must be a non-negative integer number of bytes, got ${String(threshold)}`);
  }
  if (options.filter !== undefined && typeof options.filter !== 'function') {
    fail('filter must be a function');
  }
  if (options.etag !== undefined && options.etag !== 'weaken' && options.etag !== 'drop') {
    fail(`etag must be "weaken" or "drop", got ${JSON.stringify(options.etag)}`);
  }
}

function isFileBody(body: BodyInit): body is FileBodyInit {
  return typeof body === 'object' && body !== null && (body as FileBodyInit).kind === 'file';
}

/** The byte length of the body when it is known without reading it. */
async function knownLength(res: Response): Promise<number | null> {
  const body = res.body;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  const declared = res.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared)) return Number(declared);
  if (isFileBody(body)) {
    const start = body.start ?? 0;
    if (body.end !== undefined) return body.end - start + 1;
    try {
      return (await stat(body.path)).size - start;
    } catch {
      return null; // the transport reports the missing file as it would without us
    }
  }
  return null;
}

function asIterable(body: BodyInit): AsyncIterable<Uint8Array> {
  if (isFileBody(body)) {
    const options: { start?: number; end?: number } = {};
    if (body.start !== undefined) options.start = body.start;
    if (body.end !== undefined) options.end = body.end;
    return createReadStream(body.path, options);
  }
  // Web ReadableStreams are async iterable in Node ≥ 18.
  return body as AsyncIterable<Uint8Array>;
}

/**
 * Creates the compression middleware. It leaves a response alone when the request is HEAD,
 * the status has no body or is 206, the response has a `Content-Range` or a
 * `Content-Encoding` already, says `Cache-Control: no-transform`, has a type the filter
 * rejects, or is smaller than `threshold`. Whenever the type qualifies it adds
 * `Vary: Accept-Encoding`, compressed or not, so caches keep the variants apart.
 *
 * @example
 * ```ts
 * import { compose, json } from '@rws/core';
 * import { compress } from '@rws/middleware/compress';
 * const handler = compose([compress({ threshold: 512 })], () => json({ hello: 'world' }));
 * ```
 */
export function compress(options: CompressOptions = {}): Middleware {
  checkOptions(options);
  const encodings = options.encodings ?? DEFAULT_CODINGS;
  const threshold = options.threshold ?? 1024;
  const filter = options.filter ?? defaultFilter;
  const isDropEtag = options.etag === 'drop';
  const levels = options.levels ?? {};

  // Synchronous up to the decision to compress: a response left alone (below the threshold,
  // not compressible, …) costs no promise.
  function transform(req: Request, res: Response): MaybePromise<Response> {
    const headers = res.headers;
    if (
      res.body === null ||
      isNullBodyStatus(res.status) ||
      res.status === 206 ||
      fieldCount(headers, 'content-range') !== 0 ||
      !filter(fieldValue(headers, 'content-type'))
    ) {
      return res;
    }
    const encoding = fieldValue(headers, 'content-encoding');
    if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') return res;
    const cacheControl = fieldValue(headers, 'cache-control');
    if (cacheControl !== null && hasListMember(cacheControl, 'no-transform')) return res;
    appendVary(headers, VARY_ACCEPT_ENCODING);
    const accept = fieldValue(req.headers, 'accept-encoding');
    const body = res.body;
    // Fast path for small bodies: only a `q=0` can refuse identity and force compression.
    // Three bytes per UTF-16 unit bound a string's UTF-8 size without encoding it.
    const upperBound =
      typeof body === 'string'
        ? body.length * 3
        : body instanceof Uint8Array
          ? body.byteLength
          : threshold;
    if (upperBound < threshold && (accept === null || !accept.includes('q=0'))) {
      return res;
    }
    const { coding, isIdentityRefused } = negotiate(accept, encodings);
    if (coding === null) return res;
    return encode(res, coding, isIdentityRefused);
  }

  async function encode(res: Response, coding: Coding, isIdentityRefused: boolean) {
    const headers = res.headers;
    const body = res.body!;
    const length = await knownLength(res);
    if (length !== null && length < threshold && !isIdentityRefused) return res;

    headers.set('content-encoding', coding);
    // Byte ranges would address the compressed bytes, which differ per request.
    headers.delete('accept-ranges');
    const etag = headers.get('etag');
    if (etag !== null && !etag.startsWith('W/')) {
      if (isDropEtag) headers.delete('etag');
      else headers.set('etag', `W/${etag}`);
    }
    if (typeof body === 'string' || body instanceof Uint8Array) {
      const data = typeof body === 'string' ? Buffer.from(body) : body;
      const out = await compressBuffer(data, coding, levels);
      headers.set('content-length', String(out.byteLength));
      return { ...res, body: out };
    }
    headers.delete('content-length');
    return { ...res, body: compressStream(asIterable(body), coding, levels) };
  }

  // HEAD gets the headers GET would have minus the coding: there is no body to code.
  const after = (req: Request, res: Response): MaybePromise<Response> =>
    req.method === 'HEAD' ? res : transform(req, res);

  return {
    handle(req: Request, next: Handler): MaybePromise<Response> {
      const res = next(req);
      return isPromise(res) ? res.then((r) => after(req, r)) : after(req, res);
    },
  };
}
