import { ERROR_CODES, StorageError } from '../errors.js';
import type { ListOptions, ListPage, ObjectInfo } from '../types.js';

/** Default and largest page size, as in S3 ListObjectsV2. */
const MAX_LIST_LIMIT = 1000;

/** Validates `limit`: an integer 1-1000, default 1000. */
export function listLimit(limit: number | undefined): number {
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      `list limit must be an integer 1-${MAX_LIST_LIMIT}, got ${limit}`,
    );
  }
  return limit;
}

/** Byte-wise (UTF-8) order, the order S3 lists keys in. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * One page over keys held locally (memory, disk). The cursor is the last key returned,
 * base64url-encoded, so a page stays correct when keys are added or removed between calls.
 */
export function listFromSortedKeys(
  keys: string[],
  options: ListOptions,
  info: (key: string) => ObjectInfo,
): ListPage {
  const limit = listLimit(options.limit);
  keys.sort(compareKeys);
  let after: string | null = null;
  if (options.cursor !== undefined) {
    after = Buffer.from(options.cursor, 'base64url').toString();
  }
  const start = after === null ? 0 : keys.findIndex((k) => compareKeys(k, after) > 0);
  const page = start === -1 ? [] : keys.slice(start, start + limit);
  const isLast = start === -1 || start + limit >= keys.length;
  const last = page.at(-1);
  return {
    items: page.map(info),
    cursor: isLast || last === undefined ? null : Buffer.from(last).toString('base64url'),
  };
}
