/**
 * Header mappings shared by the S3 and Azure Blob drivers: `ObjectInfo` from an answer's
 * headers (each store has its own metadata prefix), the `Range` request header, and the
 * `Content-Range` of a ranged answer.
 */
import type { Headers } from '@rws/core';
import { ERROR_CODES, StorageError } from '../errors.js';
import type { ByteRange, ObjectInfo } from '../types.js';

/** `ObjectInfo` from a HEAD/GET answer's headers; `<metaPrefix>name` headers become metadata. */
export function infoFromHeaders(
  key: string,
  headers: Headers,
  size: number,
  metaPrefix: string,
): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name.startsWith(metaPrefix)) metadata[name.slice(metaPrefix.length)] = value;
  }
  const lastModified = headers.get('last-modified');
  return {
    key,
    size,
    lastModified: lastModified === null ? new Date() : new Date(lastModified),
    etag: headers.get('etag') ?? undefined,
    contentType: headers.get('content-type') ?? 'application/octet-stream',
    cacheControl: headers.get('cache-control') ?? undefined,
    metadata,
  };
}

/** `bytes=a-b` for a validated range; `RWS_STORAGE_INVALID_RANGE` otherwise. */
export function rangeHeader(range: ByteRange): string {
  const { start, end } = range;
  if (
    !Number.isSafeInteger(start) ||
    start < 0 ||
    (end !== undefined && (!Number.isSafeInteger(end) || end < start))
  ) {
    throw new StorageError(ERROR_CODES.INVALID_RANGE, `invalid byte range ${start}-${end ?? ''}`, {
      status: 416,
    });
  }
  return `bytes=${start}-${end ?? ''}`;
}

/** The range and full size a `206` answer's `Content-Range` reports, or null. */
export function contentRange(
  headers: Headers,
): { start: number; end: number; size: number } | null {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(headers.get('content-range') ?? '');
  if (match === null) return null;
  return { start: Number(match[1]), end: Number(match[2]), size: Number(match[3]) };
}
