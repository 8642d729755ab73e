import { ERROR_CODES, StorageError } from './errors.js';

/** Longest key in UTF-8 bytes, as in S3. */
export const MAX_KEY_BYTES = 1024;

/**
 * Throws `RWS_STORAGE_KEY_INVALID` unless `key` is a safe relative object key: 1 to 1024 UTF-8
 * bytes, no leading `/`, no empty, `.` or `..` segment, no backslash, no control character
 * (U+0000-U+001F, U+007F). The same rule holds for every driver, so a key that works on S3
 * cannot escape the root of the local driver.
 */
export function validateKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw invalid('an object key must be a non-empty string');
  }
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw invalid(`object key is longer than ${MAX_KEY_BYTES} bytes`);
  }
  if (/[\u0000-\u001f\u007f\\]/.test(key)) {
    throw invalid(`object key ${JSON.stringify(key)} contains a control character or a backslash`);
  }
  if (key.startsWith('/')) throw invalid(`object key ${JSON.stringify(key)} is absolute`);
  for (const segment of key.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalid(`object key ${JSON.stringify(key)} has an empty, "." or ".." segment`);
    }
  }
}

/** Like `validateKey` for a list prefix: `''` is allowed, and a trailing `/`. */
export function validatePrefix(prefix: string): void {
  if (prefix === '') return;
  validateKey(prefix.endsWith('/') ? `${prefix}x` : prefix);
}

function invalid(message: string): StorageError {
  return new StorageError(ERROR_CODES.KEY_INVALID, message, { status: 400 });
}
