import { constants, type KeyObject, sign, verify } from 'node:crypto';

/** Signature schemes for CertificateVerify. @see RFC 8446 §4.2.3 */
const SIGNATURE_SCHEME = {
  ECDSA_SECP256R1_SHA256: 0x0403,
  ECDSA_SECP384R1_SHA384: 0x0503,
  RSA_PSS_RSAE_SHA256: 0x0804,
  ED25519: 0x0807,
} as const;

/** The schemes we accept from a peer, in the order we offer them. */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly number[] = [
  SIGNATURE_SCHEME.ECDSA_SECP256R1_SHA256,
  SIGNATURE_SCHEME.ED25519,
  SIGNATURE_SCHEME.RSA_PSS_RSAE_SHA256,
  SIGNATURE_SCHEME.ECDSA_SECP384R1_SHA384,
];

/**
 * The scheme a private key signs with, or undefined for keys we cannot use (P-521, DSA…).
 * RSA keys sign with PSS: TLS 1.3 forbids PKCS#1 v1.5 in CertificateVerify.
 */
export function schemeForKey(key: KeyObject): number | undefined {
  if (key.asymmetricKeyType === 'ed25519') return SIGNATURE_SCHEME.ED25519;
  if (key.asymmetricKeyType === 'rsa') return SIGNATURE_SCHEME.RSA_PSS_RSAE_SHA256;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return SIGNATURE_SCHEME.ECDSA_SECP256R1_SHA256;
  }
  // ACME certificates may have P-384 keys (AcmeOptions.keyType 'ec-p384').
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'secp384r1') {
    return SIGNATURE_SCHEME.ECDSA_SECP384R1_SHA384;
  }
  return undefined;
}

/** Who signs a CertificateVerify: the context strings differ (RFC 8446 §4.4.3). */
export type SignerRole = 'server' | 'client';

const CONTEXT: Readonly<Record<SignerRole, string>> = {
  server: 'TLS 1.3, server CertificateVerify',
  client: 'TLS 1.3, client CertificateVerify',
};

/** The signed content: 64 spaces, the context string, a zero byte, the transcript hash. */
function signedContent(transcriptHash: Uint8Array, role: SignerRole): Uint8Array {
  const context = Buffer.from(CONTEXT[role], 'latin1');
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out.set(transcriptHash, 65 + context.length);
  return out;
}

function options(
  scheme: number,
  key: KeyObject,
): { algorithm: string | null; key: Parameters<typeof sign>[2] } {
  if (scheme === SIGNATURE_SCHEME.ED25519) return { algorithm: null, key };
  if (scheme === SIGNATURE_SCHEME.RSA_PSS_RSAE_SHA256) {
    return {
      algorithm: 'sha256',
      key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    };
  }
  if (scheme === SIGNATURE_SCHEME.ECDSA_SECP384R1_SHA384) return { algorithm: 'sha384', key };
  return { algorithm: 'sha256', key };
}

/** Signs a CertificateVerify (a server's unless `role` says client) over `transcriptHash`. */
export function signCertificateVerify(
  key: KeyObject,
  scheme: number,
  transcriptHash: Uint8Array,
  role: SignerRole = 'server',
): Uint8Array {
  const o = options(scheme, key);
  return sign(o.algorithm, signedContent(transcriptHash, role), o.key);
}

/** Whether `signature` is a valid CertificateVerify of `role` (default server) by `key`. */
export function verifyCertificateVerify(
  key: KeyObject,
  scheme: number,
  transcriptHash: Uint8Array,
  signature: Uint8Array,
  role: SignerRole = 'server',
): boolean {
  if (schemeForKey(key) !== scheme) return false;
  const o = options(scheme, key);
  try {
    return verify(
      o.algorithm,
      signedContent(transcriptHash, role),
      o.key as Parameters<typeof verify>[2],
      signature,
    );
  } catch {
    return false;
  }
}
