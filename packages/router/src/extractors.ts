/**
 * Body and query extractors for handlers. Each checks the Content-Type (415 when it does not
 * fit) and reads with a size limit (413 past it).
 */
import type { Request } from '@rws/core';
import { isJsonType, mediaType, unsupportedMediaType as unsupported } from './internal/media.js';

/** The part of a request the body extractors read. */
export type BodyRequest = Pick<Request, 'headers' | 'body'>;

/** Options of the body extractors. */
export interface ReadBodyOptions {
  /** Maximum body bytes (413 past it). Default: the body's own limit (1 MiB unless the transport set one). */
  limit?: number | undefined;
}

/**
 * Reads and parses a JSON body. Content-Type must be `application/json` or `+json` (else 415);
 * larger than `limit` → 413; invalid JSON → 400.
 */
export function readJson<T = unknown>(req: BodyRequest, options: ReadBodyOptions = {}): Promise<T> {
  if (!isJsonType(mediaType(req.headers.get('content-type')))) {
    return Promise.reject(unsupported(req, 'application/json'));
  }
  return req.body.json<T>({ limit: options.limit });
}

/** Reads the body as UTF-8 text, whatever its Content-Type; larger than `limit` → 413. */
export function readText(req: BodyRequest, options: ReadBodyOptions = {}): Promise<string> {
  return req.body.text({ limit: options.limit });
}

/**
 * Reads an `application/x-www-form-urlencoded` body (else 415); larger than `limit` → 413.
 * For `multipart/form-data` use `readMultipart`.
 */
export function readForm(
  req: BodyRequest,
  options: ReadBodyOptions = {},
): Promise<URLSearchParams> {
  if (mediaType(req.headers.get('content-type')) !== 'application/x-www-form-urlencoded') {
    return Promise.reject(unsupported(req, 'application/x-www-form-urlencoded'));
  }
  return req.body.form({ limit: options.limit });
}

/**
 * The query as a plain object: a key sent once is a string, a repeated key an array of
 * strings. This is the shape query schemas validate.
 */
export function readQuery(req: Pick<Request, 'query'>): Record<string, string | string[]> {
  return searchParamsToObject(req.query);
}

/** URLSearchParams → object (repeated keys become arrays). */
export function searchParamsToObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}
