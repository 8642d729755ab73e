// The endpoint's options: their types, their checks at bind(), and what they turn into per connection.
import { invalidOptions } from '../errors.js';
import type { CongestionControl } from './congestion.js';
import type { ConnectionConfig } from './connection-config.js';
import type { CipherSuite } from './crypto/cipher-suite.js';
import { BASE_DATAGRAM, DEFAULT_MAX_DATAGRAM } from './mtu-discovery.js';
import { QlogTrace } from './qlog.js';
import type { QuicConnection } from './quic-connection.js';
import type { QuicStream } from './quic-stream.js';
import type { QuicServerTls } from './server-tls.js';
import type { SessionTicket } from './tls/session-ticket.js';
import { DEFAULT_PARAMETERS, type TransportParameters } from './transport-parameters.js';
import { versionProfile } from './version.js';

/** Peer connection IDs we hold per connection (active_connection_id_limit). */
const ACTIVE_CID_LIMIT = 4;

/** Flow-control and limit settings advertised to peers. */
interface QuicTransportOptions {
  /** Idle timeout in milliseconds. Default 30000. */
  readonly maxIdleTimeoutMs?: number;
  /** Connection-level receive window in bytes. Default 4 MiB. */
  readonly maxData?: number;
  /** Per-stream receive window in bytes. Default 1 MiB. */
  readonly maxStreamData?: number;
  /**
   * How large a stream's receive window may grow: it starts at `maxStreamData` and doubles
   * while the reader consumes half of it in under two round trips. Default 6 MiB (at least
   * `maxStreamData`; equal to it turns tuning off).
   */
  readonly maxStreamDataWindow?: number;
  /** The same for the connection-level window, which starts at `maxData`. Default 15 MiB. */
  readonly maxDataWindow?: number;
  /** Bidirectional streams the peer may open. Default 100. */
  readonly maxStreamsBidi?: number;
}

/** Options of a QUIC endpoint: one UDP socket that accepts and/or initiates connections. */
export interface QuicEndpointOptions {
  /**
   * The congestion controller of this endpoint's connections: `cubic` (RFC 9438) or `newreno`
   * (RFC 9002 §7). Sends are paced over the RTT with either. Default `cubic`.
   */
  readonly congestionControl?: CongestionControl;
  /**
   * The largest UDP payload this endpoint sends and accepts (its max_udp_payload_size). Each
   * connection starts at 1200 bytes and probes its path up to this after the handshake
   * (DPLPMTUD, RFC 9000 §14.3); 1200 turns probing off. node:dgram cannot set the IP
   * don't-fragment flag, so a size above the local interface's MTU would pass fragmented;
   * the default stays within an Ethernet MTU for that reason. Default 1452 (at most 65527).
   */
  readonly maxDatagramSize?: number;
  /** Address to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** Port to bind; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Server certificate and key (PEM) and more; without them the endpoint only connects out. */
  readonly tls?: QuicServerTls;
  /** Application protocols a server accepts, preferred first. */
  readonly alpn?: readonly string[];
  /** Called for each connection a server accepts (before its handshake completes). */
  readonly onConnection?: (connection: QuicConnection) => void;
  readonly transport?: QuicTransportOptions;
  /** Cipher suites to use, preferred first. Default: all three. */
  readonly cipherSuites?: readonly CipherSuite[];
  /**
   * Key exchange groups a server accepts, preferred first; a client without a share for one
   * of them gets a HelloRetryRequest. Default X25519, P-256.
   */
  readonly groups?: readonly number[];
  /**
   * A server answers each Initial without a valid token with a Retry, so no state is kept and
   * no more than three times the received bytes are sent before the client proves its address
   * (RFC 9000 §8.1.2). Default false.
   */
  readonly requireAddressValidation?: boolean;
  /** How long a NEW_TOKEN token a server issues stays valid, in milliseconds. Default 24 h. */
  readonly newTokenLifetimeMs?: number;
  /**
   * A file to append every connection's TLS traffic secrets to, in the NSS key log format,
   * so Wireshark or tshark can decrypt captured packets; false for none. Default: the
   * `SSLKEYLOGFILE` environment variable when set. Never enable it in production: the file
   * decrypts all traffic.
   */
  readonly keyLogFile?: string | false;
  /**
   * A directory to write one qlog trace per connection to (JSON-SEQ, `<ODCID>_<role>.sqlog`:
   * packets sent, received and lost, RTT and congestion metrics, parameters, the close), for
   * qvis and other qlog tools; false for none. Default: the `QLOGDIR` environment variable
   * when set. For debugging: it costs CPU per packet and a file per connection.
   */
  readonly qlogDir?: string | false;
  /**
   * A server issues a session ticket after each handshake so the client can resume without a
   * certificate exchange (RFC 8446 §4.6.1); `lifetimeS` caps how long one is accepted (also
   * how often the ticket key rotates). false: no tickets. Default `{ lifetimeS: 86400 }`.
   * Servers that ask for client certificates issue none.
   */
  readonly sessionTickets?: false | { readonly lifetimeS?: number };
  /**
   * A server takes 0-RTT data from clients resuming with its tickets (RFC 9001 §4.6). Early
   * data can be replayed by an attacker: each ticket's 0-RTT is accepted once (per process),
   * but only turn this on for requests that are safe to run twice. Default false.
   */
  readonly earlyData?: boolean;
  /**
   * QUIC versions a server accepts, preferred first (1: 0x00000001, 2: 0x6b3343cf). A client
   * starting in another version gets a Version Negotiation packet; one that lists a preferred
   * version in its version_information continues in it (compatible negotiation, RFC 9368).
   * Default: both, and each client stays in the version it started in.
   */
  readonly versions?: readonly number[];
}

