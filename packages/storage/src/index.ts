/** @module */

export type { AwsCredentials, PresignAwsUrlInput, SignAwsRequestInput } from './aws-sigv4.js';
export {
  awsUriEncode,
  EMPTY_SHA256,
  presignAwsUrl,
  sha256Hex,
  signAwsRequest,
  UNSIGNED_PAYLOAD,
} from './aws-sigv4.js';
export type { StorageErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS, StorageError } from './errors.js';
export type {
  ByteRange,
  GetOptions,
  IoOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  PutOptions,
  SignedUrlOptions,
  Storage,
  StorageBody,
  StorageCapabilities,
  StorageObject,
} from './types.js';
export { MAX_KEY_BYTES, validateKey } from './validate-key.js';
