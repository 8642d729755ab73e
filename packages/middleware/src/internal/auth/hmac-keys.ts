import { webcrypto } from 'node:crypto';
import type { JWTVerifyGetKey } from 'jose';

/**
 * A jose key resolver for an HMAC secret (HS256/384/512): one Web Crypto key per algorithm
 * (a key is bound to its hash), imported on its first verification and reused after. Given
 * the secret as bytes, jose imports it again on every verification (`crypto.subtle.importKey`),
 * which was most of an HS256 verify's CPU.
 *
 * Safe against algorithm confusion as the bytes were: jose calls the resolver only after `alg`
 * passed the `algorithms` allow-list (HMAC ones only), and checks the key's algorithm and hash
 * against `alg` before verifying. The cache belongs to one `jwtAuth()` (one configured secret);
 * a rotated secret means a new `jwtAuth()` (a gateway reload), hence a new cache.
 */
export function hmacKeys(secret: Uint8Array): JWTVerifyGetKey {
  const keys = new Map<string, Promise<webcrypto.CryptoKey>>();
  return (header) => {
    const alg = header.alg;
    let key = keys.get(alg);
    if (key === undefined) {
      key = webcrypto.subtle.importKey(
        'raw',
        secret,
        { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
        false,
        ['verify'],
      );
      // A failed import is not kept: the next verification tries again.
      key.catch(() => keys.delete(alg));
      keys.set(alg, key);
    }
    return key;
  };
}
