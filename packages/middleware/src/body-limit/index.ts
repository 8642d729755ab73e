/**
 * `bodyLimit()`: a per-route maximum request body size. 413 before reading when
 * `Content-Length` says so, mid-stream (the read throws a 413 error) otherwise.
 *
 * @module
 */
import {
  Body,
  type BodySource,
  type Handler,
  Headers,
  type Middleware,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { deriveRequest } from '../internal/derive-request.js';
import { failOptions } from '../internal/fail.js';

/** Options of `bodyLimit()`. */
export interface BodyLimitOptions {
  /** The largest body accepted, in bytes. */
  maxBytes: number;
}

function tooLarge(maxBytes: number, size: number | null): RwsError {
  return new RwsError(
    ERROR_CODES.BODY_LIMIT_EXCEEDED,
    size === null
      ? `request body exceeds this route's ${maxBytes}-byte limit`
      : `request body of ${size} bytes exceeds this route's ${maxBytes}-byte limit`,
    { status: 413 },
  );
}

/** A body source that counts what passes and fails past `maxBytes`. */
function limitedSource(body: Body, maxBytes: number): BodySource {
  const it = body[Symbol.asyncIterator]();
  let total = 0;
  return {
    length: body.length,
    async read(): Promise<Uint8Array | null> {
      const r = await it.next();
      if (r.done === true) return null;
      total += r.value.byteLength;
      if (total > maxBytes) {
        await it.return?.();
        throw tooLarge(maxBytes, null);
      }
      return r.value;
    },
    cancel(): void {
      void it.return?.();
    },
    trailers: () => body.trailers(),
  };
}

/**
 * Creates the body-limit middleware. It never reads the body itself: a handler that never
 * reads pays nothing, one that streams fails at the first chunk past the limit.
 *
 * @example
 * ```ts
 * import { bodyLimit } from '@rws/middleware/body-limit';
 * const upload = bodyLimit({ maxBytes: 10 * 1024 * 1024 });
 * ```
 */
export function bodyLimit(options: BodyLimitOptions): Middleware {
  const maxBytes = options?.maxBytes;
  if (typeof maxBytes !== 'number' || !Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    failOptions(
      ERROR_CODES.BODY_LIMIT_INVALID_OPTIONS,
      'bodyLimit',
      `maxBytes must be a non-negative integer, got ${String(maxBytes)}`,
    );
  }
  return {
    handle(req: Request, next: Handler): Response | Promise<Response> {
      const length = req.body.length;
      if (length !== null && length > maxBytes) {
        const err = tooLarge(maxBytes, length);
        return {
          status: 413,
          headers: new Headers({
            'content-type': 'text/plain; charset=utf-8',
            connection: 'close',
          }),
          body: `${err.message}\n`,
        };
      }
      if (length === 0 || !req.body.hasBody) return next(req);
      const body = new Body(limitedSource(req.body, maxBytes), {
        limit: Math.min(req.body.limit, maxBytes),
      });
      return next(deriveRequest(req, { body }));
    },
  };
}
