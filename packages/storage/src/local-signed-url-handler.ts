/**
 * `createLocalSignedUrlHandler`: serves the signed URLs of a local storage — a core `Handler`
 * that an @rws/router app mounts under the storage's `signedUrls.baseUrl`
 * (`app.all('/files/*key', handler)`), or any server calls directly.
 */
import { type Handler, Headers, type Request, type Response } from '@rws/core';
import {
  checkSigningOptions,
  EXPIRES_PARAM,
  isLocalUrlSignature,
  SIGNATURE_PARAM,
} from './internal/local-url-signature.js';
import type { ByteRange, Storage } from './types.js';
import { validateKey } from './validate-key.js';

/** Options of `createLocalSignedUrlHandler`. */
export interface LocalSignedUrlHandlerOptions {
  /** The storage the URLs were signed for (usually `createLocalStorage` with `signedUrls`). */
  readonly storage: Storage;
  /** The same `secret` and `baseUrl` as the storage's `signedUrls`. */
  readonly secret: string | Uint8Array;
  readonly baseUrl: string;
  /** Largest body a signed PUT may send. Default 5 GiB. */
  readonly maxBodyBytes?: number | undefined;
}

function plain(status: number, message: string, extra?: Record<string, string>): Response {
  const headers = new Headers({ 'content-type': 'text/plain; charset=utf-8', ...extra });
  return { status, headers, body: `${message}\n` };
}

/** The single range of a `Range` header; null to send the whole object. @see RFC 9110 §14.2 */
function parseRange(value: string | null, size: number): ByteRange | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(value ?? '');
  if (m === null || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * A handler for `GET`, `HEAD` and `PUT` on signed URLs: it checks the signature, the method
 * it was made for and the expiry (403 otherwise), then streams the object (with single byte
 * ranges and `If-None-Match`) or stores the request body.
 *
 * @example
 * ```ts
 * // The handler is a core Handler; here it is mounted on an @rws/router app (createApp).
 * import { createLocalSignedUrlHandler, createLocalStorage } from '@rws/storage/drivers/local';
 * const signedUrls = { secret: process.env.FILES_SECRET ?? '', baseUrl: 'https://example.com/files' };
 * const storage = createLocalStorage({ root: './uploads', signedUrls });
 * const app = createApp();
 * app.all('/files/*key', createLocalSignedUrlHandler({ storage, ...signedUrls }));
 * ```
 */
export function createLocalSignedUrlHandler(options: LocalSignedUrlHandlerOptions): Handler {
  const { secretKey } = checkSigningOptions(options);
  const basePath = new URL(options.baseUrl).pathname.replace(/\/+$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 5 * 1024 ** 3;
  const { storage } = options;

  return async (req: Request): Promise<Response> => {
    if (!req.path.startsWith(`${basePath}/`)) return plain(404, 'not a signed URL path');
    let key: string;
    try {
      key = req.path
        .slice(basePath.length + 1)
        .split('/')
        .map(decodeURIComponent)
        .join('/');
      validateKey(key);
    } catch {
      return plain(400, 'invalid object key in the URL');
    }
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== 'GET' && method !== 'PUT') {
      return plain(405, `${req.method} is not allowed on a signed URL`, {
        allow: 'GET, HEAD, PUT',
      });
    }
    const expires = Number(req.query.get(EXPIRES_PARAM));
    const signature = req.query.get(SIGNATURE_PARAM) ?? '';
    if (
      !Number.isSafeInteger(expires) ||
      !isLocalUrlSignature(secretKey, method, key, expires, signature)
    ) {
      return plain(403, 'the URL signature does not match');
    }
    if (Date.now() > expires * 1000) return plain(403, 'the signed URL has expired');

    if (method === 'PUT') {
      const length = req.headers.get('content-length');
      if (length !== null && Number(length) > maxBodyBytes) {
        return plain(413, `body larger than ${maxBodyBytes} bytes`);
      }
      const info = await storage.put(key, req.body, {
        contentType: req.headers.get('content-type') ?? undefined,
        contentLength: length === null ? undefined : Number(length),
        signal: req.signal,
      });
      return { status: 200, headers: new Headers({ etag: info.etag ?? '' }), body: null };
    }

    const info = await storage.head(key, { signal: req.signal });
    if (info === null) return plain(404, 'no such object');
    const headers = new Headers({
      'content-type': info.contentType ?? 'application/octet-stream',
      'last-modified': info.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
    });
    if (info.etag !== undefined) headers.set('etag', info.etag);
    if (info.cacheControl !== undefined) headers.set('cache-control', info.cacheControl);
    if (info.etag !== undefined && req.headers.get('if-none-match') === info.etag) {
      return { status: 304, headers, body: null };
    }
    const range = parseRange(req.headers.get('range'), info.size);
    if (range === 'unsatisfiable') {
      return plain(416, 'range not satisfiable', { 'content-range': `bytes */${info.size}` });
    }
    if (req.method === 'HEAD') {
      headers.set('content-length', String(info.size));
      return { status: 200, headers, body: null };
    }
    const object = await storage.get(key, {
      ...(range === null ? {} : { range }),
      signal: req.signal,
    });
    if (object === null) return plain(404, 'no such object');
    const served = object.range ?? { start: 0, end: object.size - 1 };
    headers.set('content-length', String(Math.max(0, served.end - served.start + 1)));
    if (range !== null)
      headers.set('content-range', `bytes ${served.start}-${served.end}/${object.size}`);
    return { status: range === null ? 200 : 206, headers, body: object.body };
  };
}
