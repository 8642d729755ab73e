import { cryptoError, TLS_ALERT } from '../../errors.js';
import { ByteWriter } from '../byte-writer.js';
import { tlsReader } from './handshake-codec.js';

/**
 * OCSP stapling in TLS 1.3: the client asks with a status_request extension in its
 * ClientHello, the server answers with a CertificateStatus in the extensions of the leaf's
 * CertificateEntry (not in a CertificateStatus message, as TLS 1.2 did).
 * @see RFC 8446 §4.4.2.1, RFC 6066 §8
 */

const STATUS_TYPE_OCSP = 1;

/** status_request in a ClientHello: type ocsp, no responder ids, no request extensions. */
export function encodeStatusRequest(): Uint8Array {
  return Uint8Array.of(STATUS_TYPE_OCSP, 0, 0, 0, 0);
}

/** Whether a ClientHello's status_request asks for an OCSP response. */
export function asksForOcsp(body: Uint8Array | undefined): boolean {
  return body !== undefined && body.length > 0 && body[0] === STATUS_TYPE_OCSP;
}

/** A CertificateStatus carrying a DER OCSPResponse. */
export function encodeCertificateStatus(ocspResponse: Uint8Array): Uint8Array {
  return new ByteWriter(ocspResponse.length + 4)
    .u8(STATUS_TYPE_OCSP)
    .u24(ocspResponse.length)
    .bytes(ocspResponse)
    .finish();
}

/** The DER OCSPResponse of a CertificateStatus. */
export function parseCertificateStatus(body: Uint8Array): Uint8Array {
  const r = tlsReader(body, 'CertificateStatus');
  if (r.u8('the status type') !== STATUS_TYPE_OCSP)
    throw cryptoError(TLS_ALERT.ILLEGAL_PARAMETER, 'a CertificateStatus that is not OCSP');
  const response = r.bytes(r.u24(), 'the OCSP response');
  if (response.length === 0 || r.remaining !== 0) throw r.fail('a bad OCSP response length');
  return response.slice();
}
