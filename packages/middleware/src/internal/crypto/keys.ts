import { hkdfSync, timingSafeEqual } from 'node:crypto';
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

/** A purpose-bound 32-byte key from a secret (HKDF-SHA256), so one secret never serves two uses. */
export function deriveKey(secret: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `rws:${purpose}`, 32));
}

/** Constant-time string comparison; different lengths compare false without leaking where. */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.byteLength !== y.byteLength) {
    // Still spend the comparison so length is the only thing timing reveals.
    timingSafeEqual(x, x);
    return false;
  }
  return timingSafeEqual(x, y);
}
