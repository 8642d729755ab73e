import type { CipherSuite } from '../crypto/cipher-suite.js';
import type { SessionTicket } from './session-ticket.js';

/** The three encryption levels a QUIC handshake's CRYPTO frames travel at. */
export type EncryptionLevel = 'initial' | 'handshake' | 'application';

/** The levels traffic secrets are installed for: 'early' is 0-RTT (client to server only). */
export type SecretLevel = 'early' | 'handshake' | 'application';

/**
 * What the TLS handshake asks of the QUIC connection carrying it (RFC 9001 §4.1): send
 * handshake bytes in CRYPTO frames at a level, and install traffic secrets as they appear.
 */
export interface TlsCallbacks {
  /** Queue handshake bytes to send in CRYPTO frames at `level`. */
  sendHandshake(level: EncryptionLevel, data: Uint8Array): void;
  /** A traffic secret for reading or writing at `level` is ready. */
  installSecret(
    level: SecretLevel,
    direction: 'read' | 'write',
    suite: CipherSuite,
    secret: Uint8Array,
  ): void;
  /** A client: the server did not take our 0-RTT data; what it carried must go again in 1-RTT. */
  earlyDataRejected?(): void;
}

/** What a handshake learned that the application may show (`req.conn.tls`, client getters). */
export interface TlsSessionInfo {
  /** A server: the server_name the client asked for. */
  readonly serverName?: string | undefined;
  /** The peer's certificate chain (DER, leaf first): a client's only when it sent one. */
  readonly peerCertificates?: readonly Uint8Array[] | undefined;
  /** A server: whether that chain verified against the configured client CAs. */
  readonly isPeerAuthorized?: boolean;
  /** A client: the OCSP response the server stapled, when asked for. */
  readonly ocspResponse?: Uint8Array | undefined;
  /** Whether the handshake resumed a session from a ticket (no certificate was exchanged). */
  readonly isResumed?: boolean;
  /**
   * 0-RTT: 'offered' while a client waits for the answer, then 'accepted' or 'rejected';
   * a server says 'accepted' when it took the client's early data. Undefined: not attempted.
   */
  readonly earlyData?: 'offered' | 'accepted' | 'rejected' | undefined;
  /** A client: the newest session ticket the server sent, to resume a later connection. */
  readonly sessionTicket?: SessionTicket | undefined;
}

/** What both handshake roles expose once they progress. */
export interface TlsHandshake extends TlsSessionInfo {
  /** Feeds in-order CRYPTO stream bytes received at `level`; throws QuicError (CRYPTO_ERROR). */
  receive(level: EncryptionLevel, data: Uint8Array): void;
  /** True once this side has sent and received both Finished messages. */
  readonly isComplete: boolean;
  /** The negotiated application protocol (ALPN), once known. */
  readonly alpn: string | undefined;
  /** The peer's raw quic_transport_parameters extension, once received. */
  readonly peerTransportParameters: Uint8Array | undefined;
  /** The negotiated cipher suite, once known. */
  readonly suite: CipherSuite | undefined;
  /** The ClientHello.random (our own for a client, the peer's for a server), once known. */
  readonly clientRandom: Uint8Array | undefined;
}

/** TLS 1.3 handshake message types used here. @see RFC 8446 §4 */
export const HANDSHAKE_TYPE = {
  CLIENT_HELLO: 1,
  SERVER_HELLO: 2,
  NEW_SESSION_TICKET: 4,
  ENCRYPTED_EXTENSIONS: 8,
  CERTIFICATE: 11,
  CERTIFICATE_REQUEST: 13,
  CERTIFICATE_VERIFY: 15,
  FINISHED: 20,
  KEY_UPDATE: 24,
} as const;

/** TLS extension code points used here. */
export const EXTENSION = {
  SERVER_NAME: 0,
  /** OCSP stapling: asked for in ClientHello, answered in the leaf CertificateEntry. */
  STATUS_REQUEST: 5,
  SUPPORTED_GROUPS: 10,
  SIGNATURE_ALGORITHMS: 13,
  ALPN: 16,
  SUPPORTED_VERSIONS: 43,
  PRE_SHARED_KEY: 41,
  EARLY_DATA: 42,
  PSK_KEY_EXCHANGE_MODES: 45,
  KEY_SHARE: 51,
  QUIC_TRANSPORT_PARAMETERS: 57,
} as const;
