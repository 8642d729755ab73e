import { encodeHeaderUrl } from './encode-header-url.js';
import { errorInfo } from './error-info.js';
import { Headers, type HeadersInit } from './headers.js';
import { checkStatus } from './internal/check-status.js';
import { mimeType } from './mime.js';
import { RwsError } from './rws-error.js';
import type { FileBodyInit, Response } from './types.js';

/** Status and headers of a response built by a helper. */
export interface ResponseInit {
  /** Default 200 (helpers with another natural default say so). */
  status?: number | undefined;
  /** Extra headers; a `Content-Type` here wins over the helper's. */
  headers?: HeadersInit | undefined;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

/**
 * Headers for a helper: the caller's, plus `content-type` when they set none. Without caller
 * headers this wraps a two-element list (no validation, no copying).
 */
function withType(init: ResponseInit | undefined, contentType: string | null): Headers {
  const given = init?.headers;
  if (given === undefined) {
    return Headers.fromTrustedList(contentType === null ? [] : ['content-type', contentType]);
  }
  const headers = new Headers(given);
  if (contentType !== null && !headers.has('content-type'))
    headers.set('content-type', contentType);
  return headers;
}

/**
 * A JSON response (`application/json; charset=utf-8`). `undefined` serialises as `null`.
 *
 * @example
 * ```ts
 * import { json } from '@rws/core';
 * const res = json({ id: 1 }, { status: 201 });
 * ```
 */
export function json(value: unknown, init?: ResponseInit): Response {
  return {
    status: init?.status === undefined ? 200 : checkStatus(init.status),
    headers: withType(init, JSON_TYPE),
    body: JSON.stringify(value) ?? 'null',
  };
}

/** A plain-text response (`text/plain; charset=utf-8`). */
export function text(body: string, init?: ResponseInit): Response {
  return {
    status: init?.status === undefined ? 200 : checkStatus(init.status),
    headers: withType(init, TEXT_TYPE),
    body,
  };
}

/** An HTML response (`text/html; charset=utf-8`). The markup is sent as given, not escaped. */
export function html(body: string, init?: ResponseInit): Response {
  return {
    status: init?.status === undefined ? 200 : checkStatus(init.status),
    headers: withType(init, HTML_TYPE),
    body,
  };
}

/**
 * A redirect to `location` (sent as given, it may be relative, RFC 9110 §10.2.2, except that
 * non-ASCII characters are percent-encoded as UTF-8: see `encodeHeaderUrl`).
 * `status` must be a 3xx code, default 302; use 303 after a POST, 307/308 to keep the method.
 */
export function redirect(
  location: string,
  status = 302,
  init?: Omit<ResponseInit, 'status'>,
): Response {
  if (!Number.isInteger(status) || status < 300 || status > 399) {
    throw new RwsError(
      'RWS_CORE_INVALID_STATUS',
      `redirect status must be 3xx, got ${String(status)}`,
      { status: 500 },
    );
  }
  const headers = init?.headers === undefined ? new Headers() : new Headers(init.headers);
  // A location from user input (`?returnTo=/café`, decoded as UTF-8) has characters a header
  // value cannot carry: they go out percent-encoded, as a browser would request them.
  headers.set('location', encodeHeaderUrl(location));
  return { status, headers, body: null };
}

/** A response without a body; default status 204. */
export function empty(status = 204, init?: Omit<ResponseInit, 'status'>): Response {
  return { status: checkStatus(status), headers: withType(init, null), body: null };
}

/**
 * A streamed response over an async iterable (a Node `Readable` is one) or web stream of bytes.
 * The transport pulls chunks as the client accepts them (backpressure). No `Content-Type` is
 * set unless `init.headers` gives one.
 */
export function stream(
  source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
  init?: ResponseInit,
): Response {
  return {
    status: init?.status === undefined ? 200 : checkStatus(init.status),
    headers: withType(init, null),
    body: source,
  };
}

/** Options of `file()`. */
export interface FileResponseInit extends ResponseInit {
  /** First byte to send (inclusive). */
  start?: number | undefined;
  /** Last byte to send (inclusive). */
  end?: number | undefined;
  /** Overrides the type guessed from the extension. */
  contentType?: string | undefined;
}

/**
 * A response whose body is a file or a byte range of it; transports stream it from disk.
 * `path` should be absolute. `Content-Type` comes from the extension (`mimeType`). Core does
 * no I/O: the transport stats the file and sets `Content-Length`; a range response's status
 * (206) and `Content-Range` are the caller's.
 */
export function file(path: string, init?: FileResponseInit): Response {
  const start = init?.start;
  const end = init?.end;
  if (
    (start !== undefined && (!Number.isSafeInteger(start) || start < 0)) ||
    (end !== undefined && (!Number.isSafeInteger(end) || end < (start ?? 0)))
  ) {
    throw new RwsError(
      'RWS_CORE_INVALID_RANGE',
      `file range is invalid: start=${String(start)} end=${String(end)}`,
      { status: 500 },
    );
  }
  const body: { -readonly [K in keyof FileBodyInit]: FileBodyInit[K] } = { kind: 'file', path };
  if (start !== undefined) body.start = start;
  if (end !== undefined) body.end = end;
  return {
    status: init?.status === undefined ? 200 : checkStatus(init.status),
    headers: withType(init, init?.contentType ?? mimeType(path)),
    body,
  };
}

/**
 * A plain-text response for a thrown value, by the one rule of `errorInfo()`: the error's own
 * 4xx/5xx status (else 500), its message only when exposed (4xx by default; else the reason
 * phrase, so internal details never reach the client), and its `headers` kept.
 */
export function errorResponse(err: unknown): Response {
  const info = errorInfo(err);
  const headers = info.headers === null ? new Headers() : new Headers(info.headers);
  headers.set('content-type', TEXT_TYPE);
  return { status: info.status, headers, body: info.message };
}
