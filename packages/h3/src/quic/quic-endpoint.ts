import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type { RemoteInfo, Socket } from 'node:dgram';
import { ERROR_CODES, invalidOptions, QuicError } from '../errors.js';
import { AddressTokens } from './address-token.js';
import type { CidHost } from './connection-ids.js';
import { rememberedLimits } from './early-data.js';
import {
  connectionTuning,
  localTransportParameters,
  type QuicConnectOptions,
  type QuicEndpointOptions,
  qlogDirOf,
  validateEndpointOptions,
} from './endpoint-options.js';
import { fileKeyLogger, type KeyLogger } from './key-log.js';
import { BASE_DATAGRAM } from './mtu-discovery.js';
import { type LongHeader, parsePacketHeader, versionNegotiationPacket } from './packet-header.js';
import { prepareQlogDir } from './qlog.js';
import { QuicConnection } from './quic-connection.js';
import { retryPacket } from './retry-packet.js';
import { type PreparedServerTls, prepareServerTls, type QuicServerTls } from './server-tls.js';
import { splitPemBundle } from './tls/certificate-check.js';
import type { TicketSettings } from './tls/server-resumption.js';
import { ticketSettings } from './tls/ticket-keys.js';
import { TlsClient } from './tls/tls-client.js';
import { loadServerIdentity, TlsServer } from './tls/tls-server.js';
import { decodeTransportParameters, encodeTransportParameters } from './transport-parameters.js';
import { bindSocket, resolveHost } from './udp-socket.js';
import { QUIC_V1, SUPPORTED_VERSIONS, versionProfile } from './version.js';
import { chooseServerVersion, clientVersionInformation } from './version-negotiation.js';

export type { QuicConnectOptions, QuicEndpointOptions } from './endpoint-options.js';

/** Length of the connection IDs this endpoint issues. */
const CID_LENGTH = 8;
/** NEW_TOKEN tokens a client endpoint keeps (one per server address). */
const MAX_STORED_TOKENS = 256;
/** A stateless reset is at least this long, so it looks like a short-header packet (RFC 9000 §10.3). */
const MIN_STATELESS_RESET = 21;

// A view, not Buffer.from(b), which would copy the bytes first: this runs per datagram.
const hexOf = (b: Uint8Array): string =>
  Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');

/**
 * A QUIC endpoint on one node:dgram socket: it routes datagrams to connections by destination
 * connection ID, accepts new connections when it has a certificate, answers unknown versions
 * with Version Negotiation, and opens client connections.
 */
export class QuicEndpoint {
  #socket: Socket;
  readonly #options: QuicEndpointOptions;
  /** Set when this endpoint accepts connections (it has a certificate). */
  #identity: PreparedServerTls | undefined;
  readonly #connections = new Map<string, QuicConnection>();
  /** The peers' stateless reset tokens (hex) and the connection each one would end. */
  readonly #resetTokens = new Map<string, QuicConnection>();
  /** A server's current address of each client (it changes when the client migrates). */
  readonly #peers = new Map<QuicConnection, { address: string; port: number }>();
  readonly #tokens: AddressTokens;
  /**
   * Derives each connection ID's stateless reset token, so a reset needs no state (§10.3.2).
   * A KeyObject: raw bytes make node 24's createHmac build and drop two TypeErrors per call.
   */
  readonly #resetKey = createSecretKey(randomBytes(32));
  /** NEW_TOKEN tokens received as a client, by server address, newest last. */
  readonly #receivedTokens = new Map<string, Uint8Array>();
  #isClosed = false;
  readonly #keyLog: KeyLogger | undefined;
  readonly #qlogDir: string | undefined;
  /** A server's session ticket key and lifetime, unless tickets are off. */
  readonly #tickets: TicketSettings | undefined;
  /** A server's accepted QUIC versions, preferred first. */
  readonly #versions: readonly number[];

