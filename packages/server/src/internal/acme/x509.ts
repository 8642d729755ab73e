/**
 * The two X.509 structures ACME needs, built with node:crypto signing: the PKCS#10
 * certificate request sent to `finalize` (RFC 2986, RFC 8555 §7.4) and the self-signed
 * TLS-ALPN-01 validation certificate carrying the `acmeIdentifier` extension (RFC 8737 §3).
 */
import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  bitString,
  commonName,
  dnsNames,
  ECDSA_SHA256,
  explicit,
  extension,
  integer,
  OID_SUBJECT_ALT_NAME,
  octetString,
  oid,
  RSA_SHA256,
  sequence,
  set,
  toPem,
  utcTime,
} from './der.js';

/** id-pe-acmeIdentifier (RFC 8737 §6.1). */
const OID_ACME_IDENTIFIER = '1.3.6.1.5.5.7.1.31';
/** PKCS#9 extensionRequest attribute (RFC 2985 §5.4.2). */
const OID_EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/** AlgorithmIdentifier and digest for signing with `key` (EC P-256/P-384 or RSA). */
function signatureAlgorithm(key: KeyObject): { id: Buffer; digest: string } {
  if (key.asymmetricKeyType === 'rsa') return { id: RSA_SHA256, digest: 'sha256' };
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (curve === 'secp384r1') return { id: sequence(oid('1.2.840.10045.4.3.3')), digest: 'sha384' };
  return { id: ECDSA_SHA256, digest: 'sha256' };
}

/** `SEQUENCE { tbs, algorithm, BIT STRING signature }`, the shape of both structures. */
function signed(tbs: Buffer, key: KeyObject): Buffer {
  const { id, digest } = signatureAlgorithm(key);
  // node:crypto's ECDSA signatures are DER `Ecdsa-Sig-Value`, what X.509 wants (RFC 5480 §2.2).
  const signature = sign(digest, tbs, key);
  return sequence(tbs, id, bitString(signature));
}

function spki(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

/**
 * A DER PKCS#10 request for `domains` (all in subjectAltName; the first, when short enough,
 * also as CN) signed by `privateKey`.
 */
export function createCsr(
  domains: readonly string[],
  privateKey: KeyObject,
  publicKey: KeyObject,
): Buffer {
  const first = domains[0] ?? null;
  const cn = first !== null && first.length <= 64 ? first : null;
  const extensions = sequence(extension(OID_SUBJECT_ALT_NAME, dnsNames(domains)));
  const info = sequence(
    integer(0),
    commonName(cn),
    spki(publicKey),
    // attributes [0] IMPLICIT SET OF Attribute
    explicit(0, sequence(oid(OID_EXTENSION_REQUEST), set(extensions))),
  );
  return signed(info, privateKey);
}

/**
 * A self-signed certificate for `domain`, valid from one day ago for seven days; with a key
 * authorization, it carries the critical `acmeIdentifier` extension holding its SHA-256
 * (RFC 8737 §3). Returns PEM, ready for `tls.createSecureContext`.
 */
export function createSelfSignedCertificate(
  domain: string,
  keyAuthorization: string | null,
  privateKey: KeyObject,
  publicKey: KeyObject,
): string {
  const now = Date.now();
  const extensions = [extension(OID_SUBJECT_ALT_NAME, dnsNames([domain]))];
  if (keyAuthorization !== null) {
    const digest = createHash('sha256').update(keyAuthorization).digest();
    // Authorization ::= OCTET STRING (SIZE (32)), inside the extnValue OCTET STRING.
    extensions.push(extension(OID_ACME_IDENTIFIER, octetString(digest), true));
  }
  const { id } = signatureAlgorithm(privateKey);
  const name = commonName(domain.length <= 64 ? domain : null);
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(Buffer.concat([Buffer.from([0x01]), randomBytes(15)])),
    id,
    name,
    sequence(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 7 * 86_400_000))),
    name,
    spki(publicKey),
    explicit(3, sequence(...extensions)),
  );
  return toPem('CERTIFICATE', signed(tbs, privateKey));
}
