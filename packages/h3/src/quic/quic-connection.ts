import { ERROR_CODES, QuicError, TRANSPORT_ERROR, transportError } from '../errors.js';
import { closeFrameForError, placeClose } from './connection-close.js';
import {
  type ConnectionConfig,
  type ConnectionStats,
  LEVEL_OF,
  SPACES,
} from './connection-config.js';
import { ConnectionIds } from './connection-ids.js';
import { ConnectionTimer, effectiveIdleTimeout } from './connection-timer.js';
import type { CipherSuite } from './crypto/cipher-suite.js';
import { deriveInitialKeys } from './crypto/initial-secrets.js';
import { PacketKeys } from './crypto/packet-keys.js';
import { verifyRetryIntegrity } from './crypto/retry-integrity.js';
import { buildCloseDatagram, type SendContext } from './datagram-builder.js';
import { dispatchFrame, type FrameHost } from './frame-dispatch.js';
import { parseFrames } from './frame-parser.js';
import { FrameScheduler } from './frame-scheduler.js';
import { type AckFrame, type ConnectionCloseFrame, isAckEliciting } from './frames.js';
import { checkHandshakeCids, restartInitial, sameBytes } from './handshake-cids.js';
import { isClientTrafficSecret, keyLogLine } from './key-log.js';
import { KeyUpdate } from './key-update.js';
import { LossRecovery } from './loss-recovery.js';
import { BASE_DATAGRAM, DEFAULT_MAX_DATAGRAM } from './mtu-discovery.js';
import { MtuProber } from './mtu-prober.js';
import type { LongHeader, ShortHeader } from './packet-header.js';
import { openReceived } from './packet-protection.js';
import { PacketSpace, type SentPacket, type SpaceName, spaceOfHeader } from './packet-space.js';
import { PeerPath } from './peer-path.js';
import type { QlogTrace } from './qlog.js';
import type { QuicStream } from './quic-stream.js';
import { buildBurst } from './send-burst.js';
import { SendWake } from './send-wake.js';
import { StreamSet } from './stream-set.js';
import type { EncryptionLevel, TlsHandshake, TlsSessionInfo } from './tls/tls-types.js';
import { decodeTransportParameters, type TransportParameters } from './transport-parameters.js';

export type { ConnectionConfig, ConnectionStats } from './connection-config.js';

