import { ERROR_CODES, StorageError } from '../errors.js';
import type { ByteRange } from '../types.js';

/** Clamps `range` to an object of `size` bytes; throws `RWS_STORAGE_INVALID_RANGE`. */
export function resolveRange(
  range: ByteRange,
  size: number,
): { readonly start: number; readonly end: number } {
  const { start } = range;
  const end = range.end === undefined ? size - 1 : Math.min(range.end, size - 1);
  if (
    !Number.isSafeInteger(start) ||
    start < 0 ||
    (range.end !== undefined && !Number.isSafeInteger(range.end))
  ) {
    throw new StorageError(
      ERROR_CODES.INVALID_RANGE,
      `invalid byte range ${start}-${range.end ?? ''}`,
      { status: 416 },
    );
  }
  if (start >= size || end < start) {
    throw new StorageError(
      ERROR_CODES.INVALID_RANGE,
      `byte range ${start}-${range.end ?? ''} is outside an object of ${size} bytes`,
      { status: 416 },
    );
  }
  return { start, end };
}