/** Options of one outgoing connection. */
export interface QuicConnectOptions {
  readonly host: string;
  readonly port: number;
  /** Name for SNI and certificate checking. Default: host. */
  readonly serverName?: string;
  readonly alpn: readonly string[];
  /** PEM trust anchors. Default: node's root certificates. */
  readonly ca?: readonly string[];
  readonly rejectUnauthorized?: boolean;
  /** Key exchange groups supported (X25519 0x1d, P-256 0x17). Default both. */
  readonly groups?: readonly number[];
  /** Groups with a key share in the first ClientHello (the server may ask for another). Default: groups. */
  readonly keyShares?: readonly number[];
  /** Our certificate chain and key (PEM), sent when the server asks for one (mTLS). */
  readonly cert?: string;
  readonly key?: string;
  /** Ask the server to staple an OCSP response (status_request). */
  readonly requestOcsp?: boolean;
  /**
   * QUIC version to start with. Default 1. The client offers the others it speaks in
   * version_information, and follows a server that continues in one of them (RFC 9368) or
   * answers with Version Negotiation.
   */
  readonly version?: number;
  /**
   * A ticket from an earlier connection (`connection.tlsSession.sessionTicket` or
   * `onSessionTicket`) to resume that session: the handshake then skips the certificate.
   * An expired ticket, or one for another server name or ALPN, is not offered.
   */
  readonly sessionTicket?: SessionTicket;
  /** Receives each session ticket the server sends after the handshake. */
  readonly onSessionTicket?: (ticket: SessionTicket) => void;
  /**
   * Send 0-RTT data when `sessionTicket` allows it: `connect()` then resolves at once, before
   * the handshake, and streams opened right away carry early data. `tlsSession.earlyData`
   * tells whether the server took it; rejected data is sent again after the handshake.
   */
  readonly earlyData?: boolean;
  /** Receives the streams the server opens, from the first one (even during the handshake). */
  readonly onStream?: (stream: QuicStream) => void;
}

