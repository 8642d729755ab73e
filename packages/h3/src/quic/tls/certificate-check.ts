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
  let certs: X509Certificate[];
  try {
    certs = chain.map((der) => new X509Certificate(der));
  } catch (cause) {
    throw cryptoError(
      TLS_ALERT.BAD_CERTIFICATE,
      `a server certificate does not parse (${(cause as Error).message})`,
    );
  }
  const leaf = certs[0]!;
  if (!rejectUnauthorized) return leaf;
  const fail = (why: string): QuicError =>
    cryptoError(TLS_ALERT.BAD_CERTIFICATE, `the server certificate is not trusted: ${why}`);
  const now = Date.now();
  for (const cert of certs) {
    if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) {
      throw fail(`"${cert.subject.replaceAll('\n', ', ')}" is outside its validity period`);
    }
  }
  for (let i = 0; i + 1 < certs.length; i++) {
    if (!certs[i]!.checkIssued(certs[i + 1]!) || !certs[i]!.verify(certs[i + 1]!.publicKey)) {
      throw fail('the chain is not in order or a signature does not verify');
    }
  }
  const anchors = (trusted ?? rootCertificates).map(parseAnchor);
  const top = certs.at(-1)!;
  const isAnchored = anchors.some(
    (anchor) =>
      anchor.fingerprint256 === top.fingerprint256 ||
      (top.checkIssued(anchor) && top.verify(anchor.publicKey)),
  );
  if (!isAnchored) throw fail('no trusted certificate authority issued it');
  if (serverName !== undefined) {
    const matches = isIP(serverName) ? leaf.checkIP(serverName) : leaf.checkHost(serverName);
    if (matches === undefined) throw fail(`it does not name ${serverName}`);
  }
  return leaf;
}
