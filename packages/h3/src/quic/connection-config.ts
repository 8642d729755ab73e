import type { CongestionControl } from './congestion.js';
import type { CidHost } from './connection-ids.js';
import type { SpaceName } from './packet-space.js';
import type { QlogTrace } from './qlog.js';
import type { QuicConnection } from './quic-connection.js';
import type { EncryptionLevel, TlsCallbacks, TlsHandshake } from './tls/tls-types.js';
import type { TransportParameters } from './transport-parameters.js';
import type { VersionProfile } from './version.js';

/** The packet number spaces in the order their packets go into a datagram (RFC 9000 §12.2). */
export const SPACES: readonly SpaceName[] = ['initial', 'handshake', 'application'];

/** How a connection was set up; the endpoint fills this in. */
export interface ConnectionConfig {
  readonly role: 'client' | 'server';
  readonly profile: VersionProfile;
  /** Our connection ID (the DCID of packets sent to us). */
  readonly localCid: Uint8Array;
  /** The peer's connection ID; for a client, first the random DCID of its Initial. */
  readonly remoteCid: Uint8Array;
  /** The DCID of the client's first Initial (Initial keys and transport parameter checks). */
  readonly originalDcid: Uint8Array;
  readonly localParameters: TransportParameters;
  /** Builds the TLS handshake with the callbacks the connection provides. */
  readonly createTls: (callbacks: TlsCallbacks) => TlsHandshake & { start?(): void };
  /** A server: whether the client's address is already validated (by a Retry or NEW_TOKEN token). */
  readonly isAddressValidated?: boolean;
  /** A client sending 0-RTT: the server's limits remembered from the ticket's session. */
  readonly rememberedParameters?: TransportParameters;
  /** A client starting over after a Version Negotiation packet: the version refused (downgrade check). */
  readonly rejectedVersion?: number;
  /** A client: the token for its Initial packets (from an earlier connection's NEW_TOKEN). */
  readonly token?: Uint8Array;
  /** A server: makes a NEW_TOKEN token for the client's next connection (RFC 9000 §8.1.3). */
  readonly issueNewToken?: () => Uint8Array;
  /** A client: receives each NEW_TOKEN token from the server. */
  readonly onNewToken?: (token: Uint8Array) => void;
  /** Routes the connection IDs we issue to this connection (NEW_CONNECTION_ID). */
  readonly cids: CidHost;
  /** Receives the TLS traffic secrets as NSS key log lines (SSLKEYLOGFILE). */
  readonly keyLog?: (line: string) => void;
  /** How large a stream's receive window may grow by auto-tuning (bytes). Default 6 MiB. */
  readonly maxStreamWindow?: number;
  /** How large the connection's receive window may grow by auto-tuning (bytes). Default 15 MiB. */
  readonly maxConnectionWindow?: number;
  /** The largest datagram PMTU discovery may try and we accept (max_udp_payload_size). Default 1452. */
  readonly maxDatagramSize?: number;
  /** The congestion controller. Default CUBIC. */
  readonly congestionControl?: CongestionControl;
  /** Where this connection's qlog events go (the endpoint opens it when qlog is on). */
  readonly qlog?: QlogTrace;
  /** Sends one datagram to the peer. */
  readonly send: (datagram: Uint8Array) => void;
  /** The peer's UDP address (for logs and the request's connection info). */
  readonly remote?: { readonly address: string; readonly port: number };
  /** Called once when the connection is gone (closed, drained or timed out). */
  readonly onClosed: (connection: QuicConnection) => void;
}

/** Counters for tests, logs and benchmarks. */
export interface ConnectionStats {
  readonly smoothedRttMs: number;
  /** The connection-level receive window now (bytes); auto-tuning grows it (RFC 9000 §4.2). */
  readonly receiveWindow: number;
  readonly congestionWindow: number;
  /** The congestion controller in use. */
  readonly congestionControl: CongestionControl;
  /** Window reductions: one per recovery period with losses, plus persistent congestion. */
  readonly congestionEvents: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly packetsSent: number;
  readonly packetsLost: number;
  /** Times the congestion window collapsed on persistent congestion (RFC 9002 §7.6). */
  readonly persistentCongestions: number;
  /** 1-RTT key phases this connection went through, started by either side (RFC 9001 §6). */
  readonly keyUpdates: number;
  /** The largest datagram the path carries, as PMTU discovery found it (RFC 9000 §14.3). */
  readonly maxDatagramSize: number;
  /** Paths validated with PATH_CHALLENGE/PATH_RESPONSE (RFC 9000 §8.2). */
  readonly pathsValidated: number;
}

/** The packet number space each TLS encryption level's data travels in. */
export const LEVEL_OF: Readonly<Record<EncryptionLevel, SpaceName>> = {
  initial: 'initial',
  handshake: 'handshake',
  application: 'application',
};
