/**
 * The signature of a local-storage signed URL: HMAC-SHA256 over the method, the key and the
 * expiry time, so a URL for one object, method or lifetime cannot be turned into another.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { ERROR_CODES, StorageError } from '../errors.js';

/** Query parameters of a local signed URL. */
export const EXPIRES_PARAM = 'X-Rws-Expires';
export const SIGNATURE_PARAM = 'X-Rws-Signature';

/** base64url HMAC-SHA256 of `METHOD\nkey\nexpires` (expires in Unix seconds). */
function localUrlSignature(
  secret: KeyObject,
  method: 'GET' | 'PUT',
  key: string,
  expires: number,
): string {
  return createHmac('sha256', secret).update(`${method}\n${key}\n${expires}`).digest('base64url');
}

/** Constant-time check of a presented signature. */
export function isLocalUrlSignature(
  secret: KeyObject,
  method: 'GET' | 'PUT',
  key: string,
  expires: number,
  presented: string,
): boolean {
  const expected = Buffer.from(localUrlSignature(secret, method, key, expires));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface SigningSettings {
  readonly secret: string | Uint8Array;
  readonly baseUrl: string;
}

/** Checked settings; the secret is imported once as a KeyObject, as it signs per request. */
export interface CheckedSigningSettings {
  readonly secretKey: KeyObject;
  readonly baseUrl: string;
}

/**
 * Throws `RWS_STORAGE_INVALID_OPTIONS` for a short secret or a base URL that is not http(s).
 * The secret comes back as a KeyObject: given raw bytes, node 24's createHmac first asks
 * "KeyObject? CryptoKey?" and each "no" builds and drops a TypeError, ~10 µs per call.
 */
export function checkSigningOptions(signing: SigningSettings): CheckedSigningSettings {
  const secretBytes =
    typeof signing.secret === 'string'
      ? Buffer.byteLength(signing.secret)
      : (signing.secret?.byteLength ?? 0);
  if (secretBytes < 32) {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      `signed URL secret must be at least 32 bytes, got ${secretBytes}`,
    );
  }
  let url: URL | null = null;
  try {
    url = new URL(signing.baseUrl);
  } catch {}
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      'signed URL baseUrl must be an absolute http: or https: URL',
    );
  }
  const { secret } = signing;
  const secretKey =
    typeof secret === 'string' ? createSecretKey(secret, 'utf8') : createSecretKey(secret);
  return { secretKey, baseUrl: signing.baseUrl };
}

/** `baseUrl/<key>?X-Rws-Expires=…&X-Rws-Signature=…`. */
export function signLocalUrl(
  signing: CheckedSigningSettings,
  key: string,
  options: { method?: 'GET' | 'PUT' | undefined; expiresIn?: number | undefined },
  now: number = Date.now(),
): string {
  const method = options.method ?? 'GET';
  if (method !== 'GET' && method !== 'PUT') {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      `signedUrl method must be GET or PUT, got ${String(method)}`,
    );
  }
  const expiresIn = options.expiresIn ?? 900;
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800) {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      `signedUrl expiresIn must be 1-604800 seconds, got ${expiresIn}`,
    );
  }
  const expires = Math.floor(now / 1000) + expiresIn;
  const base = signing.baseUrl.replace(/\/+$/, '');
  const path = key.split('/').map(encodeURIComponent).join('/');
  const signature = localUrlSignature(signing.secretKey, method, key, expires);
  return `${base}/${path}?${EXPIRES_PARAM}=${expires}&${SIGNATURE_PARAM}=${signature}`;
}