/** Throws a clear error for the first option bind() cannot work with. */
export function validateEndpointOptions(options: QuicEndpointOptions): void {
  if (options.tls && (options.alpn === undefined || options.alpn.length === 0)) {
    throw invalidOptions('a QUIC server needs at least one ALPN protocol in alpn');
  }
  const size = options.maxDatagramSize;
  if (size !== undefined && !(Number.isInteger(size) && size >= BASE_DATAGRAM && size <= 65527))
    throw invalidOptions(`maxDatagramSize must be an integer from 1200 to 65527, got ${size}`);
  const cc = options.congestionControl;
  if (cc !== undefined && cc !== 'cubic' && cc !== 'newreno')
    throw invalidOptions(`congestionControl must be 'cubic' or 'newreno', got ${String(cc)}`);
  const unknown = options.versions?.find((v) => versionProfile(v) === undefined);
  if (options.versions?.length === 0 || unknown !== undefined)
    throw invalidOptions(
      `versions must list QUIC versions 1 (0x1) and/or 2 (0x6b3343cf), got 0x${(unknown ?? 0).toString(16)}`,
    );
}

/** The qlog directory: the option, else QLOGDIR; undefined when qlog is off. */
export function qlogDirOf(options: QuicEndpointOptions): string | undefined {
  const dir = options.qlogDir ?? process.env['QLOGDIR'];
  return dir ? dir : undefined;
}

/** The transport parameters this endpoint advertises on a connection with `localCid`. */
export function localTransportParameters(
  options: QuicEndpointOptions,
  localCid: Uint8Array,
  extra: Partial<TransportParameters>,
): TransportParameters {
  const t = options.transport ?? {};
  return {
    ...DEFAULT_PARAMETERS,
    maxIdleTimeout: t.maxIdleTimeoutMs ?? 30_000,
    maxUdpPayloadSize: options.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM,
    initialMaxData: t.maxData ?? 4 * 1024 * 1024,
    initialMaxStreamDataBidiLocal: t.maxStreamData ?? 1024 * 1024,
    initialMaxStreamDataBidiRemote: t.maxStreamData ?? 1024 * 1024,
    initialMaxStreamDataUni: t.maxStreamData ?? 1024 * 1024,
    initialMaxStreamsBidi: t.maxStreamsBidi ?? 100,
    // HTTP/3 needs three (control, QPACK encoder and decoder); peers may add GREASE ones.
    initialMaxStreamsUni: 16,
    initialSourceConnectionId: localCid,
    activeConnectionIdLimit: ACTIVE_CID_LIMIT,
    ...extra,
  };
}

/**
 * Congestion control, window tuning and qlog options every connection of this endpoint gets.
 * A qlog file that cannot be opened (too many open files) leaves that connection unlogged.
 */
export function connectionTuning(
  options: QuicEndpointOptions,
  qlogDir: string | undefined,
  originalDcid: Uint8Array,
  role: 'client' | 'server',
): Pick<
  ConnectionConfig,
  'congestionControl' | 'maxStreamWindow' | 'maxConnectionWindow' | 'qlog' | 'maxDatagramSize'
> {
  const { congestionControl, transport, maxDatagramSize } = options;
  let qlog: QlogTrace | undefined;
  try {
    if (qlogDir !== undefined)
      qlog = new QlogTrace(qlogDir, originalDcid, role, DEFAULT_PARAMETERS.ackDelayExponent);
  } catch {
    qlog = undefined;
  }
  return {
    ...(qlog ? { qlog } : {}),
    ...(maxDatagramSize === undefined ? {} : { maxDatagramSize }),
    ...(congestionControl ? { congestionControl } : {}),
    ...(transport?.maxStreamDataWindow === undefined
      ? {}
      : { maxStreamWindow: transport.maxStreamDataWindow }),
    ...(transport?.maxDataWindow === undefined
      ? {}
      : { maxConnectionWindow: transport.maxDataWindow }),
  };
}
