/** The headers that carry an S3 put's content type, cache control and metadata. */
import type { PutOptions } from '../types.js';

/** S3's prefix of user metadata headers. */
export const S3_META_PREFIX = 'x-amz-meta-';

/** The headers that carry a put's content type, cache control and metadata. */
export function putHeaders(putOptions: PutOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': putOptions.contentType ?? 'application/octet-stream',
  };
  if (putOptions.cacheControl !== undefined) headers['cache-control'] = putOptions.cacheControl;
  for (const [name, value] of Object.entries(putOptions.metadata ?? {})) {
    headers[`${S3_META_PREFIX}${name.toLowerCase()}`] = value;
  }
  return headers;
}
