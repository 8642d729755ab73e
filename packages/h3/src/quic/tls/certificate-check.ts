import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { cryptoError, type QuicError, TLS_ALERT } from '../../errors.js';

/** Trust anchors parsed once per PEM: parsing node's ~140 root certificates (or a `ca` list)
 * again in every handshake cost more CPU than the handshake's own cryptography. */
const anchors = new Map<string, X509Certificate>();
/** Bound on cached anchors; a caller cycling through ever new `ca` PEMs only refills it. */
const MAX_ANCHORS = 1024;

function parseAnchor(pem: string): X509Certificate {
  let cert = anchors.get(pem);
  if (cert === undefined) {
    cert = new X509Certificate(pem);
    if (anchors.size >= MAX_ANCHORS) anchors.clear();
    anchors.set(pem, cert);
  }
  return cert;
}

/**
 * Checks a server certificate chain the way a TLS client must: each certificate signed by the
 * next, the last one signed by (or equal to) a trust anchor, all within their validity, and the
 * leaf naming the server. Returns the leaf so its key can verify CertificateVerify.
 * @see RFC 8446 §4.4.2.4, RFC 9525
 */
export function checkServerChain(
  chain: readonly Uint8Array[],
  serverName: string | undefined,
  trusted: readonly string[] | undefined,
  rejectUnauthorized: boolean,
): X509Certificate {
  if (chain.length === 0)
    throw cryptoError(TLS_ALERT.DECODE_ERROR, 'the server sent no certificate');
  const certs = parseChain(chain, 'server');
  const leaf = certs[0]!;
  if (!rejectUnauthorized) return leaf;
  const why = chainProblem(certs, trusted ?? rootCertificates);
  if (why !== undefined) throw untrusted('server', why);
  if (serverName !== undefined) {
    const matches = isIP(serverName) ? leaf.checkIP(serverName) : leaf.checkHost(serverName);
    if (matches === undefined) throw untrusted('server', `it does not name ${serverName}`);
  }
  return leaf;
}

/** OID of extendedKeyUsage id-kp-clientAuth (RFC 5280 §4.2.1.12). */
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

/**
 * Checks a client certificate chain (mTLS) against the configured CAs: the same chain rules as
 * for a server, no name, and an extendedKeyUsage, when present, that allows client
 * authentication (as OpenSSL's sslclient purpose does). Returns the leaf and why it is not
 * trusted (undefined when it is), so a server that only requests certificates can still
 * show an untrusted one to the handler.
 */
export function checkClientChain(
  chain: readonly Uint8Array[],
  trusted: readonly string[],
): { leaf: X509Certificate; problem: string | undefined } {
  const certs = parseChain(chain, 'client');
  const leaf = certs[0]!;
  let problem = chainProblem(certs, trusted);
  const usages = leaf.keyUsage;
  if (problem === undefined && usages !== undefined && !usages.includes(CLIENT_AUTH)) {
    problem = 'its extendedKeyUsage does not allow client authentication';
  }
  return { leaf, problem };
}

/** `der` certificates parsed; a certificate that does not parse is bad_certificate. */
function parseChain(chain: readonly Uint8Array[], who: 'server' | 'client'): X509Certificate[] {
  try {
    return chain.map((der) => new X509Certificate(der));
  } catch (cause) {
    throw cryptoError(
      TLS_ALERT.BAD_CERTIFICATE,
      `a ${who} certificate does not parse (${(cause as Error).message})`,
    );
  }
}

/** The failure when `who`'s chain is not trusted. */
export function untrusted(who: 'server' | 'client', why: string): QuicError {
  return cryptoError(TLS_ALERT.BAD_CERTIFICATE, `the ${who} certificate is not trusted: ${why}`);
}

/** Why a parsed chain is not valid and anchored in `trusted`, or undefined when it is. */
function chainProblem(
  certs: readonly X509Certificate[],
  trusted: readonly string[],
): string | undefined {
  const now = Date.now();
  for (const cert of certs) {
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) {
      return `"${cert.subject.replaceAll('\n', ', ')}" is outside its validity period`;
    }
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i]!.checkIssued(certs[i + 1]!) || !certs[i]!.verify(certs[i + 1]!.publicKey)) {
      return 'the chain is not in order or a signature does not verify';
    }
  }
  const anchors = trusted.map(parseAnchor);
  const top = certs.at(-1)!;
  const isAnchored = anchors.some(
    (anchor) =>
      anchor.fingerprint256 === top.fingerprint256 ||
      (top.checkIssued(anchor) && top.verify(anchor.publicKey)),
  );
  return isAnchored ? undefined : 'no trusted certificate authority issued it';
}

/** The PEM certificates of a bundle (a CA file may hold several), each as its own PEM. */
export function splitPemBundle(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
