import { invalidOptions } from '../errors.js';
import { splitPemBundle } from './tls/certificate-check.js';
import {
  loadServerIdentity,
  type ServerIdentity,
  type TlsServerOptions,
} from './tls/tls-server.js';

/** A QUIC server's TLS settings; `QuicEndpoint#setServerTls` replaces them for new connections. */
export interface QuicServerTls {
  /** PEM certificate chain (leaf first) and key of the default certificate. */
  readonly cert: string;
  readonly key: string;
  /**
   * Picks the certificate for the ClientHello's server_name (undefined without SNI); returning
   * undefined serves the default one. Called once per handshake: keep it a lookup.
   */
  readonly selectCertificate?: (serverName: string | undefined) => ServerIdentity | undefined;
  /** PEM CA certificates client certificates must chain to (mTLS). */
  readonly ca?: string | readonly string[];
  /** Ask clients for a certificate (TLS CertificateRequest). Default false. */
  readonly requestCert?: boolean;
  /**
   * With `requestCert`: refuse handshakes without a certificate from `ca` (default true). When
   * false, such clients get through with `req.conn.tls.authorized === false`.
   */
  readonly rejectUnauthorized?: boolean;
  /**
   * The DER OCSP response to staple to a leaf certificate (DER) when the client asks for one
   * (status_request), or null. Called during the handshake: answer from a cache, never wait.
   */
  readonly ocspResponse?: (leaf: Uint8Array) => Uint8Array | null | undefined;
}

/** A QuicServerTls parsed once: what every accepted connection's TlsServer gets. */
export interface PreparedServerTls {
  readonly identity: ServerIdentity | ((serverName: string | undefined) => ServerIdentity);
  readonly clientAuth: TlsServerOptions['clientAuth'];
  readonly ocspResponse: TlsServerOptions['ocspResponse'];
}

export function prepareServerTls(tls: QuicServerTls): PreparedServerTls {
  const fallback = loadServerIdentity(tls.cert, tls.key);
  const select = tls.selectCertificate;
  let clientAuth: TlsServerOptions['clientAuth'];
  if (tls.requestCert === true) {
    const ca = (typeof tls.ca === 'string' ? [tls.ca] : (tls.ca ?? [])).flatMap(splitPemBundle);
    if (ca.length === 0)
      throw invalidOptions('requestCert needs at least one PEM certificate in ca');
    clientAuth = { ca, isRequired: tls.rejectUnauthorized ?? true };
  }
  return {
    identity: select === undefined ? fallback : (serverName) => select(serverName) ?? fallback,
    clientAuth,
    ocspResponse: tls.ocspResponse,
  };
}
