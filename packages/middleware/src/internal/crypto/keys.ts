import {
  createHash,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  timingSafeEqual,
} from 'node:crypto';
import { failOptions } from '../fail.js';

/** A secret as given: a string (UTF-8) or bytes. */
export type Secret = string | Uint8Array;

/** The shortest secret accepted: 32 bytes, the HMAC-SHA256 block strength. */
const MIN_SECRET_BYTES = 32;

/** Secrets as bytes, checked: at least one, each at least 32 bytes. Fails closed at startup. */
export function toKeyBytes(
  keys: unknown,
  code: string,
  name: string,
  label = 'keys',
): readonly Buffer[] {
  if (!Array.isArray(keys) || keys.length === 0) {
    failOptions(
      code,
      name,
      `${label} must be a non-empty array of secrets (the first signs, all verify)`,
    );
  }
  return keys.map((key, i) => {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
      failOptions(code, name, `${label}[${i}] must be a string or bytes`);
    }
    const bytes = Buffer.from(key as Secret);
    if (bytes.byteLength < MIN_SECRET_BYTES) {
      // The message names the index, never the secret.
      failOptions(
        code,
        name,
        `${label}[${i}] is ${bytes.byteLength} bytes; at least ${MIN_SECRET_BYTES} are required`,
      );
    }
    return bytes;
  });
}

/**
 * A purpose-bound 32-byte key from a secret (HKDF-SHA256), so one secret never serves two uses.
 * It comes back as a KeyObject because keys are made once and used per request: given raw
 * bytes, node 24's createHmac/createCipheriv first ask "KeyObject? CryptoKey?" and each "no"
 * builds and drops a TypeError with a stack trace, ~8-12 µs per call.
 */
export function deriveKey(secret: Buffer, purpose: string): KeyObject {
  return createSecretKey(
    new Uint8Array(hkdfSync('sha256', secret, Buffer.alloc(0), `rws:${purpose}`, 32)),
  );
}

/** `secret` imported once as a KeyObject (a string as UTF-8, as createHmac reads it). */
export function toSecretKey(secret: Secret): KeyObject {
  return typeof secret === 'string' ? createSecretKey(secret, 'utf8') : createSecretKey(secret);
}

/**
 * Constant-time comparison. Both sides are hashed to SHA-256 first, so inputs of different
 * lengths take the same time and the length of the secret side is not revealed either.
 */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(value: string | Uint8Array): Buffer {
  return createHash('sha256').update(value).digest();
}
