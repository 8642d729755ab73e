import { ERROR_CODES, QuicError } from '../errors.js';
import {
  type ConnectionParts,
  connectionStats,
  type LiveState,
  makeFrameHost,
  makeSendContext,
  makeSender,
} from './connection-adapters.js';
import { closeFrameForError, placeClose } from './connection-close.js';
import {
  type ConnectionConfig,
  type ConnectionStats,
  LEVEL_OF,
  SPACES,
} from './connection-config.js';
import { ConnectionIds } from './connection-ids.js';
import { ConnectionReceiver } from './connection-receive.js';
import type { ConnectionSender } from './connection-sender.js';
import { ConnectionTimeouts } from './connection-timeouts.js';
import { deriveInitialKeys } from './crypto/initial-secrets.js';
import { verifyRetryIntegrity } from './crypto/retry-integrity.js';
import { buildCloseDatagram, type SendContext } from './datagram-builder.js';
import { resendRejectedEarlyData } from './early-data.js';
import type { FrameHost } from './frame-dispatch.js';
import { FrameScheduler } from './frame-scheduler.js';
import type { ConnectionCloseFrame } from './frames.js';
import { restartInitial, sameBytes } from './handshake-cids.js';
import { KeyUpdate } from './key-update.js';
import { LossRecovery } from './loss-recovery.js';
import { BASE_DATAGRAM, DEFAULT_MAX_DATAGRAM } from './mtu-discovery.js';
import { MtuProber } from './mtu-prober.js';
import type { LongHeader, ShortHeader } from './packet-header.js';
import { PacketSpace, type SpaceName } from './packet-space.js';
import { applyPeerParameters } from './peer-parameters.js';
import { PeerPath } from './peer-path.js';
import type { QlogTrace } from './qlog.js';
import type { QuicStream } from './quic-stream.js';
import { StreamSet } from './stream-set.js';
import type { TlsHandshake, TlsSessionInfo } from './tls/tls-types.js';
import { installTrafficSecret } from './traffic-secrets.js';
import { decodeTransportParameters } from './transport-parameters.js';
import { ConnectionVersion, rekeyInitial } from './version-negotiation.js';

export type { ConnectionConfig, ConnectionStats } from './connection-config.js';

/**
 * One QUIC connection: packet protection per space, the TLS handshake over CRYPTO frames, ACKs,
 * loss detection with PTO, congestion control (CUBIC or NewReno) with pacing, flow control and streams. It is driven by the endpoint
 * (datagrams in, `send` out) and by its own timer; nothing here touches a socket.
 * @see RFC 9000, RFC 9001, RFC 9002
 */
