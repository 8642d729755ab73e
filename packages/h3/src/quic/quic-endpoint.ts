import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { ERROR_CODES, invalidOptions, QuicError } from '../errors.js';
import type { CipherSuite } from './crypto/cipher-suite.js';
import { parsePacketHeader, versionNegotiationPacket } from './packet-header.js';
import { MAX_DATAGRAM, QuicConnection } from './quic-connection.js';
import type { QuicStream } from './quic-stream.js';
import { TlsClient } from './tls/tls-client.js';
import { loadServerIdentity, type ServerIdentity, TlsServer } from './tls/tls-server.js';
import {
  DEFAULT_PARAMETERS,
  encodeTransportParameters,
  type TransportParameters,
} from './transport-parameters.js';
import { QUIC_V1, SUPPORTED_VERSIONS, versionProfile } from './version.js';

/** Length of the connection IDs this endpoint issues. */
const CID_LENGTH = 8;

/** Flow-control and limit settings advertised to peers. */
interface QuicTransportOptions {
  /** Idle timeout in milliseconds. Default 30000. */
  readonly maxIdleTimeoutMs?: number;
  /** Connection-level receive window in bytes. Default 4 MiB. */
  readonly maxData?: number;
  /** Per-stream receive window in bytes. Default 1 MiB. */
  readonly maxStreamData?: number;
  /** Bidirectional streams the peer may open. Default 100. */
  readonly maxStreamsBidi?: number;
}

/** Options of a QUIC endpoint: one UDP socket that accepts and/or initiates connections. */
export interface QuicEndpointOptions {
  /** Address to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** Port to bind; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Server certificate and key (PEM); without them the endpoint only connects out. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Application protocols a server accepts, preferred first. */
  readonly alpn?: readonly string[];
  /** Called for each connection a server accepts (before its handshake completes). */
  readonly onConnection?: (connection: QuicConnection) => void;
  readonly transport?: QuicTransportOptions;
  /** Cipher suites to use, preferred first. Default: all three. */
  readonly cipherSuites?: readonly CipherSuite[];
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
  /** Key share groups to send (X25519 0x1d, P-256 0x17). Default both. */
  readonly groups?: readonly number[];
  /** QUIC version to start with. Default 1. */
  readonly version?: number;
  /** Receives the streams the server opens, from the first one (even during the handshake). */
  readonly onStream?: (stream: QuicStream) => void;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * A QUIC endpoint on one node:dgram socket: it routes datagrams to connections by destination
 * connection ID, accepts new connections when it has a certificate, answers unknown versions
 * with Version Negotiation, and opens client connections.
 */
export class QuicEndpoint {
  readonly #socket: Socket;
  readonly #options: QuicEndpointOptions;
  readonly #identity: ServerIdentity | undefined;
  readonly #connections = new Map<string, QuicConnection>();
  #isClosed = false;

  private constructor(
    socket: Socket,
    options: QuicEndpointOptions,
    identity: ServerIdentity | undefined,
  ) {
    this.#socket = socket;
    this.#options = options;
    this.#identity = identity;
    // UDP send errors (ICMP unreachable and the like) are loss; recovery deals with them.
    socket.on('error', () => {});
    socket.on('message', (msg, rinfo) =>
      this.#onDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), rinfo),
    );
  }

