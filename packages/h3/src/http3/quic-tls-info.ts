import { X509Certificate } from 'node:crypto';
import type { TlsInfo } from '@rws/core';
import type { QuicConnection } from '../quic/quic-connection.js';

/**
 * `req.conn.tls` of an HTTP/3 connection, read from its QUIC handshake. Requests only arrive
 * after the handshake completed, so SNI and the client certificate are known by then; the
 * certificate object is built only if a handler asks for it, in node:tls's
 * `getPeerCertificate()` shape (subject, issuer, valid_from, fingerprint256, raw…) so handlers
 * read it the same way on every protocol.
 */
export class QuicTlsInfo implements TlsInfo {
  readonly alpn: string = 'h3';
  readonly version: string = 'TLSv1.3';
  readonly #quic: QuicConnection;
  #peer: Readonly<Record<string, unknown>> | null | undefined;

  constructor(quic: QuicConnection) {
    this.#quic = quic;
  }

  get sni(): string | null {
    return this.#quic.tlsSession.serverName ?? null;
  }

  get authorized(): boolean {
    return this.#quic.tlsSession.isPeerAuthorized === true;
  }

  get peerCertificate(): Readonly<Record<string, unknown>> | null {
    if (this.#peer === undefined) {
      const leaf = this.#quic.tlsSession.peerCertificates?.[0];
      this.#peer =
        leaf === undefined
          ? null
          : (new X509Certificate(leaf).toLegacyObject() as unknown as Record<string, unknown>);
    }
    return this.#peer;
  }
}
