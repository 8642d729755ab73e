/**
 * Signed (HMAC-SHA256) and encrypted (AES-256-GCM) cookies with key rotation: the first key
 * signs or encrypts, every key verifies or decrypts, so a new key can be put first while
 * cookies issued under the old one stay valid until they expire.
 *
 * The cookie name is bound into the MAC (and the GCM associated data), so a value issued for
 * one cookie is not accepted under another name.
 *
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import {
  type CookieOptions,
  type Headers,
  parseCookies,
  type Request,
  serializeCookie,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { deriveKey, type Secret, safeEqual, toKeyBytes } from '../internal/crypto/keys.js';

export type { Secret } from '../internal/crypto/keys.js';

/**
 * A key ring for signed and encrypted cookies. Build it once at startup with `createCookieKeys`;
 * secrets shorter than 32 bytes or an empty list throw `RWS_MIDDLEWARE_COOKIES_INVALID_OPTIONS`.
 */
export interface CookieKeys {
  /** Signs `name=value`; the result is `value.signature` (base64url). */
  sign(name: string, value: string): string;
  /** The value of a signed cookie when any key verifies it, else null. */
  unsign(name: string, signed: string): string | null;
  /** Encrypts `value`; the result is base64url `iv | ciphertext | tag`. */
  encrypt(name: string, value: string): string;
  /** The plaintext of an encrypted cookie when any key decrypts it, else null. */
  decrypt(name: string, sealed: string): string | null;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Builds the key ring from secrets, newest first.
 *
 * @example
 * ```ts
 * import { createCookieKeys } from '@rws/middleware/cookies';
 * const keys = createCookieKeys([process.env.COOKIE_SECRET!, process.env.OLD_COOKIE_SECRET!]);
 * ```
 */
export function createCookieKeys(secrets: readonly Secret[]): CookieKeys {
  const raw = toKeyBytes(
    secrets,
    ERROR_CODES.COOKIES_INVALID_OPTIONS,
    'createCookieKeys',
    'secrets',
  );
  const macKeys = raw.map((s) => deriveKey(s, 'cookie-sign'));
  const encKeys = raw.map((s) => deriveKey(s, 'cookie-encrypt'));
  const mac = (key: KeyObject, name: string, value: string): string =>
    createHmac('sha256', key).update(`${name}=${value}`).digest('base64url');
  return {
    sign(name, value) {
      return `${value}.${mac(macKeys[0]!, name, value)}`;
    },
    unsign(name, signed) {
      const dot = signed.lastIndexOf('.');
      if (dot === -1) return null;
      const value = signed.slice(0, dot);
      const signature = signed.slice(dot + 1);
      // Every key is tried even after a match, so timing does not tell which key signed.
      let isValid = false;
      for (const key of macKeys) if (safeEqual(mac(key, name, value), signature)) isValid = true;
      return isValid ? value : null;
    },
    encrypt(name, value) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encKeys[0]!, iv);
      cipher.setAAD(Buffer.from(name));
      const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    decrypt(name, sealed) {
      const bytes = Buffer.from(sealed, 'base64url');
      if (bytes.byteLength < IV_BYTES + TAG_BYTES) return null;
      const iv = bytes.subarray(0, IV_BYTES);
      const tag = bytes.subarray(bytes.byteLength - TAG_BYTES);
      const body = bytes.subarray(IV_BYTES, bytes.byteLength - TAG_BYTES);
      for (const key of encKeys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
          decipher.setAAD(Buffer.from(name));
          decipher.setAuthTag(tag);
          return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
        } catch {
          // GCM authentication failed under this key: try the next one.
        }
      }
      return null;
    },
  };
}

/** Cookie `name` of the request opened by `open` (unsign or decrypt), or null when absent. */
function readCookie(
  req: Request,
  name: string,
  open: (name: string, value: string) => string | null,
): string | null {
  const value = parseCookies(req.headers.get('cookie'))[name];
  return value === undefined ? null : open(name, value);
}

/** Appends the `Set-Cookie` of an already signed or sealed value. */
function appendCookie(
  headers: Headers,
  name: string,
  wireValue: string,
  options: CookieOptions,
  encode: boolean,
): void {
  headers.append('set-cookie', serializeCookie(name, wireValue, { ...options, encode }));
}

/** The verified value of signed cookie `name`, or null when absent or tampered with. */
export function getSignedCookie(req: Request, name: string, keys: CookieKeys): string | null {
  return readCookie(req, name, (n, v) => keys.unsign(n, v));
}

/** Appends a `Set-Cookie` carrying `value` signed with the first key (percent-encoded on the wire). */
export function setSignedCookie(
  headers: Headers,
  name: string,
  value: string,
  keys: CookieKeys,
  options: CookieOptions = {},
): void {
  // Sign the plain value; percent-encoding is undone by parseCookies before unsign() sees it.
  appendCookie(headers, name, keys.sign(name, value), options, true);
}

/** The decrypted value of encrypted cookie `name`, or null when absent or not decryptable. */
export function getEncryptedCookie(req: Request, name: string, keys: CookieKeys): string | null {
  return readCookie(req, name, (n, v) => keys.decrypt(n, v));
}

/** Appends a `Set-Cookie` carrying `value` encrypted with the first key. */
export function setEncryptedCookie(
  headers: Headers,
  name: string,
  value: string,
  keys: CookieKeys,
  options: CookieOptions = {},
): void {
  // Sealed values are base64url: nothing to percent-encode.
  appendCookie(headers, name, keys.encrypt(name, value), options, false);
}