  private constructor(
    socket: Socket,
    options: QuicEndpointOptions,
    identity: PreparedServerTls | undefined,
  ) {
    this.#socket = socket;
    this.#options = options;
    this.#identity = identity;
    this.#tokens = new AddressTokens(options.newTokenLifetimeMs ?? 24 * 60 * 60 * 1000);
    const keyLogFile = options.keyLogFile ?? process.env['SSLKEYLOGFILE'];
    if (keyLogFile) this.#keyLog = fileKeyLogger(keyLogFile);
    this.#qlogDir = qlogDirOf(options);
    // 0-RTT data was sent under the server's limits: a ticket from other settings gets none.
    const earlyDataContext = options.earlyData
      ? new TextEncoder().encode(JSON.stringify(options.transport ?? {}))
      : undefined;
    this.#tickets = ticketSettings(options.sessionTickets, earlyDataContext);
    this.#versions = options.versions ?? SUPPORTED_VERSIONS;
    this.#listen(socket);
  }

  #listen(socket: Socket): void {
    // UDP send errors (ICMP unreachable and the like) are loss; recovery deals with them.
    socket.on('error', () => {});
    socket.on('message', (msg, rinfo) =>
      this.#onDatagram(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), rinfo),
    );
  }

  /**
   * A client endpoint moves to a new local port: it binds a new UDP socket, closes the old one,
   * and each connection migrates to the new path (RFC 9000 §9). Servers cannot move.
   */
  async rebind(): Promise<void> {
    if (this.#identity !== undefined)
      throw invalidOptions('a QUIC server endpoint cannot move to another port');
    const { address } = this.#socket.address();
    const socket = await bindSocket(address, 0);
    const old = this.#socket;
    this.#socket = socket;
    this.#listen(socket);
    old.close();
    for (const connection of new Set(this.#connections.values())) connection.onLocalAddressChange();
  }

  /** Binds a UDP socket and returns the endpoint. */
  static async bind(options: QuicEndpointOptions = {}): Promise<QuicEndpoint> {
    const host = options.host ?? '127.0.0.1';
    validateEndpointOptions(options);
    const qlogDir = qlogDirOf(options);
    if (qlogDir !== undefined) prepareQlogDir(qlogDir);
    const identity = options.tls ? prepareServerTls(options.tls) : undefined;
    const socket = await bindSocket(host, options.port ?? 0);
    try {
      return new QuicEndpoint(socket, options, identity);
    } catch (error) {
      // Options the constructor rejects (session ticket settings) must not leave the port bound.
      socket.close();
      throw error;
    }
  }

  /**
   * Replaces a server's certificates and client certificate settings (a reload); connections
   * accepted from now on use them, open ones keep theirs. Throws on a bad certificate or key,
   * leaving the old settings in place.
   */
  setServerTls(tls: QuicServerTls): void {
    if (this.#identity === undefined)
      throw invalidOptions('setServerTls() on an endpoint that was bound without tls');
    this.#identity = prepareServerTls(tls);
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

  /** Opens a connection and resolves once its handshake completes. */
  async connect(options: QuicConnectOptions): Promise<QuicConnection> {
    return this.#connect(options, undefined);
  }

  /** `rejectedVersion`: the version a Version Negotiation packet refused (one restart only). */
  async #connect(
    options: QuicConnectOptions,
    rejectedVersion: number | undefined,
  ): Promise<QuicConnection> {
    if (this.#isClosed) throw new QuicError(ERROR_CODES.PEER_CLOSED, 'the endpoint is closed', 0);
    const profile = versionProfile(options.version ?? QUIC_V1);
    if (profile === undefined)
      throw invalidOptions(
        `QUIC version 0x${(options.version ?? 0).toString(16)} is not supported`,
      );
    // Resolved once, here: dgram would look a name up again for every datagram, and a lookup
    // still pending when close() closes the socket loses its datagram (the final
    // CONNECTION_CLOSE, so the server noticed the client gone only at its idle timeout).
    const address = await resolveHost(options.host, this.#socket);
    if (this.#isClosed) throw new QuicError(ERROR_CODES.PEER_CLOSED, 'the endpoint is closed', 0);
    if ((options.cert === undefined) !== (options.key === undefined))
      throw invalidOptions('a client certificate needs both cert and key');
    const certificate =
      options.cert === undefined ? undefined : loadServerIdentity(options.cert, options.key!);
    const localCid = randomBytes(CID_LENGTH);
    const originalDcid = randomBytes(CID_LENGTH);
    const params = localTransportParameters(this.#options, localCid, {
      versionInformation: clientVersionInformation(profile.version),
    });
    const serverKey = `${options.host} ${options.port}`;
    const token = this.#receivedTokens.get(serverKey);
    const connection: QuicConnection = new QuicConnection({
      role: 'client',
      cids: this.#cidHost(() => connection),
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
            // A PEM may hold several certificates (a CA bundle file), each its own anchor.
            ...(options.ca ? { ca: options.ca.flatMap(splitPemBundle) } : {}),
            ...(options.rejectUnauthorized === undefined
              ? {}
              : { rejectUnauthorized: options.rejectUnauthorized }),
            ...(options.groups ? { groups: options.groups } : {}),
            ...(options.keyShares ? { keyShares: options.keyShares } : {}),
            ...(certificate ? { certificate } : {}),
            ...(options.requestOcsp ? { requestOcsp: true } : {}),
            ...(options.sessionTicket ? { sessionTicket: options.sessionTicket } : {}),
            ...(options.onSessionTicket ? { onSessionTicket: options.onSessionTicket } : {}),
            ...(options.earlyData ? { earlyData: true } : {}),
            ...(this.#options.cipherSuites ? { cipherSuites: this.#options.cipherSuites } : {}),
          },
          callbacks,
        ),
      ...(token ? { token } : {}),
      ...rememberedLimits(options.sessionTicket, options.earlyData === true),
      ...(rejectedVersion === undefined ? {} : { rejectedVersion }),
      onNewToken: (received) => {
        this.#receivedTokens.delete(serverKey);
        this.#receivedTokens.set(serverKey, received);
        // Bounded: the oldest server's token goes first.
        if (this.#receivedTokens.size > MAX_STORED_TOKENS)
          this.#receivedTokens.delete(this.#receivedTokens.keys().next().value!);
      },
      ...(this.#keyLog ? { keyLog: this.#keyLog } : {}),
      ...connectionTuning(this.#options, this.#qlogDir, originalDcid, 'client'),
      send: (datagram) => this.#socket.send(datagram, options.port, address),
      remote: { address, port: options.port },
      onClosed: (c) => this.#forget(c),
    });
    this.#connections.set(hexOf(localCid), connection);
    if (options.onStream) connection.onStream = options.onStream;
    connection.start();
    // With 0-RTT keys the application may send now; the handshake finishes in the background.
    if (connection.tlsSession.earlyData === 'offered') return connection;
    try {
      await connection.handshake;
    } catch (err) {
      // Incompatible version negotiation (RFC 9000 §6.2): start over once in the server's version.
      const next = connection.retryVersion;
      if (next === undefined || rejectedVersion !== undefined) throw err;
      return this.#connect({ ...options, version: next }, profile.version);
    }
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
      if (header === null) {
        // Perhaps a stateless reset too short to parse as a packet with our CID length.
        if (isFirst) this.#onUnopened(buf, undefined, rinfo);
        return;
      }
      if (header.form === 'version-negotiation') {
        this.#connections.get(hexOf(header.dcid))?.receiveVersionNegotiation(header.versions);
        return;
      }
      if (header.form === 'retry') {
        this.#connections
          .get(hexOf(header.dcid))
          ?.receiveRetry(buf.subarray(header.start, header.end), header.scid, header.token);
        return;
      }
      if (header.form === 'unsupported-version') {
        if (this.#identity && buf.length >= BASE_DATAGRAM) {
          this.#socket.send(
            versionNegotiationPacket(header.dcid, header.scid, this.#versions),
            rinfo.port,
            rinfo.address,
          );
        }
        return;
      }
      let connection = this.#connections.get(hexOf(header.dcid));
      const isNew =
        connection === undefined && header.form === 'long' && header.type === 'initial' && isFirst;
      if (isNew) connection = this.#accept(header, buf.length, rinfo);
      if (connection === undefined) {
        if (header.form === 'short') this.#onUnopened(buf, header.dcid, rinfo);
        return;
      }
      const isAuthentic = connection.receivePacket(buf, header, isFirst ? buf.length : 0);
      if (isAuthentic && !isNew) this.#followPeer(connection, rinfo, buf.length);
      if (!isAuthentic && header.form === 'short' && connection.checkStatelessReset(buf)) return;
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

  #accept(header: LongHeader, size: number, rinfo: RemoteInfo): QuicConnection | undefined {
    const { dcid, scid } = header;
    // A client's first Initial arrives in a datagram of at least 1200 bytes (RFC 9000 §14.1),
    // with a DCID of at least 8 bytes (§7.2), unless it follows our Retry.
    if (this.#identity === undefined || this.#isClosed || size < BASE_DATAGRAM) return undefined;
    const identity = this.#identity;
    if (!this.#versions.includes(header.version)) {
      // A version we speak but do not accept here: negotiate (RFC 9000 §6.1).
      const packet = versionNegotiationPacket(header.dcid, header.scid, this.#versions);
      this.#socket.send(packet, rinfo.port, rinfo.address);
      return undefined;
    }
    const profile = versionProfile(header.version)!;
    const now = Date.now();
    const claim =
      header.token.length > 0
        ? this.#tokens.validate(header.token, rinfo.address, rinfo.port, now)
        : undefined;
    if (claim === undefined && this.#options.requireAddressValidation) {
      if (dcid.length < 8) return undefined;
      // Stateless: everything needed later travels in the token (RFC 9000 §8.1.2).
      const retryCid = randomBytes(CID_LENGTH);
      const token = this.#tokens.issueRetry(rinfo.address, rinfo.port, dcid, retryCid, now);
      this.#socket.send(
        retryPacket(profile, scid, retryCid, token, dcid),
        rinfo.port,
        rinfo.address,
      );
      return undefined;
    }
    if (claim?.kind !== 'retry' && dcid.length < 8) return undefined;
    const localCid = randomBytes(CID_LENGTH);
    const peer = { address: rinfo.address, port: rinfo.port };
    // The Initial keys come from the DCID of this packet; after a Retry that is our Retry's
    // SCID, and the client's first DCID comes back in the token.
    const originalDcid = dcid.slice();
    const params = localTransportParameters(
      this.#options,
      localCid,
      claim?.kind === 'retry'
        ? {
            originalDestinationConnectionId: claim.originalDcid,
            retrySourceConnectionId: claim.retrySourceCid,
          }
        : { originalDestinationConnectionId: originalDcid },
    );
    params.statelessResetToken = this.#resetToken(localCid);
    const connection: QuicConnection = new QuicConnection({
      role: 'server',
      cids: this.#cidHost(() => connection),
      profile,
      localCid,
      remoteCid: scid.slice(),
      originalDcid,
      localParameters: params,
      createTls: (callbacks) =>
        new TlsServer(
          {
            alpn: this.#options.alpn ?? [],
            // The version is settled once the client's version_information is known (RFC 9368).
            transportParameters: (clientParameters) => {
              const info = decodeTransportParameters(clientParameters, 'client').versionInformation;
              // Without a `versions` preference the client's own version stays.
              const preferred = this.#options.versions ?? [profile.version];
              const chosen = chooseServerVersion(profile.version, info, preferred);
              if (chosen !== profile.version) connection.switchVersion(chosen);
              const available = this.#versions;
              return encodeTransportParameters({
                ...params,
                versionInformation: { chosen, available },
              });
            },
            ...(this.#options.cipherSuites ? { cipherSuites: this.#options.cipherSuites } : {}),
            ...(this.#options.groups ? { groups: this.#options.groups } : {}),
            ...(identity.clientAuth ? { clientAuth: identity.clientAuth } : {}),
            ...(identity.ocspResponse ? { ocspResponse: identity.ocspResponse } : {}),
            ...(this.#tickets ? { tickets: this.#tickets } : {}),
          },
          identity.identity,
          callbacks,
        ),
      isAddressValidated: claim !== undefined,
      issueNewToken: () => this.#tokens.issueNewToken(rinfo.address, Date.now()),
      ...(this.#keyLog ? { keyLog: this.#keyLog } : {}),
      ...connectionTuning(this.#options, this.#qlogDir, originalDcid, 'server'),
      send: (datagram) => this.#socket.send(datagram, peer.port, peer.address),
      // A live view: the endpoint updates it when the client migrates.
      remote: peer,
      onClosed: (c) => this.#forget(c),
    });
    this.#peers.set(connection, peer);
    // The client keeps using its original DCID until it sees our connection ID.
    this.#connections.set(hexOf(localCid), connection);
    this.#connections.set(hexOf(originalDcid), connection);
    return connection;
  }

  #resetToken(cid: Uint8Array): Uint8Array {
    return new Uint8Array(
      createHmac('sha256', this.#resetKey).update(cid).digest().subarray(0, 16),
    );
  }

  #cidHost(connection: () => QuicConnection): CidHost {
    return {
      newCid: () => {
        const cid = randomBytes(CID_LENGTH);
        this.#connections.set(hexOf(cid), connection());
        return { cid, resetToken: this.#resetToken(cid) };
      },
      retireCid: (cid) => {
        this.#connections.delete(hexOf(cid));
      },
      peerResetToken: (token, isActive) => {
        if (isActive) this.#resetTokens.set(hexOf(token), connection());
        else this.#resetTokens.delete(hexOf(token));
      },
    };
  }

  /**
   * A datagram no connection could open: a stateless reset for one of ours ends that connection;
   * otherwise a short header with one of our connection IDs' length is answered with a stateless
   * reset, shorter than the datagram so two endpoints cannot loop (RFC 9000 §10.3).
   */
  #onUnopened(buf: Uint8Array, dcid: Uint8Array | undefined, rinfo: RemoteInfo): void {
    if (buf.length < MIN_STATELESS_RESET) return;
    // One map lookup per datagram, however many connections: garbage floods stay cheap.
    const tail = hexOf(buf.subarray(buf.length - 16));
    if (this.#resetTokens.get(tail)?.checkStatelessReset(buf)) return;
    if (dcid === undefined || dcid.length !== CID_LENGTH || this.#isClosed) return;
    const length = Math.min(buf.length - 1, 43);
    if (length < MIN_STATELESS_RESET) return;
    const reset = randomBytes(length);
    reset[0] = 0x40 | (reset[0]! & 0x3f);
    reset.set(this.#resetToken(dcid), length - 16);
    this.#socket.send(reset, rinfo.port, rinfo.address);
  }

  /** A server connection's client sent an authentic packet from a new address (migration). */
  #followPeer(connection: QuicConnection, rinfo: RemoteInfo, size: number): void {
    const peer = this.#peers.get(connection);
    if (peer === undefined || (peer.address === rinfo.address && peer.port === rinfo.port)) return;
    if (!connection.onPeerAddressChange(size)) return;
    peer.address = rinfo.address;
    peer.port = rinfo.port;
  }

  #forget(connection: QuicConnection): void {
    this.#peers.delete(connection);
    for (const [key, value] of this.#resetTokens)
      if (value === connection) this.#resetTokens.delete(key);
    for (const [key, value] of this.#connections)
      if (value === connection) this.#connections.delete(key);
  }

  /** Closes every connection (application error 0) and the socket. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    const open = [...new Set(this.#connections.values())];
    for (const connection of open) connection.close(0, 'endpoint closing');
    // Closing the socket cancels sends still queued, the CONNECTION_CLOSEs just made among
    // them: let them leave first (the address lookup of send() takes a tick), briefly.
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 20 && this.#socket.getSendQueueCount() > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
