/**
 * Reads the ALPN list out of a TLS ClientHello (RFC 8446 §4.1.2, RFC 7301 §3.1) in the first
 * bytes of a connection, so a TLS-ALPN-01 validation (which offers only `acme-tls/1`,
 * RFC 8737 §3) can be answered with the validation certificate before any handshake runs:
 * node:tls picks the certificate at SNI time, before it sees ALPN.
 */

/** The ALPN protocols offered, or null when `data` is not a (complete) ClientHello. */
export function clientHelloAlpn(data: Buffer): string[] | null {
  // Record header (5) + handshake header (4): type 22, then client_hello (1).
  if (data.length < 9 || data[0] !== 0x16 || data[5] !== 0x01) return null;
  const end = Math.min(data.length, 5 + data.readUInt16BE(3));
  let at = 9 + 2 + 32; // legacy_version, random
  if (at >= end) return null;
  at += 1 + (data[at] ?? 0); // session id
  if (at + 2 > end) return null;
  at += 2 + data.readUInt16BE(at); // cipher suites
  if (at >= end) return null;
  at += 1 + (data[at] ?? 0); // compression methods
  if (at + 2 > end) return null;
  const extensionsEnd = Math.min(end, at + 2 + data.readUInt16BE(at));
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = data.readUInt16BE(at);
    const length = data.readUInt16BE(at + 2);
    at += 4;
    if (type === 16) {
      const protocols: string[] = [];
      const listEnd = Math.min(at + length, extensionsEnd);
      let p = at + 2;
      while (p < listEnd) {
        const n = data[p] ?? 0;
        protocols.push(data.toString('latin1', p + 1, p + 1 + n));
        p += 1 + n;
      }
      return protocols;
    }
    at += length;
  }
  return [];
}

/** True when the hello offers exactly `acme-tls/1`, as an ACME validation server does. */
export function isAcmeTlsHello(data: Buffer): boolean {
  const alpn = clientHelloAlpn(data);
  return alpn !== null && alpn.length === 1 && alpn[0] === 'acme-tls/1';
}
