import { constants, type KeyObject, sign, verify } from 'node:crypto';

/** Signature schemes for CertificateVerify. @see RFC 8446 §4.2.3 */
const SIGNATURE_SCHEME = {
  ECDSA_SECP256R1_SHA256: 0x0403,
  RSA_PSS_RSAE_SHA256: 0x0804,
  ED25519: 0x0807,
} as const;

/** The schemes we accept from a peer, in the order we offer them. */
export const SUPPORTED_SIGNATURE_SCHEMES: readonly number[] = [
  SIGNATURE_SCHEME.ECDSA_SECP256R1_SHA256,
  SIGNATURE_SCHEME.ED25519,
  SIGNATURE_SCHEME.RSA_PSS_RSAE_SHA256,
];

/**
 * The scheme a private key signs with, or undefined for keys we cannot use (P-384, DSA…).
 * RSA keys sign with PSS: TLS 1.3 forbids PKCS#1 v1.5 in CertificateVerify.
 */
export function schemeForKey(key: KeyObject): number | undefined {
  if (key.asymmetricKeyType === 'ed25519') return SIGNATURE_SCHEME.ED25519;
  if (key.asymmetricKeyType === 'rsa') return SIGNATURE_SCHEME.RSA_PSS_RSAE_SHA256;
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return SIGNATURE_SCHEME.ECDSA_SECP256R1_SHA256;
  }
  return undefined;
}

const SERVER_CONTEXT = 'TLS 1.3, server CertificateVerify';

/** The signed content: 64 spaces, the context string, a zero byte, the transcript hash. */
function signedContent(transcriptHash: Uint8Array): Uint8Array {
  const context = Buffer.from(SERVER_CONTEXT, 'latin1');
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
  return { algorithm: 'sha256', key };
}

/** Signs a server CertificateVerify over `transcriptHash`. */
export function signCertificateVerify(
  key: KeyObject,
  scheme: number,
  transcriptHash: Uint8Array,
): Uint8Array {
  const o = options(scheme, key);
  return sign(o.algorithm, signedContent(transcriptHash), o.key);
}

/** Whether `signature` is a valid server CertificateVerify by `key` under `scheme`. */
export function verifyCertificateVerify(
  key: KeyObject,
  scheme: number,
  transcriptHash: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (schemeForKey(key) !== scheme) return false;
  const o = options(scheme, key);
  try {
    return verify(
      o.algorithm,
      signedContent(transcriptHash),
      o.key as Parameters<typeof verify>[2],
      signature,
    );
  } catch {
    return false;
  }
}