  /** Binds a UDP socket and returns the endpoint. */
  static async bind(options: QuicEndpointOptions = {}): Promise<QuicEndpoint> {
    const host = options.host ?? '127.0.0.1';
    if (options.tls && (options.alpn === undefined || options.alpn.length === 0)) {
      throw invalidOptions('a QUIC server needs at least one ALPN protocol in alpn');
    }
    const identity = options.tls
      ? loadServerIdentity(options.tls.cert, options.tls.key)
      : undefined;
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(options.port ?? 0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new QuicEndpoint(socket, options, identity);
  }

  /** The bound address and port. */
  address(): { address: string; port: number } {
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** Connections currently open on this endpoint. */
  get connectionCount(): number {
    return new Set(this.#connections.values()).size;
  }

  #parameters(localCid: Uint8Array, extra: Partial<TransportParameters>): TransportParameters {
    const t = this.#options.transport ?? {};
    return {
      ...DEFAULT_PARAMETERS,
      maxIdleTimeout: t.maxIdleTimeoutMs ?? 30_000,
      maxUdpPayloadSize: MAX_DATAGRAM,
      initialMaxData: t.maxData ?? 4 * 1024 * 1024,
      initialMaxStreamDataBidiLocal: t.maxStreamData ?? 1024 * 1024,
      initialMaxStreamDataBidiRemote: t.maxStreamData ?? 1024 * 1024,
      initialMaxStreamDataUni: t.maxStreamData ?? 1024 * 1024,
      initialMaxStreamsBidi: t.maxStreamsBidi ?? 100,
      // HTTP/3 needs three (control, QPACK encoder and decoder); peers may add GREASE ones.
      initialMaxStreamsUni: 16,
      initialSourceConnectionId: localCid,
      ...extra,
    };
  }

  /** Opens a connection and resolves once its handshake completes. */
  async connect(options: QuicConnectOptions): Promise<QuicConnection> {
    if (this.#isClosed) throw new QuicError(ERROR_CODES.PEER_CLOSED, 'the endpoint is closed', 0);
    const profile = versionProfile(options.version ?? QUIC_V1);
    if (profile === undefined)
      throw invalidOptions(
        `QUIC version 0x${(options.version ?? 0).toString(16)} is not supported`,
      );
    const localCid = randomBytes(CID_LENGTH);
    const originalDcid = randomBytes(CID_LENGTH);
    const params = this.#parameters(localCid, {});
    const connection = new QuicConnection({
      role: 'client',
      profile,
      localCid,
      remoteCid: originalDcid,
      originalDcid,
      localParameters: params,
      createTls: (callbacks) =>
        new TlsClient(
          {
            serverName: options.serverName ?? options.host,
            alpn: options.alpn,
            transportParameters: encodeTransportParameters(params),
            ...(options.ca ? { ca: options.ca } : {}),
            ...(options.rejectUnauthorized === undefined
              ? {}
              : { rejectUnauthorized: options.rejectUnauthorized }),
            ...(options.groups ? { groups: options.groups } : {}),
            ...(this.#options.cipherSuites ? { cipherSuites: this.#options.cipherSuites } : {}),
          },
          callbacks,
        ),
      send: (datagram) => this.#socket.send(datagram, options.port, options.host),
      remote: { address: options.host, port: options.port },
      onClosed: (c) => this.#forget(c),
    });
    this.#connections.set(hexOf(localCid), connection);
    if (options.onStream) connection.onStream = options.onStream;
    connection.start();
    await connection.handshake;
    return connection;
  }

  #onDatagram(buf: Uint8Array, rinfo: RemoteInfo): void {
    // Everything here runs on untrusted input: a bad datagram is dropped, never thrown.
    try {
      this.#route(buf, rinfo);
    } catch {
      // A bug in routing must not take the endpoint down; the datagram counts as lost.
    }
  }

  #route(buf: Uint8Array, rinfo: RemoteInfo): void {
    let offset = 0;
    let isFirst = true;
    while (offset < buf.length) {
      const header = parsePacketHeader(buf, offset, CID_LENGTH);
      if (header === null) return;
      if (header.form === 'version-negotiation' || header.form === 'retry') return; // planned
      if (header.form === 'unsupported-version') {
        if (this.#identity && buf.length >= MAX_DATAGRAM) {
          this.#socket.send(
            versionNegotiationPacket(header.dcid, header.scid, SUPPORTED_VERSIONS),
            rinfo.port,
            rinfo.address,
          );
        }
        return;
      }
      let connection = this.#connections.get(hexOf(header.dcid));
      const isNew =
        connection === undefined && header.form === 'long' && header.type === 'initial' && isFirst;
      if (isNew)
        connection = this.#accept(header.dcid, header.scid, header.version, buf.length, rinfo);
      if (connection === undefined) return;
      const isAuthentic = connection.receivePacket(buf, header, isFirst ? buf.length : 0);
      // A spoofed or garbled Initial must not leave state behind (RFC 9000 §5.2.2).
      if (isNew && !isAuthentic) {
        connection.abandon();
        return;
      }
      if (isNew) this.#options.onConnection?.(connection);
      offset = header.end;
      isFirst = false;
    }
  }

  #accept(
    dcid: Uint8Array,
    scid: Uint8Array,
    version: number,
    size: number,
    rinfo: RemoteInfo,
  ): QuicConnection | undefined {
    // A client's first Initial arrives in a datagram of at least 1200 bytes (RFC 9000 §14.1),
    // with a DCID of at least 8 bytes (§7.2).
    if (this.#identity === undefined || this.#isClosed || size < MAX_DATAGRAM || dcid.length < 8)
      return undefined;
    const identity = this.#identity;
    const profile = versionProfile(version)!;
    const localCid = randomBytes(CID_LENGTH);
    const originalDcid = dcid.slice();
    const params = this.#parameters(localCid, { originalDestinationConnectionId: originalDcid });
    const connection = new QuicConnection({
      role: 'server',
      profile,
      localCid,
      remoteCid: scid.slice(),
      originalDcid,
      localParameters: params,
      createTls: (callbacks) =>
        new TlsServer(
          {
            alpn: this.#options.alpn ?? [],
            transportParameters: encodeTransportParameters(params),
            ...(this.#options.cipherSuites ? { cipherSuites: this.#options.cipherSuites } : {}),
          },
          identity,
          callbacks,
        ),
      send: (datagram) => this.#socket.send(datagram, rinfo.port, rinfo.address),
      remote: { address: rinfo.address, port: rinfo.port },
      onClosed: (c) => this.#forget(c),
    });
    // The client keeps using its original DCID until it sees our connection ID.
    this.#connections.set(hexOf(localCid), connection);
    this.#connections.set(hexOf(originalDcid), connection);
    return connection;
  }

  #forget(connection: QuicConnection): void {
    for (const [key, value] of this.#connections)
      if (value === connection) this.#connections.delete(key);
  }

  /** Closes every connection (application error 0) and the socket. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    const open = [...new Set(this.#connections.values())];
    for (const connection of open) connection.close(0, 'endpoint closing');
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
