/**
 * OCSP messages (RFC 6960): the request for one certificate (a CertID: hashes of the issuer's
 * name and key, and the serial number), and the checks a response must pass before it is
 * stapled: `successful`, about this certificate, signed by the issuer or by a responder the
 * issuer delegated to (id-kp-OCSPSigning), and current.
 */
import { createHash, verify, X509Certificate } from 'node:crypto';
import { octetString, oid, sequence } from '../acme/der.js';
import {
  child,
  children,
  type DerNode,
  generalizedTime,
  oidText,
  raw,
  readNode,
} from './der-reader.js';

type OcspCertStatus = 'good' | 'revoked' | 'unknown';

/** A response that passed every check. */
export interface OcspResult {
  readonly status: OcspCertStatus;
  readonly thisUpdate: number;
  /** Epoch ms, or null when the responder gives none (newer information is always available). */
  readonly nextUpdate: number | null;
}

const HASHES: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithm OID → digest for crypto.verify (null: the key type implies it). */
const SIGNATURES: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null,
};

const OID_BASIC_RESPONSE = '1.3.6.1.5.5.7.48.1.1';
const OID_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
/** Clock skew tolerated on thisUpdate. */
const SKEW_MS = 5 * 60_000;

/** The parts of a certificate a CertID is made of. */
interface CertParts {
  readonly serial: Buffer;
  readonly issuerName: Buffer;
  readonly subjectName: Buffer;
  readonly publicKeyBits: Buffer;
}

function certParts(der: Buffer): CertParts {
  const tbs = child(readNode(der), 0, 0x30);
  const fields = children(tbs);
  // The version is an optional [0]; everything after it is positional.
  const at = fields[0]?.tag === 0xa0 ? 1 : 0;
  const serial = fields[at];
  const issuer = fields[at + 2];
  const subject = fields[at + 4];
  const spki = fields[at + 5];
  if (!serial || !issuer || !subject || !spki) throw new Error('malformed certificate');
  return {
    serial: raw(tbs.content, serial),
    issuerName: raw(tbs.content, issuer),
    subjectName: raw(tbs.content, subject),
    // The BIT STRING's first content byte counts unused bits; the key hash skips it.
    publicKeyBits: child(spki, 1, 0x03).content.subarray(1),
  };
}

/** The DER OCSPRequest for `leaf` issued by `issuer` (SHA-1 CertID, as every responder takes). */
export function buildOcspRequest(leaf: X509Certificate, issuer: X509Certificate): Buffer {
  const l = certParts(leaf.raw);
  const i = certParts(issuer.raw);
  const sha1 = (b: Buffer): Buffer => createHash('sha1').update(b).digest();
  const certId = sequence(
    sequence(oid('1.3.14.3.2.26'), Buffer.from([0x05, 0x00])),
    octetString(sha1(i.subjectName)),
    octetString(sha1(i.publicKeyBits)),
    l.serial,
  );
  return sequence(sequence(sequence(sequence(certId))));
}

/** The first OCSP responder URL in the certificate's Authority Information Access, or null. */
export function ocspUrl(leaf: X509Certificate): string | null {
  const match = /^OCSP - URI:(\S+)$/m.exec(leaf.infoAccess ?? '');
  return match?.[1] ?? null;
}

function bad(message: string): Error {
  return new Error(message);
}

/** True when `cert` is the issuer, or a responder certificate the issuer signed for OCSP. */
function isAuthorizedSigner(cert: X509Certificate, issuer: X509Certificate): boolean {
  if (cert.raw.equals(issuer.raw)) return true;
  return (
    cert.verify(issuer.publicKey) &&
    cert.checkIssued(issuer) &&
    (cert.keyUsage ?? []).includes(OID_OCSP_SIGNING)
  );
}

