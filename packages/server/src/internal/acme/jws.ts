/**
 * Flattened JWS (RFC 7515 §7.2.2) as ACME uses it (RFC 8555 §6.2): ES256/ES384 signatures
 * with node:crypto in IEEE P1363 form (r‖s, RFC 7518 §3.4), the `jwk` of the account key in
 * the protected header for newAccount, the account URL (`kid`) afterwards.
 */
import { createHash, type KeyObject, sign } from 'node:crypto';

export function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64url');
}

interface EcJwk {
  crv: string;
  kty: string;
  x: string;
  y: string;
}

/** The public JWK of an EC account key, members in the order RFC 7638 §3.2 hashes them. */
function publicJwk(key: KeyObject): EcJwk {
  const jwk = key.export({ format: 'jwk' });
  if (
    jwk.kty !== 'EC' ||
    typeof jwk.crv !== 'string' ||
    jwk.x === undefined ||
    jwk.y === undefined
  ) {
    throw new TypeError('the ACME account key must be an EC P-256 or P-384 key');
  }
  return { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y };
}

/** RFC 7638 thumbprint: SHA-256 of the JWK's required members, lexically ordered. */
export function jwkThumbprint(key: KeyObject): string {
  return b64url(
    createHash('sha256')
      .update(JSON.stringify(publicJwk(key)))
      .digest(),
  );
}

function algorithm(key: KeyObject): { alg: string; digest: string } {
  return key.asymmetricKeyDetails?.namedCurve === 'secp384r1'
    ? { alg: 'ES384', digest: 'sha384' }
    : { alg: 'ES256', digest: 'sha256' };
}

/**
 * The JSON body of a signed ACME request. `payload` null is POST-as-GET (empty payload,
 * RFC 8555 §6.3); `kid` null puts the public key in the header instead (newAccount).
 */
export function signJws(
  key: KeyObject,
  url: string,
  nonce: string,
  kid: string | null,
  payload: unknown,
): string {
  const { alg, digest } = algorithm(key);
  const header = kid === null ? { alg, jwk: publicJwk(key), nonce, url } : { alg, kid, nonce, url };
  const protectedB64 = b64url(JSON.stringify(header));
  const payloadB64 = payload === null ? '' : b64url(JSON.stringify(payload));
  const signature = sign(digest, Buffer.from(`${protectedB64}.${payloadB64}`), {
    key,
    dsaEncoding: 'ieee-p1363',
  });
  return JSON.stringify({
    protected: protectedB64,
    payload: payloadB64,
    signature: b64url(signature),
  });
}
