import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/**
 * HKDF (RFC 5869) split into Extract and Expand, and TLS 1.3's HKDF-Expand-Label, which QUIC
 * uses for every key it derives. node:crypto's hkdfSync only does both steps at once.
 * @see RFC 8446 §7.1
 */

/** The hash a cipher suite uses. */
export type HashName = 'sha256' | 'sha384';

/** Output length of `hash` in bytes. */
export function hashLength(hash: HashName): number {
  return hash === 'sha256' ? 32 : 48;
}

/** HKDF-Extract(salt, ikm) = HMAC-Hash(salt, ikm). */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return createHmac(hash, hmacKey(salt)).update(ikm).digest();
}

/**
 * An HMAC key as a KeyObject: given raw bytes, node 24's createHmac (like createCipheriv)
 * first checks whether they are a KeyObject or a CryptoKey and builds and drops a TypeError,
 * stack trace included, for each "no"; wrapping them first measured about 5 against 13 µs per
 * HMAC, and a handshake derives dozens of keys.
 */
function hmacKey(key: Uint8Array): KeyObject {
  return createSecretKey(key);
}

/** HKDF-Expand(prk, info, length). */
function hkdfExpand(hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let previous = new Uint8Array(0);
  let filled = 0;
  const key = hmacKey(prk);
  for (let counter = 1; filled < length; counter++) {
    previous = createHmac(hash, key)
      .update(previous)
      .update(info)
      .update(Uint8Array.of(counter))
      .digest();
    out.set(previous.subarray(0, Math.min(previous.length, length - filled)), filled);
    filled += previous.length;
  }
  return out;
}

const encoder = new TextEncoder();

/**
 * HKDF-Expand-Label(secret, label, context, length): the label is prefixed "tls13 " and
 * wrapped with the length and context in an HkdfLabel structure.
 */
export function hkdfExpandLabel(
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const fullLabel = encoder.encode(`tls13 ${label}`);
  const info = new Uint8Array(2 + 1 + fullLabel.length + 1 + context.length);
  info[0] = length >> 8;
  info[1] = length & 0xff;
  info[2] = fullLabel.length;
  info.set(fullLabel, 3);
  info[3 + fullLabel.length] = context.length;
  info.set(context, 4 + fullLabel.length);
  return hkdfExpand(hash, secret, info, length);
}

/** Hash of nothing (Derive-Secret's context for "derived"). */
export function emptyHash(hash: HashName): Uint8Array {
  return createHash(hash).digest();
}
