/** Header mappings of the S3 driver: object metadata both ways and byte ranges. */
import type { Headers } from '@rws/core';
import { ERROR_CODES, StorageError } from '../errors.js';
import type { ByteRange, ObjectInfo, PutOptions } from '../types.js';

const META_PREFIX = 'x-amz-meta-';

/** `ObjectInfo` from a HEAD/GET answer's headers (`x-amz-meta-*` become metadata). */
export function infoFromHeaders(key: string, headers: Headers, size: number): ObjectInfo {
  const metadata: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (name.startsWith(META_PREFIX)) metadata[name.slice(META_PREFIX.length)] = value;
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

/** The headers that carry a put's content type, cache control and metadata. */
export function putHeaders(putOptions: PutOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': putOptions.contentType ?? 'application/octet-stream',
  };
  if (putOptions.cacheControl !== undefined) headers['cache-control'] = putOptions.cacheControl;
  for (const [name, value] of Object.entries(putOptions.metadata ?? {})) {
    headers[`${META_PREFIX}${name.toLowerCase()}`] = value;
  }
  return headers;
}

/** `Range: bytes=a-b` for a validated range; `RWS_STORAGE_INVALID_RANGE` otherwise. */
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