/** Datagrams one flush sends before it yields to the event loop (the receive side reads then). */
const MAX_DATAGRAMS_PER_FLUSH = 32;

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
  readonly #keyUpdate: KeyUpdate;
  readonly #ids: ConnectionIds;
  /** The DCID of the packet being processed (RETIRE_CONNECTION_ID may not name it). */
  #packetDcid: Uint8Array | undefined;
  #remoteCid: Uint8Array;
  #peer: TransportParameters | undefined;
  #hasRemoteCidFromPeer = false;
  #token: Uint8Array;
  /** A client: the SCID of the Retry it followed (RFC 9000 §7.3 checks it). */
  #retrySourceCid: Uint8Array | undefined;
  #isHandshakeConfirmed = false;
  readonly #timer = new ConnectionTimer(() => this.#onTimer());
  readonly #sendWake = new SendWake(() => this.#flush());
  readonly #qlog: QlogTrace | undefined;
  readonly #mtu: MtuProber;
  #isClosedLocally = false;
  #isFlushScheduled = false;
  #state: 'open' | 'closed' = 'open';
  #stats = { bytesSent: 0, bytesReceived: 0, packetsSent: 0 };
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
    this.#recovery = new LossRecovery(BASE_DATAGRAM, config.congestionControl);
    this.#qlog = config.qlog;
    this.#qlog?.attach(config, this.#recovery);
    this.#mtu = new MtuProber(
      config.maxDatagramSize ?? DEFAULT_MAX_DATAGRAM,
      this.#recovery,
      this.#qlog,
    );
    this.#remoteCid = config.remoteCid;
    this.#path = new PeerPath(config.role === 'client' || config.isAddressValidated === true);
    this.#token = config.token ?? new Uint8Array(0);
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
    this.#keyUpdate = new KeyUpdate(this.#spaces.application, config.profile);
    this.#sendContext = this.#makeSendContext();
    this.#frameHost = this.#makeFrameHost();
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
        this.#installSecret(level, direction, suite, secret),
    });
    this.#touchIdle();
  }

  #makeSendContext(): SendContext {
    const connection = this;
    return {
      role: this.#config.role,
      profile: this.#config.profile,
      localCid: this.#config.localCid,
      get remoteCid() {
        return connection.#remoteCid;
      },
      get token() {
        return connection.#token;
      },
      get maxDatagramSize() {
        return connection.#mtu.current;
      },
      get keyPhase() {
        return connection.#keyUpdate.keyPhase;
      },
      recovery: this.#recovery,
      frames: this.#frames,
      onSealed: (space, pn, frames, size) => {
        this.#stats.packetsSent++;
        this.#qlog?.packet('sent', space.name, pn, frames, size, 0);
        if (space.name === 'application') this.#keyUpdate.onSealed(pn);
        // The client drops Initial keys once it sends its first Handshake packet (RFC 9001 §4.9.1).
        if (space.name === 'handshake' && this.#config.role === 'client')
          this.#discardSpace('initial');
      },
    };
  }

  #makeFrameHost(): FrameHost {
    const connection = this;
    return {
      role: this.#config.role,
      streams: this.#streams,
      control: this.#frames.control,
      path: this.#path,
      ids: this.#ids,
      get packetDcid() {
        return connection.#packetDcid;
      },
      get peerCidLimit() {
        return connection.#peer?.activeConnectionIdLimit ?? 2;
      },
      onAck: (space, ack) => this.#onAck(space, ack),
      onCryptoData: (space, chunk) => this.#tls.receive(space.name, chunk),
      afterTlsProgress: () => this.#afterTlsProgress(),
      confirmHandshake: () => this.#confirmHandshake(),
      onNewToken: (token) => this.#config.onNewToken?.(token),
      onPeerCidsChanged: () => {
        this.#remoteCid = this.#ids.activePeerCid;
      },
      finish: (error, isClean) => this.#finish(error, isClean),
    };
  }

  /** The peer's UDP address, when the endpoint knows it. */
  get remote(): { readonly address: string; readonly port: number } | undefined {
    return this.#config.remote;
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
    return {
      smoothedRttMs: this.#recovery.rtt.smoothed,
      receiveWindow: this.#streams.receiveWindow,
      congestionWindow: this.#recovery.cc.cwnd,
      congestionControl: this.#recovery.cc.name,
      congestionEvents: this.#recovery.cc.congestionEvents,
      packetsLost: this.#recovery.packetsLost,
      persistentCongestions: this.#recovery.persistentCongestions,
      keyUpdates: this.#keyUpdate.updates,
      maxDatagramSize: this.#mtu.current,
      pathsValidated: this.#path.validations,
      ...this.#stats,
    };
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
    if (this.#state !== 'open' || !this.#keyUpdate.canInitiate(this.#isHandshakeConfirmed))
      return false;
    this.#keyUpdate.initiate();
    return true;
  }

  /** Whether the read keys of the previous key phase are still kept (three PTOs after an update). */
  get hasPreviousReadKeys(): boolean {
    return this.#keyUpdate.hasPreviousReadKeys(performance.now());
  }

  /** Opens a bidirectional stream; throws when the peer's stream limit is reached. */
  openStream(): QuicStream {
    if (this.#state !== 'open')
      throw new QuicError(ERROR_CODES.STREAM_RESET, 'the connection is closed', 0);
    return this.#streams.open();
  }

  /** Opens a unidirectional (send-only) stream; throws at the peer's limit for them. */
  openUniStream(): QuicStream {
    if (this.#state !== 'open')
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
      this.#state !== 'open' ||
      this.#retrySourceCid !== undefined ||
      this.#hasRemoteCidFromPeer ||
      token.length === 0 ||
      sameBytes(scid, this.#remoteCid) ||
      !verifyRetryIntegrity(this.#config.profile, this.#config.originalDcid, packet)
    )
      return;
    this.#retrySourceCid = scid.slice();
    this.#remoteCid = scid.slice();
    this.#ids.setFirstPeerCid(this.#remoteCid);
    this.#token = token.slice();
    restartInitial(this.#spaces.initial, this.#recovery, this.#config.profile, scid);
    this.scheduleFlush();
  }

  /**
   * Whether `datagram`, which did not authenticate, is a stateless reset from the peer (its
   * last 16 bytes are one of the peer's reset tokens); if so the connection ends at once,
   * sending nothing (RFC 9000 §10.3.1).
   */
  checkStatelessReset(datagram: Uint8Array): boolean {
    if (this.#state !== 'open' || datagram.length < 21) return false;
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
    if (this.#state !== 'open' || !this.#isHandshakeConfirmed) return false;
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
    if (this.#state !== 'open') return;
    this.#moveToNewPeerCid();
    this.#frames.control.push(this.#path.challenge());
    this.scheduleFlush();
  }

  #moveToNewPeerCid(): void {
    const retire = this.#ids.rotatePeerCid();
    if (retire === undefined) return;
    this.#frames.control.push(retire);
    this.#remoteCid = this.#ids.activePeerCid;
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

  // --- receive path -------------------------------------------------------------------------

  /**
   * Processes one packet the endpoint routed here (already split out of its datagram); returns
   * whether it authenticated (a dropped packet returns false).
   */
  receivePacket(buf: Uint8Array, header: LongHeader | ShortHeader, datagramBytes: number): boolean {
    if (this.#state !== 'open') return false;
    if (header.start === 0) {
      this.#stats.bytesReceived += datagramBytes;
      this.#path.onReceived(datagramBytes);
    }
    const name = spaceOfHeader(header);
    if (name === undefined) return false; // 0-RTT is planned.
    const space = this.#spaces[name];
    const now = performance.now();
    const opened = openReceived(space, buf, header, this.#keyUpdate, now, this.#pto());
    if (opened === null) return false;
    try {
      const reserved = header.form === 'long' ? opened.firstByte & 0x0c : opened.firstByte & 0x18;
      if (reserved !== 0)
        throw transportError(TRANSPORT_ERROR.PROTOCOL_VIOLATION, 'reserved header bits are set');
      if (header.form === 'long' && this.#config.role === 'client' && !this.#hasRemoteCidFromPeer) {
        // The server's first long header fixes the DCID we use from now on (RFC 9000 §7.2).
        this.#remoteCid = header.scid.slice();
        this.#ids.setFirstPeerCid(this.#remoteCid);
        this.#hasRemoteCidFromPeer = true;
      }
      if (name === 'handshake' && this.#config.role === 'server' && !this.#path.isValidated) {
        this.#path.markValidated();
        this.#discardSpace('initial');
      }
      this.#packetDcid = header.form === 'short' ? header.dcid : undefined;
      const frames = parseFrames(opened.payload, name === 'application' ? '1rtt' : name);
      this.#qlog?.packet(
        'received',
        name,
        opened.pn,
        frames,
        header.end - header.start,
        this.#peer?.ackDelayExponent ?? 3,
      );
      let isEliciting = false;
      for (const frame of frames) {
        if (isAckEliciting(frame)) isEliciting = true;
        dispatchFrame(this.#frameHost, space, frame);
        if (this.#state !== 'open') return true;
      }
      space.acks.onPacket(
        opened.pn,
        isEliciting,
        now,
        // A quarter RTT, within our max_ack_delay, keeps the sender's clock going (RFC 9000 §13.2.1).
        Math.min(this.#config.localParameters.maxAckDelay, this.#recovery.rtt.smoothed / 4),
        name !== 'application',
      );
      this.#touchIdle();
      this.scheduleFlush();
    } catch (err) {
      this.#fail(err);
    }
    return true;
  }

  #installSecret(
    level: Exclude<EncryptionLevel, 'initial'>,
    direction: 'read' | 'write',
    suite: CipherSuite,
    secret: Uint8Array,
  ): void {
    if (this.#config.keyLog !== undefined && this.#tls.clientRandom !== undefined) {
      const isClientSecret = isClientTrafficSecret(this.#config.role, direction);
      this.#config.keyLog(keyLogLine(level, isClientSecret, this.#tls.clientRandom, secret));
    }
    const keys = new PacketKeys(suite, secret, this.#config.profile);
    const space = this.#spaces[LEVEL_OF[level]];
    if (direction === 'read') space.readKeys = keys;
    else space.writeKeys = keys;
  }

  #afterTlsProgress(): void {
    if (this.#peer === undefined && this.#tls.peerTransportParameters !== undefined) {
      this.#applyPeerParameters(
        decodeTransportParameters(
          this.#tls.peerTransportParameters,
          this.#config.role === 'client' ? 'server' : 'client',
        ),
      );
    }
    if (!this.#tls.isComplete) return;
    this.#resolveHandshake();
    if (this.#config.role === 'server' && !this.#isHandshakeConfirmed) {
      this.#frames.control.push({ type: 'handshake_done' });
      const token = this.#config.issueNewToken?.();
      if (token !== undefined) this.#frames.control.push({ type: 'new_token', token });
      this.#confirmHandshake();
    }
  }

  #applyPeerParameters(peer: TransportParameters): void {
    const isClient = this.#config.role === 'client';
    checkHandshakeCids(peer, {
      isClient,
      peerScid: this.#remoteCid,
      originalDcid: this.#config.originalDcid,
      retrySourceCid: this.#retrySourceCid,
    });
    this.#peer = peer;
    this.#mtu.setPeerMax(peer.maxUdpPayloadSize);
    this.#qlog?.parametersSet('remote', peer);
    if (isClient) this.#ids.setFirstPeerCid(this.#remoteCid, peer.statelessResetToken);
    this.#streams.setPeer(peer);
    this.#touchIdle();
  }

  #confirmHandshake(): void {
    this.#isHandshakeConfirmed = true;
    this.#frames.control.push(...this.#ids.issue(this.#peer?.activeConnectionIdLimit ?? 2));
    this.#discardSpace('initial');
    this.#discardSpace('handshake');
  }

  #discardSpace(name: SpaceName): void {
    const space = this.#spaces[name];
    if (space.isDiscarded) return;
    this.#recovery.onDiscarded(space.discard());
  }

  // --- acknowledgements and loss ------------------------------------------------------------

  #onAck(space: PacketSpace, ack: AckFrame): void {
    const { acked, lost } = this.#recovery.onAck(
      space,
      ack,
      this.#peer?.ackDelayExponent ?? 3,
      this.#peer?.maxAckDelay ?? 25,
      performance.now(),
    );
    for (const packet of lost) this.#requeue(space, packet);
    this.#afterRecovery();
    if (space.name === 'application') this.#keyUpdate.onAcked(ack.ranges[0]?.largest ?? -1);
    for (const packet of acked) {
      this.#mtu.onAcked(packet);
      for (const frame of packet.frames) if (frame.type === 'stream') this.#streams.onAcked(frame);
    }
  }

  /** A lost (or probe-timed-out) packet's frames go out again; a lost PMTU probe fails its size. */
  #requeue(space: PacketSpace, packet: SentPacket): void {
    this.#mtu.onLost(packet);
    this.#frames.requeue(space, packet);
  }

  #afterRecovery(): void {
    this.#mtu.afterRecovery();
    this.#qlog?.recoveryUpdated(this.#recovery);
  }

  // --- timers -------------------------------------------------------------------------------

  #touchIdle(): void {
    const local = this.#config.localParameters.maxIdleTimeout;
    const timeoutMs =
      this.#peer === undefined ? local : effectiveIdleTimeout(local, this.#peer.maxIdleTimeout);
    this.#timer.touchIdle(timeoutMs, 3 * this.#recovery.rtt.pto(0));
  }

  /** The probe timeout without backoff, including the peer's max_ack_delay. */
  #pto(): number {
    return this.#recovery.rtt.pto(this.#peer?.maxAckDelay ?? 25);
  }

  /**
   * A client whose handshake is unfinished keeps probing even with nothing in flight, so the
   * server can get out of its amplification limit (RFC 9002 §6.2.2.1).
   */
  #keepProbingSpace(): PacketSpace | undefined {
    if (this.#config.role !== 'client' || this.#tls.isComplete) return undefined;
    const hs = this.#spaces.handshake;
    return hs.writeKeys !== undefined && !hs.isDiscarded ? hs : this.#spaces.initial;
  }

  #armTimer(): void {
    if (this.#state !== 'open') return;
    this.#timer.arm(
      this.#recovery.nextDeadline(
        this.#spaceList,
        this.#peer?.maxAckDelay ?? 25,
        this.#keepProbingSpace(),
      ),
    );
  }

  #onTimer(): void {
    if (this.#state !== 'open') return;
    const now = performance.now();
    if (this.#timer.isIdleAt(now)) {
      this.#finish(
        new QuicError(
          ERROR_CODES.IDLE_TIMEOUT,
          'the QUIC connection was idle longer than its timeout',
          0,
        ),
        false,
      );
      return;
    }
    this.#recovery.onTimer(
      this.#spaceList,
      now,
      this.#peer?.maxAckDelay ?? 25,
      this.#keepProbingSpace(),
      (space, packet) => this.#requeue(space, packet),
    );
    this.#afterRecovery();
    this.#flush();
  }

  // --- send path ----------------------------------------------------------------------------

  /** Coalesces pending work into one flush per event-loop turn. */
  scheduleFlush(): void {
    if (this.#isFlushScheduled || this.#state !== 'open') return;
    this.#isFlushScheduled = true;
    queueMicrotask(() => {
      this.#isFlushScheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#state !== 'open') return;
    try {
      // A PMTU probe goes ahead of data, so a full window does not starve it.
      const probe = this.#isHandshakeConfirmed
        ? this.#mtu.probe(
            this.#sendContext,
            this.#spaces.application,
            this.#path.budget,
            performance.now(),
          )
        : undefined;
      if (probe !== undefined) this.#send(probe);
      const sent = buildBurst(
        this.#sendContext,
        this.#spaceList,
        this.#path,
        MAX_DATAGRAMS_PER_FLUSH,
        this.#stats,
      );
      for (const datagram of sent) this.#config.send(datagram);
      // More may be due: go on after the event loop has read what arrived meanwhile.
      if (sent.length === MAX_DATAGRAMS_PER_FLUSH) this.#sendWake.schedule(0);
      else if (this.#recovery.pacingDelayMs > 0 && this.#hasDataPending())
        this.#sendWake.schedule(this.#recovery.pacingDelayMs);
      this.#armTimer();
    } catch (err) {
      // A bug in our send path must end this connection, not the process.
      this.#fail(err);
    }
  }

  #hasDataPending(): boolean {
    for (const space of this.#spaceList)
      if (space.writeKeys !== undefined && this.#frames.hasPending(space)) return true;
    return false;
  }

  #send(datagram: Uint8Array): void {
    this.#stats.bytesSent += datagram.length;
    this.#path.onSent(datagram.length);
    this.#config.send(datagram);
  }

  // --- closing ------------------------------------------------------------------------------

  #fail(err: unknown): void {
    const { error, frame } = closeFrameForError(err);
    this.#closeWith(frame, error);
  }

  #closeWith(frame: ConnectionCloseFrame, error: QuicError | undefined): void {
    if (this.#state !== 'open') return;
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
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    this.#timer.clear();
    this.#sendWake.clear();
    this.#rejectHandshake(error);
    this.#streams.closeAll(error);
    this.#resolveClosed(isClean ? undefined : error);
    this.#qlog?.connectionClosed({
      initiator:
        this.#isClosedLocally || error.code === ERROR_CODES.IDLE_TIMEOUT ? 'local' : 'remote',
      reason: error.message,
      trigger:
        error.code === ERROR_CODES.IDLE_TIMEOUT
          ? 'idle_timeout'
          : isClean
            ? 'application'
            : 'error',
      ...(error.transportCode === 0 ? {} : { errorCode: error.transportCode }),
    });
    this.#config.onClosed(this);
  }
}
