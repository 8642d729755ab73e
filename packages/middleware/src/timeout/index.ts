/**
 * `timeout()`: a per-route deadline. Past it the client gets 504 and the handler's
 * `req.signal` aborts, so upstream requests, queries and streams it started stop too.
 *
 * @module
 */
import { type Handler, Headers, type Middleware, type Request, type Response } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { deriveRequest } from '../internal/derive-request.js';
import { failOptions, isPositiveInteger } from '../internal/fail.js';

/** Options of `timeout()`. */
export interface TimeoutOptions {
  /** The deadline for the response head, in milliseconds. */
  ms: number;
  /** Status when the deadline passes. Default 504. */
  status?: number | undefined;
}

/** Why `req.signal` aborted when the deadline passed (`signal.reason`). */
export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`route deadline of ${ms} ms passed`);
    this.name = 'TimeoutError';
  }
}

/**
 * Creates the timeout middleware. The deadline covers everything inside it until the
 * response (head) is returned; a body that streams afterwards is not cut.
 *
 * @example
 * ```ts
 * import { timeout } from '@rws/middleware/timeout';
 * const fiveSeconds = timeout({ ms: 5000 });
 * ```
 */
export function timeout(options: TimeoutOptions): Middleware {
  const ms = options?.ms;
  if (!isPositiveInteger(ms)) {
    failOptions(
      ERROR_CODES.TIMEOUT_INVALID_OPTIONS,
      'timeout',
      `ms must be a positive integer, got ${String(ms)}`,
    );
  }
  const status = options.status ?? 504;
  return {
    handle(req: Request, next: Handler): Promise<Response> {
      const controller = new AbortController();
      const onAbort = (): void => controller.abort(req.signal.reason);
      if (req.signal.aborted) onAbort();
      else req.signal.addEventListener('abort', onAbort, { once: true });
      const inner = deriveRequest(req, { signal: controller.signal });
      return new Promise<Response>((resolve, reject) => {
        let isTimedOut = false;
        const timer = setTimeout(() => {
          isTimedOut = true;
          controller.abort(new TimeoutError(ms));
          resolve({
            status,
            headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
            body: 'Gateway Timeout\n',
          });
        }, ms);
        const settle = (): void => {
          clearTimeout(timer);
          req.signal.removeEventListener('abort', onAbort);
        };
        Promise.resolve()
          .then(() => next(inner))
          .then(
            (res) => {
              settle();
              // Too late: nobody will read this body, so release what it holds (a pooled
              // upstream socket, a file handle).
              if (isTimedOut) discard(res);
              else resolve(res);
            },
            (err: unknown) => {
              settle();
              if (!isTimedOut) reject(err);
            },
          );
      });
    },
  };
}

function discard(res: Response): void {
  const body = res.body as { cancel?: () => unknown; [Symbol.asyncIterator]?: unknown } | null;
  if (body === null || typeof body !== 'object') return;
  if (body instanceof ReadableStream) void body.cancel().catch(() => {});
  else if (typeof body[Symbol.asyncIterator] === 'function') {
    const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    void it.return?.()?.catch?.(() => {});
  }
}
