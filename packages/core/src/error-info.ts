import { errorStatus } from './error-status.js';
import { Headers } from './headers.js';
import { statusText } from './status.js';

/** What a thrown value becomes on the wire, as `errorInfo` works it out. */
export interface ErrorInfo {
  /** The response status: the error's own 4xx/5xx `status` (or `statusCode`), else 500. */
  readonly status: number;
  /** True when the error's own message may be shown to the client. */
  readonly isExposed: boolean;
  /** The error's message when exposed, else the status's reason phrase. */
  readonly message: string;
  /** Headers the error asks for (`HttpError.headers`, http-errors' `headers`), or null. */
  readonly headers: Headers | null;
}

/**
 * The one rule that turns a thrown value into an error response, used by every layer that does
 * it (the HTTP transports, the App, `toFetchHandler`, `errorResponse()`, metrics and the access
 * log through `errorStatus`), so they always agree on what the client got:
 *
 * - status: `errorStatus(err)`, the error's own integer `status`/`statusCode` in 400-599, else 500;
 * - exposure: an explicit boolean `expose` wins; otherwise an error whose own status is a 4xx
 *   shows its message, and anything else (5xx, no status) shows only the reason phrase, so
 *   internal details never reach the client;
 * - headers: an `HttpError`'s `headers` (or a plain object of string values, as http-errors
 *   sets them) are kept, e.g. `WWW-Authenticate`, `Retry-After`, `Allow`.
 *
 * @example
 * ```ts
 * import { errorInfo, HttpError } from '@rws/core';
 * const { status, message, headers } = errorInfo(new HttpError(401, 'token expired'));
 * ```
 */
export function errorInfo(err: unknown): ErrorInfo {
  const status = errorStatus(err);
  let isExposed = false;
  let message = '';
  let headers: Headers | null = null;
  if (typeof err === 'object' && err !== null) {
    const own = err as { status?: unknown; statusCode?: unknown; expose?: unknown };
    const hasOwnStatus = (own.status ?? own.statusCode) === status;
    isExposed = typeof own.expose === 'boolean' ? own.expose : hasOwnStatus && status < 500;
    const text = (err as { message?: unknown }).message;
    if (isExposed && typeof text === 'string' && text.length > 0) message = text;
    headers = errorHeaders((err as { headers?: unknown }).headers);
  }
  if (message === '') {
    isExposed = false;
    message = statusText(status) || 'Error';
  }
  return { status, isExposed, message, headers };
}

function errorHeaders(value: unknown): Headers | null {
  if (value instanceof Headers) return value.size === 0 ? null : value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  try {
    const headers = new Headers(value as Record<string, string>);
    return headers.size === 0 ? null : headers;
  } catch {
    // Headers that would not survive serialisation are dropped rather than turning an error
    // response into a second error.
    return null;
  }
}