function checkSignature(basic: DerNode, issuer: X509Certificate): void {
  const [tbs, algorithm, signature, certs] = children(basic);
  if (!tbs || !algorithm || !signature) throw bad('malformed BasicOCSPResponse');
  const algOid = oidText(child(algorithm, 0, 0x06));
  const digest = SIGNATURES[algOid];
  if (digest === undefined) throw bad(`unsupported signature algorithm ${algOid}`);
  const candidates = [issuer];
  if (certs?.tag === 0xa0) {
    for (const c of children(child(certs, 0, 0x30))) {
      candidates.push(new X509Certificate(raw(child(certs, 0).content, c)));
    }
  }
  const signed = raw(basic.content, tbs);
  const sig = signature.content.subarray(1);
  for (const cert of candidates) {
    if (!isAuthorizedSigner(cert, issuer)) continue;
    if (verify(digest, signed, cert.publicKey, sig)) return;
  }
  throw bad('response not signed by the issuer or an authorized responder');
}

/** The SingleResponse about `leaf`, by serial number and issuer hashes. */
function findSingle(responses: DerNode, leaf: CertParts, issuer: CertParts): DerNode {
  for (const single of children(responses)) {
    const certId = child(single, 0, 0x30);
    const [alg, nameHash, keyHash, serial] = children(certId);
    if (!alg || !nameHash || !keyHash || !serial) continue;
    const hash = HASHES[oidText(child(alg, 0, 0x06))];
    if (hash === undefined) continue;
    const h = (b: Buffer): Buffer => createHash(hash).update(b).digest();
    if (
      raw(certId.content, serial).equals(leaf.serial) &&
      nameHash.content.equals(h(issuer.subjectName)) &&
      keyHash.content.equals(h(issuer.publicKeyBits))
    ) {
      return single;
    }
  }
  throw bad('response is not about this certificate');
}

const RESPONSE_STATUS = [
  'successful',
  'malformedRequest',
  'internalError',
  'tryLater',
  '4',
  'sigRequired',
  'unauthorized',
];

/**
 * Checks a DER OCSPResponse for `leaf`; throws an Error saying what is wrong. `now` is the
 * time the response must be current at.
 */
export function checkOcspResponse(
  der: Buffer,
  leaf: X509Certificate,
  issuer: X509Certificate,
  now: number = Date.now(),
): OcspResult {
  let result: OcspResult;
  try {
    const top = readNode(der);
    const status = child(top, 0, 0x0a).content[0] ?? -1;
    if (status !== 0) throw bad(`responder answered ${RESPONSE_STATUS[status] ?? status}`);
    const bytes = child(child(top, 1, 0xa0), 0, 0x30);
    const type = oidText(child(bytes, 0, 0x06));
    if (type !== OID_BASIC_RESPONSE) throw bad(`unsupported response type ${type}`);
    const basic = readNode(child(bytes, 1, 0x04).content);
    checkSignature(basic, issuer);
    const data = children(child(basic, 0, 0x30));
    const at = data[0]?.tag === 0xa0 ? 1 : 0;
    const responses = data[at + 2];
    if (responses?.tag !== 0x30) throw bad('malformed ResponseData');
    const single = children(findSingle(responses, certParts(leaf.raw), certParts(issuer.raw)));
    const certStatus = single[1]?.tag;
    const thisUpdate = single[2];
    if (certStatus === undefined || thisUpdate?.tag !== 0x18) throw bad('malformed SingleResponse');
    const next = single[3]?.tag === 0xa0 ? generalizedTime(child(single[3], 0, 0x18)) : null;
    result = {
      status: certStatus === 0x80 ? 'good' : certStatus === 0xa1 ? 'revoked' : 'unknown',
      thisUpdate: generalizedTime(thisUpdate),
      nextUpdate: next,
    };
  } catch (err) {
    if (err instanceof Error && !err.message.startsWith('malformed DER')) throw err;
    throw bad(`unreadable response (${err instanceof Error ? err.message : String(err)})`);
  }
  if (result.thisUpdate > now + SKEW_MS) throw bad('response thisUpdate is in the future');
  if (result.nextUpdate !== null && result.nextUpdate <= now) throw bad('response is expired');
  return result;
}
