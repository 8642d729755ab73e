import { Headers, type HeadersInit } from './headers.js';
import { RwsError } from './rws-error.js';
import { statusText } from './status.js';

/** Options of an `HttpError`. */
export interface HttpErrorOptions {
  /** True when the message may be sent to the client. Default: `status < 500`. */
  expose?: boolean | undefined;
  /** Headers to add to the error response (`WWW-Authenticate`, `Retry-After`, `Allow`, …). */
  headers?: HeadersInit | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * An error that maps to an HTTP error response. Throw it from a handler or middleware; the App
 * (or a transport) turns it into a response with its status, its headers and, when `expose`
 * is true, its message as the body.
 *
 * Status must be an integer in 400–599.
 *
 * @example
 * ```ts
 * import { HttpError } from '@rws/core';
 * throw new HttpError(401, 'token expired', { headers: { 'www-authenticate': 'Bearer' } });
 * ```
 */
export class HttpError extends RwsError {
  /** The response status (400–599). */
  declare readonly status: number;
  /** Headers to send with the error response. */
  readonly headers: Headers;

  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RwsError(
        'RWS_CORE_INVALID_STATUS',
        `HttpError status must be an integer in 400-599, got ${String(status)}`,
        { status: 500 },
      );
    }
    super('RWS_CORE_HTTP_ERROR', message ?? (statusText(status) || `HTTP ${status}`), {
      status,
      cause: options.cause,
      expose: options.expose ?? status < 500,
    });
    this.name = 'HttpError';
    this.headers = new Headers(options.headers);
  }
}
