import { RwsError } from '@rws/core';

/**
 * Every error code @rws/storage throws. docs/errors.md lists the same codes; a test keeps the
 * two in step.
 */
export const ERROR_CODES = {
  KEY_INVALID: 'RWS_STORAGE_KEY_INVALID',
  NOT_FOUND: 'RWS_STORAGE_NOT_FOUND',
  INVALID_OPTIONS: 'RWS_STORAGE_INVALID_OPTIONS',
  INVALID_RANGE: 'RWS_STORAGE_INVALID_RANGE',
  REQUEST_FAILED: 'RWS_STORAGE_REQUEST_FAILED',
  ACCESS_DENIED: 'RWS_STORAGE_ACCESS_DENIED',
  CLOSED: 'RWS_STORAGE_CLOSED',
  CREDENTIALS_UNAVAILABLE: 'RWS_STORAGE_CREDENTIALS_UNAVAILABLE',
} as const;

/** A code @rws/storage throws. */
export type StorageErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<StorageErrorCode, string>> = {
  RWS_STORAGE_KEY_INVALID:
    'An object key is empty, too long, absolute, has a `.` or `..` segment, a backslash or a control character (status 400).',
  RWS_STORAGE_NOT_FOUND: 'The object does not exist (copy of a missing key; status 404).',
  RWS_STORAGE_INVALID_OPTIONS:
    'A storage driver option is missing or out of range (no bucket, no credentials, part size below 5 MiB); the message names it.',
  RWS_STORAGE_INVALID_RANGE:
    'A byte range is negative, reversed, or starts past the end of the object (status 416).',
  RWS_STORAGE_REQUEST_FAILED:
    'The object store answered with an unexpected status or could not be reached; the message names the operation, the key and the status.',
  RWS_STORAGE_ACCESS_DENIED:
    'The object store refused the credentials or the signature (403); the message never contains the secret.',
  RWS_STORAGE_CLOSED: 'The storage was used after close().',
  RWS_STORAGE_CREDENTIALS_UNAVAILABLE:
    'Credentials could not be obtained from a provider (web identity token file or STS, the container or instance metadata endpoint, Azure Managed Identity); the message names the source and the reason (status 503).',
};

/** An error from @rws/storage; test it with `isRwsError(err, code)`. */
export class StorageError extends RwsError {
  constructor(
    code: StorageErrorCode,
    message: string,
    options: { status?: number | undefined; cause?: unknown } = {},
  ) {
    super(code, message, options);
    this.name = 'StorageError';
  }
}
