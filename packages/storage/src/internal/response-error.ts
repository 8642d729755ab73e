/**
 * The one mapping from an object store's HTTP error to a StorageError, shared by the S3 and
 * Azure Blob drivers: 401 and 403 → access denied, 404 → not found, 416 → invalid range, else a 502
 * naming the service, the operation, the key and the store's own error code.
 */
import type { ClientResponse } from '@rws/http1';
import { ERROR_CODES, StorageError } from '../errors.js';
import { xmlValue } from './xml.js';

/** Reads the (bounded) error body and throws; `headerCode` is a code sent as a header, if any. */
export async function throwResponseError(
  service: string,
  res: ClientResponse,
  operation: string,
  key: string,
  headerCode: string | null = null,
): Promise<never> {
  const text = await res.body.text({ limit: 64 * 1024 }).catch(() => '');
  const code = headerCode ?? xmlValue(text, 'Code') ?? '';
  const message = `${service} ${operation} ${JSON.stringify(key)}: ${res.status}${code === '' ? '' : ` ${code}`}`;
  if (res.status === 401 || res.status === 403)
    throw new StorageError(ERROR_CODES.ACCESS_DENIED, message, { status: 403 });
  if (res.status === 404) throw new StorageError(ERROR_CODES.NOT_FOUND, message, { status: 404 });
  if (res.status === 416)
    throw new StorageError(ERROR_CODES.INVALID_RANGE, message, { status: 416 });
  throw new StorageError(ERROR_CODES.REQUEST_FAILED, message, { status: 502 });
}

/** True (with the body drained, so the socket is reusable) when the store answered 404. */
export async function isNotFound(res: ClientResponse): Promise<boolean> {
  if (res.status !== 404) return false;
  await res.body.bytes().catch(() => {});
  return true;
}

/** `copy` of a missing source: `RWS_STORAGE_NOT_FOUND`, the same from every driver. */
export function copySourceMissing(from: string): StorageError {
  return new StorageError(ERROR_CODES.NOT_FOUND, `copy: no object ${JSON.stringify(from)}`, {
    status: 404,
  });
}