export class QuicConnection {
  readonly #config: ConnectionConfig;
  readonly #spaces: Record<SpaceName, PacketSpace> = {
    initial: new PacketSpace('initial'),
    handshake: new PacketSpace('handshake'),
    application: new PacketSpace('application'),
  };
  /** The spaces in datagram order (one array, not one per datagram). */
  readonly #spaceList: readonly PacketSpace[] = SPACES.map((name) => this.#spaces[name]);
  readonly #tls: TlsHandshake & { start?(): void };
  readonly #recovery: LossRecovery;
  readonly #streams: StreamSet;
  readonly #frames: FrameScheduler;
  readonly #sendContext: SendContext;
  readonly #frameHost: FrameHost;
  /** The QUIC version in use; compatible negotiation may change it (version-negotiation.ts). */
  readonly #version: ConnectionVersion;
  readonly #ids: ConnectionIds;
  readonly #live: LiveState;
  readonly #parts: ConnectionParts;
  readonly #receiver: ConnectionReceiver;
  /** A client: the SCID of the Retry it followed (RFC 9000 §7.3 checks it). */
  #retrySourceCid: Uint8Array | undefined;
  readonly #timeouts: ConnectionTimeouts;
  readonly #sender: ConnectionSender;
  readonly #qlog: QlogTrace | undefined;
  readonly #mtu: MtuProber;
  #isClosedLocally = false;
  #packetsSent = 0;
  readonly #path: PeerPath;
  #resolveHandshake!: () => void;
  #rejectHandshake!: (err: QuicError) => void;
  #resolveClosed!: (err: QuicError | undefined) => void;
  /** Resolves when the handshake completes (rejects when the connection closes first). */
  readonly handshake: Promise<void>;
  /** Resolves when the connection is gone, with the error that ended it (undefined for a clean close). */
  readonly closed: Promise<QuicError | undefined>;

  constructor(config: ConnectionConfig) {
    this.#config = config;
    this.#version = new ConnectionVersion(
      config.profile,
      config.role,
      config.localParameters.versionInformation?.available ?? [],
      config.rejectedVersion,
    );
    this.#recovery = new LossRecovery(BASE_DATAGRAM, config.congestionControl);
    this.#qlog = config.qlog;
    this.#qlog?.attach(config, this.#recovery);
    this.#mtu = new MtuProber(
      config.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM,
      this.#recovery,
      this.#qlog,
    );
    this.#path = new PeerPath(config.role === 'client' || config.isAddressValidated === true);
    const recovery = this.#recovery;
    this.#streams = new StreamSet(config.role, config.localParameters, config, {
      scheduleFlush: () => this.scheduleFlush(),
      queueControl: (frame) => this.#frames.control.push(frame),
      get smoothedRttMs() {
        return recovery.rtt.smoothed;
      },
    });
    this.#frames = new FrameScheduler(
      this.#streams,
      this.#recovery,
      config.localParameters.ackDelayExponent,
    );
    this.#ids = new ConnectionIds(
      config.cids,
      config.localCid,
      config.remoteCid,
      config.localParameters.activeConnectionIdLimit,
    );
    this.#live = {
      remoteCid: config.remoteCid,
      token: config.token ?? new Uint8Array(0),
      keyUpdate: new KeyUpdate(this.#spaces.application, config.profile),
      state: 'open',
      isHandshakeConfirmed: false,
      packetDcid: undefined,
      peer: undefined,
    };
    this.#parts = {
      config,
      live: this.#live,
      version: this.#version,
      recovery: this.#recovery,
      frames: this.#frames,
      streams: this.#streams,
      path: this.#path,
      ids: this.#ids,
      mtu: this.#mtu,
      spaces: this.#spaces,
      spaceList: this.#spaceList,
    };
    this.#sendContext = makeSendContext(this.#parts, (space, type, pn, frames, size) => {
      this.#packetsSent++;
      this.#qlog?.packet('sent', type, pn, frames, size, 0);
      if (space.name === 'application') this.#live.keyUpdate.onSealed(pn);
      // The client drops Initial keys once it sends its first Handshake packet (RFC 9001 §4.9.1).
      if (space.name === 'handshake' && config.role === 'client') this.#discardSpace('initial');
    });
    this.#frameHost = makeFrameHost(this.#parts, {
      onAck: (space, ack) => this.#receiver.onAck(space, ack),
      onCryptoData: (space, chunk) => this.#tls.receive(space.name, chunk),
      afterTlsProgress: () => this.#afterTlsProgress(),
      confirmHandshake: () => this.#confirmHandshake(),
      finish: (error, isClean) => this.#finish(error, isClean),
    });
    this.#timeouts = new ConnectionTimeouts(this.#parts, {
      isTlsComplete: () => this.#tls.isComplete,
      finish: (error, isClean) => this.#finish(error, isClean),
      requeue: (space, packet) => this.#receiver.requeue(space, packet),
      afterRecovery: () => this.#receiver.afterRecovery(),
      flush: () => this.#sender.flush(),
    });
    this.#receiver = new ConnectionReceiver(this.#parts, {
      timeouts: this.#timeouts,
      frameHost: this.#frameHost,
      qlog: this.#qlog,
      switchVersion: (version) => this.switchVersion(version),
      discardSpace: (name) => this.#discardSpace(name),
      scheduleFlush: () => this.scheduleFlush(),
      fail: (err) => this.#fail(err),
    });
    this.#sender = makeSender(this.#parts, this.#sendContext, {
      armTimer: () => this.#timeouts.arm(),
      fail: (err) => this.#fail(err),
    });
    this.handshake = new Promise((resolve, reject) => {
      this.#resolveHandshake = resolve;
      this.#rejectHandshake = reject;
    });
    this.handshake.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    const initial = deriveInitialKeys(config.profile, config.originalDcid);
    const isClient = config.role === 'client';
    this.#spaces.initial.readKeys = isClient ? initial.server : initial.client;
    this.#spaces.initial.writeKeys = isClient ? initial.client : initial.server;
    this.#tls = config.createTls({
      sendHandshake: (level, data) => this.#spaces[LEVEL_OF[level]].queueCrypto(data),
      installSecret: (level, direction, suite, secret) =>
        installTrafficSecret(this.#parts, this.#tls.clientRandom, level, direction, suite, secret),
      earlyDataRejected: () =>
        resendRejectedEarlyData(this.#spaces.application, this.#recovery, this.#frames),
    });
    // 0-RTT: the server's remembered limits apply until its new ones arrive (RFC 9000 §7.4.1).
    if (config.rememberedParameters) this.#streams.setPeer(config.rememberedParameters);
    this.#timeouts.touchIdle();
  }

  /** The peer's UDP address, when the endpoint knows it. */
  get remote(): { readonly address: string; readonly port: number } | undefined {
    return this.#config.remote;
  }

  /** A client refused by a Version Negotiation packet: the version to start over in. */
  get retryVersion(): number | undefined {
    return this.#version.retryVersion;
  }

  /** The QUIC version in use (it may change once, by compatible negotiation). */
  get version(): number {
    return this.#version.profile.version;
  }

  /** The negotiated application protocol (after the handshake). */
  get alpn(): string | undefined {
    return this.#tls.alpn;
  }

  /** Streams this connection still tracks: open ones and finished ones awaiting ACKs. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** SNI, the peer's certificate and a stapled OCSP response, as the handshake found them. */
  get tlsSession(): TlsSessionInfo {
    return this.#tls;
  }

  /** The negotiated TLS cipher suite's name (after the handshake). */
  get cipherSuite(): string | undefined {
    return this.#tls.suite?.name;
  }

  /** Our connection ID. */
  get localCid(): Uint8Array {
    return this.#config.localCid;
  }

  get stats(): ConnectionStats {
    return connectionStats(
      this.#parts,
      { bytesReceived: this.#receiver.bytesReceived, packetsSent: this.#packetsSent },
      this.#sender.bytesSent,
    );
  }

  /** Client only: sends the first Initial. */
  start(): void {
    this.#tls.start?.();
    this.scheduleFlush();
  }

  /**
   * Starts a 1-RTT key update (RFC 9001 §6); returns false when one is not allowed yet: before
   * the handshake is confirmed, or before a packet sent with the current keys was acknowledged.
   */
  updateKeys(): boolean {
    if (
      this.#live.state !== 'open' ||
      !this.#live.keyUpdate.canInitiate(this.#live.isHandshakeConfirmed)
    )
      return false;
    this.#live.keyUpdate.initiate();
    return true;
  }

  /** Whether the read keys of the previous key phase are still kept (three PTOs after an update). */
  get hasPreviousReadKeys(): boolean {
    return this.#live.keyUpdate.hasPreviousReadKeys(performance.now());
  }

  /** Opens a bidirectional stream; throws when the peer's stream limit is reached. */
  openStream(): QuicStream {
    if (this.#live.state !== 'open')
      throw new QuicError(ERROR_CODES.STREAM_RESET, 'the connection is closed', 0);
    return this.#streams.open();
  }

  /** Opens a unidirectional (send-only) stream; throws at the peer's limit for them. */
  openUniStream(): QuicStream {
    if (this.#live.state !== 'open')
      throw new QuicError(ERROR_CODES.STREAM_RESET, 'the connection is closed', 0);
    return this.#streams.open(true);
  }

  /** Called for each stream the peer opens. */
  set onStream(listener: ((stream: QuicStream) => void) | undefined) {
    this.#streams.onStream = listener;
  }

  /** Whether this client followed a Retry from the server. */
  get isRetried(): boolean {
    return this.#retrySourceCid !== undefined;
  }

  /**
   * A client: processes a Retry packet (RFC 9000 §17.2.5.2). Only the first one counts, and
   * only before any Initial from the server; one with a wrong integrity tag or no token is
   * dropped. The Initial keys change to the Retry's connection ID, the token goes into every
   * later Initial, and the ClientHello is sent again (packet numbers continue).
   */
  receiveRetry(packet: Uint8Array, scid: Uint8Array, token: Uint8Array): void {
    if (
      this.#config.role !== 'client' ||
      this.#live.state !== 'open' ||
      this.#retrySourceCid !== undefined ||
      this.#receiver.hasRemoteCidFromPeer ||
      token.length === 0 ||
      sameBytes(scid, this.#live.remoteCid) ||
      !verifyRetryIntegrity(this.#version.profile, this.#config.originalDcid, packet)
    )
      return;
    this.#retrySourceCid = scid.slice();
    this.#live.remoteCid = scid.slice();
    this.#ids.setFirstPeerCid(this.#live.remoteCid);
    this.#live.token = token.slice();
    restartInitial(this.#spaces.initial, this.#recovery, this.#version.profile, scid);
    this.scheduleFlush();
  }

  /**
   * Whether `datagram`, which did not authenticate, is a stateless reset from the peer (its
   * last 16 bytes are one of the peer's reset tokens); if so the connection ends at once,
   * sending nothing (RFC 9000 §10.3.1).
   */
  checkStatelessReset(datagram: Uint8Array): boolean {
    if (this.#live.state !== 'open' || datagram.length < 21) return false;
    if (!this.#ids.isStatelessReset(datagram.subarray(datagram.length - 16))) return false;
    this.#finish(
      new QuicError(ERROR_CODES.PEER_CLOSED, 'the peer sent a stateless reset', 0),
      false,
    );
    return true;
  }

  /** Connection IDs of ours the peer may use (the first one and those sent in NEW_CONNECTION_ID). */
  get localCidCount(): number {
    return this.#ids.localCount;
  }

  /**
   * A server: the last authenticated datagram (of `datagramBytes`) came from a new address, so
   * the peer migrated or was rebound by a NAT (RFC 9000 §9.3). Returns false before the
   * handshake is confirmed (no migration allowed then; the endpoint keeps the old address).
   * Otherwise the new path is validated with PATH_CHALLENGE, limited to three times what it
   * received until then, and our packets move to a fresh connection ID of the peer when it
   * gave us one (§9.5). Congestion state is kept: on loopback and behind a NAT the path is
   * the same one.
   */
  onPeerAddressChange(datagramBytes: number): boolean {
    if (this.#live.state !== 'open' || !this.#live.isHandshakeConfirmed) return false;
    this.#frames.control.push(this.#path.moveTo(datagramBytes));
    this.#moveToNewPeerCid();
    this.scheduleFlush();
    return true;
  }

  /**
   * A client: our local address changed (the endpoint rebound its socket). Our packets move to
   * a fresh connection ID of the peer, and a PATH_CHALLENGE checks the new path both ways.
   * @see RFC 9000 §9.2, §9.5
   */
  onLocalAddressChange(): void {
    if (this.#live.state !== 'open') return;
    this.#moveToNewPeerCid();
    this.#frames.control.push(this.#path.challenge());
    this.scheduleFlush();
  }

  #moveToNewPeerCid(): void {
    const retire = this.#ids.rotatePeerCid();
    if (retire === undefined) return;
    this.#frames.control.push(retire);
    this.#live.remoteCid = this.#ids.activePeerCid;
  }

  /**
   * Moves to another compatible QUIC version (RFC 9368 §6) before handshake keys exist: a
   * server choosing it from the client's version_information, a client on the server's first
   * packet in it. Initial keys change; Handshake and 1-RTT keys are derived for the new one.
   */
  switchVersion(version: number): void {
    const profile = this.#version.switchTo(version);
    this.#live.keyUpdate = new KeyUpdate(this.#spaces.application, profile);
    const cid = this.#retrySourceCid ?? this.#config.originalDcid;
    rekeyInitial(this.#spaces.initial, profile, cid, this.#config.role);
  }

  /**
   * A client: a Version Negotiation packet before any packet from the server (RFC 9000 §6.2)
   * ends the attempt when it lists a version we speak; `retryVersion` says which.
   */
  receiveVersionNegotiation(versions: readonly number[]): void {
    if (
      this.#config.role !== 'client' ||
      this.#live.state !== 'open' ||
      this.#receiver.hasRemoteCidFromPeer
    )
      return;
    const reason = this.#version.onVersionNegotiation(versions);
    if (reason !== undefined)
      this.#finish(new QuicError(ERROR_CODES.PEER_CLOSED, reason, 0), false);
  }

  /** Forgets the connection without sending anything (a server's first packet did not authenticate). */
  abandon(): void {
    this.#finish(
      new QuicError(ERROR_CODES.PEER_CLOSED, 'the first packet did not authenticate', 0),
      false,
    );
  }

  /** Closes the connection with an application error code (0: no error). */
  close(errorCode = 0, reason = ''): void {
    this.#closeWith(
      { type: 'connection_close', isApplication: true, errorCode, frameType: 0, reason },
      undefined,
    );
  }

  /**
   * Processes one packet the endpoint routed here (already split out of its datagram); returns
   * whether it authenticated (a dropped packet returns false).
   */
  receivePacket(buf: Uint8Array, header: LongHeader | ShortHeader, datagramBytes: number): boolean {
    return this.#receiver.receivePacket(buf, header, datagramBytes);
  }

  #afterTlsProgress(): void {
    if (this.#live.peer === undefined && this.#tls.peerTransportParameters !== undefined) {
      const peer = decodeTransportParameters(
        this.#tls.peerTransportParameters,
        this.#config.role === 'client' ? 'server' : 'client',
      );
      applyPeerParameters(this.#parts, peer, {
        retrySourceCid: this.#retrySourceCid,
        isEarlyDataAccepted: this.#tls.earlyData === 'accepted',
        qlog: this.#qlog,
      });
      this.#timeouts.touchIdle();
    }
    if (!this.#tls.isComplete) return;
    this.#resolveHandshake();
    if (this.#config.role === 'server' && !this.#live.isHandshakeConfirmed) {
      this.#frames.control.push({ type: 'handshake_done' });
      const token = this.#config.issueNewToken?.();
      if (token !== undefined) this.#frames.control.push({ type: 'new_token', token });
      this.#confirmHandshake();
    }
  }

  #confirmHandshake(): void {
    this.#live.isHandshakeConfirmed = true;
    this.#frames.control.push(...this.#ids.issue(this.#live.peer?.activeConnectionIdLimit ?? 2));
    this.#discardSpace('initial');
    this.#discardSpace('handshake');
  }

  #discardSpace(name: SpaceName): void {
    const space = this.#spaces[name];
    if (space.isDiscarded) return;
    this.#recovery.onDiscarded(space.discard());
  }

  // --- send path ----------------------------------------------------------------------------

  /** Coalesces pending work into one flush per event-loop turn. */
  scheduleFlush(): void {
    this.#sender.scheduleFlush();
  }

  // --- closing ------------------------------------------------------------------------------

  #fail(err: unknown): void {
    const { error, frame } = closeFrameForError(err);
    this.#closeWith(frame, error);
  }

  #closeWith(frame: ConnectionCloseFrame, error: QuicError | undefined): void {
    if (this.#live.state !== 'open') return;
    this.#isClosedLocally = true;
    const placed = placeClose(frame, this.#spaces, this.#tls.isComplete);
    const datagram = buildCloseDatagram(
      this.#sendContext,
      placed.spaces,
      placed.frame,
      performance.now(),
    );
    if (datagram !== undefined) this.#config.send(datagram);
    this.#finish(
      error ?? new QuicError(ERROR_CODES.PEER_CLOSED, 'the connection was closed', 0),
      error === undefined,
    );
  }

  #finish(error: QuicError, isClean: boolean): void {
    if (this.#live.state !== 'open') return;
    this.#live.state = 'closed';
    this.#timeouts.clear();
    this.#sender.clear();
    this.#rejectHandshake(error);
    this.#streams.closeAll(error);
    this.#resolveClosed(isClean ? undefined : error);
    this.#qlog?.connectionClosed(error, isClean, this.#isClosedLocally);
    this.#config.onClosed(this);
  }
}
