import { cryptoError, TLS_ALERT } from '../../errors.js';
import { ByteWriter } from '../byte-writer.js';
import {
  type Extensions,
  encodeU16List,
  parseU16List,
  readExtensions,
  requireExtension,
  tlsReader,
  writeExtensions,
} from './handshake-codec.js';
import { EXTENSION } from './tls-types.js';

/**
 * CertificateRequest, which a server sends after EncryptedExtensions to ask for a client
 * certificate; in the handshake its request context is empty.
 * @see RFC 8446 §4.3.2
 */
export function encodeCertificateRequest(signatureSchemes: readonly number[]): Uint8Array {
  const w = new ByteWriter(64).u8(0);
  writeExtensions(w, [[EXTENSION.SIGNATURE_ALGORITHMS, encodeU16List(signatureSchemes, 2)]]);
  return w.finish();
}

/** What a client needs from a CertificateRequest: the schemes the server accepts. */
export interface CertificateRequest {
  readonly signatureSchemes: readonly number[];
  readonly extensions: Extensions;
}

export function parseCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = tlsReader(body, 'CertificateRequest');
  const context = r.bytes(r.u8(), 'the request context');
  if (context.length !== 0) {
    // Post-handshake authentication (a non-empty context) is not offered by our ClientHello.
    throw cryptoError(
      TLS_ALERT.ILLEGAL_PARAMETER,
      'a CertificateRequest in the handshake with a request context',
    );
  }
  const extensions = readExtensions(r);
  const schemes = parseU16List(
    requireExtension(extensions, EXTENSION.SIGNATURE_ALGORITHMS, 'signature_algorithms'),
    2,
    'signature_algorithms',
  );
  return { signatureSchemes: schemes, extensions };
}
