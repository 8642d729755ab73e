import {
  ERROR_CODES,
  peerClosedError,
  QuicError,
  TRANSPORT_ERROR,
  transportError,
} from '../errors.js';
import { ByteWriter } from './byte-writer.js';
import type { CipherSuite } from './crypto/cipher-suite.js';
import { deriveInitialKeys } from './crypto/initial-secrets.js';
import { PacketKeys } from './crypto/packet-keys.js';
import { parseFrames } from './frame-parser.js';
import { FrameScheduler } from './frame-scheduler.js';
import { frameSize } from './frame-writer.js';
import { type AckFrame, type Frame, isAckEliciting } from './frames.js';
import { LossRecovery } from './loss-recovery.js';
import type { LongHeader, ShortHeader } from './packet-header.js';
import { packetNumberLength } from './packet-number.js';
import { unprotectPacket } from './packet-protection.js';
import { PacketSpace, type SentPacket, type SpaceName } from './packet-space.js';
import { packetHeaderLength, writeProtectedPacket } from './packet-writer.js';
import type { QuicStream } from './quic-stream.js';
import { StreamSet } from './stream-set.js';
import type { EncryptionLevel, TlsCallbacks, TlsHandshake } from './tls/tls-types.js';
import { decodeTransportParameters, type TransportParameters } from './transport-parameters.js';
import type { VersionProfile } from './version.js';

/** Every datagram we send fits the 1200-byte minimum path MTU (DPLPMTUD is planned). */
export const MAX_DATAGRAM = 1200;
const TAG = 16;
const SPACES: readonly SpaceName[] = ['initial', 'handshake', 'application'];

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
  readonly congestionWindow: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly packetsSent: number;
  readonly packetsLost: number;
}

const LEVEL_OF: Readonly<Record<EncryptionLevel, SpaceName>> = {
  initial: 'initial',
  handshake: 'handshake',
  application: 'application',
};

/**
 * One QUIC connection: packet protection per space, the TLS handshake over CRYPTO frames, ACKs,
 * loss detection with PTO, NewReno, flow control and streams. It is driven by the endpoint
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
  readonly #tls: TlsHandshake & { start?(): void };
  readonly #recovery = new LossRecovery(MAX_DATAGRAM);
  readonly #streams: StreamSet;
  readonly #frames: FrameScheduler;
  #remoteCid: Uint8Array;
  #peer: TransportParameters | undefined;
  #hasRemoteCidFromPeer = false;
  #isHandshakeConfirmed = false;
  #isAddressValidated: boolean;
  #timer: NodeJS.Timeout | undefined;
  #idleDeadline = Number.POSITIVE_INFINITY;
  #isFlushScheduled = false;
  #state: 'open' | 'closed' = 'open';
  #stats = { bytesSent: 0, bytesReceived: 0, packetsSent: 0 };
  #resolveHandshake!: () => void;
  #rejectHandshake!: (err: QuicError) => void;
  #resolveClosed!: (err: QuicError | undefined) => void;
  /** Resolves when the handshake completes (rejects when the connection closes first). */
  readonly handshake: Promise<void>;
  /** Resolves when the connection is gone, with the error that ended it (undefined for a clean close). */
  readonly closed: Promise<QuicError | undefined>;

  constructor(config: ConnectionConfig) {
    this.#config = config;
    this.#remoteCid = config.remoteCid;
    this.#isAddressValidated = config.role === 'client';
    this.#streams = new StreamSet(config.role, config.localParameters, {
      scheduleFlush: () => this.scheduleFlush(),
      queueControl: (frame) => this.#frames.control.push(frame),
    });
    this.#frames = new FrameScheduler(
      this.#streams,
      this.#recovery,
      config.localParameters.ackDelayExponent,
    );
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
    this.#touchIdle(config.localParameters.maxIdleTimeout);
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
      congestionWindow: this.#recovery.cc.cwnd,
      packetsLost: this.#recovery.packetsLost,
      ...this.#stats,
    };
  }

  /** Client only: sends the first Initial. */
  start(): void {
    this.#tls.start?.();
    this.scheduleFlush();
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

  /** Processes one packet the endpoint routed here (already split out of its datagram). */
  /**
   * Processes one packet the endpoint routed here (already split out of its datagram); returns
   * whether it authenticated (a dropped packet returns false).
   */
  receivePacket(buf: Uint8Array, header: LongHeader | ShortHeader, datagramBytes: number): boolean {
    if (this.#state !== 'open') return false;
    if (header.start === 0) this.#stats.bytesReceived += datagramBytes;
    const name: SpaceName | undefined =
      header.form === 'short'
        ? 'application'
        : header.type === 'initial'
          ? 'initial'
          : header.type === 'handshake'
            ? 'handshake'
            : undefined;
    if (name === undefined) return false; // 0-RTT is planned.
    const space = this.#spaces[name];
    if (space.readKeys === undefined) return false;
    const opened = unprotectPacket(
      space.readKeys,
      buf,
      header.start,
      header.pnOffset,
      header.end,
      space.acks.largest,
    );
    if (opened === null || space.acks.has(opened.pn)) return false;
    try {
      const reserved = header.form === 'long' ? opened.firstByte & 0x0c : opened.firstByte & 0x18;
      if (reserved !== 0)
        throw transportError(TRANSPORT_ERROR.PROTOCOL_VIOLATION, 'reserved header bits are set');
      if (header.form === 'long' && this.#config.role === 'client' && !this.#hasRemoteCidFromPeer) {
        // The server's first long header fixes the DCID we use from now on (RFC 9000 §7.2).
        this.#remoteCid = header.scid.slice();
        this.#hasRemoteCidFromPeer = true;
      }
      if (name === 'handshake' && this.#config.role === 'server' && !this.#isAddressValidated) {
        this.#isAddressValidated = true;
        this.#discardSpace('initial');
      }
      const frames = parseFrames(opened.payload, name === 'application' ? '1rtt' : name);
      let isEliciting = false;
      for (const frame of frames) {
        if (isAckEliciting(frame)) isEliciting = true;
        this.#onFrame(space, frame);
        if (this.#state !== 'open') return true;
      }
      const now = performance.now();
      space.acks.onPacket(
        opened.pn,
        isEliciting,
        now,
        this.#config.localParameters.maxAckDelay,
        name !== 'application',
      );
      this.#touchIdle(this.#effectiveIdleTimeout());
      this.scheduleFlush();
    } catch (err) {
      this.#fail(err);
    }
    return true;
  }

  #onFrame(space: PacketSpace, frame: Frame): void {
    switch (frame.type) {
      case 'ack':
        this.#onAck(space, frame);
        return;
      case 'crypto': {
        space.cryptoRecv.insert(frame.offset, frame.data);
        for (
          let chunk = space.cryptoRecv.read();
          chunk !== undefined;
          chunk = space.cryptoRecv.read()
        ) {
          this.#tls.receive(space.name, chunk);
        }
        this.#afterTlsProgress();
        return;
      }
      case 'stream': {
        const stream = this.#streams.forFrame(frame.streamId, true);
        if (stream === undefined) return;
        this.#streams.countReceived(stream.onData(frame));
        return;
      }
      case 'reset_stream': {
        const stream = this.#streams.forFrame(frame.streamId, true);
        if (stream !== undefined)
          this.#streams.countReceived(stream.onReset(frame.errorCode, frame.finalSize));
        return;
      }
      case 'stop_sending':
        this.#streams.forFrame(frame.streamId, false)?.onStopSending(frame.errorCode);
        return;
      case 'max_data':
        this.#streams.onMaxData(frame.maximum);
        return;
      case 'max_stream_data':
        this.#streams.forFrame(frame.streamId, false)?.onMaxStreamData(frame.maximum);
        return;
      case 'max_streams':
        this.#streams.onMaxStreams(frame.bidi, frame.maximum);
        return;
      case 'path_challenge':
        this.#frames.control.push({ type: 'path_response', data: frame.data.slice() });
        return;
      case 'handshake_done':
        if (this.#config.role === 'server') {
          throw transportError(
            TRANSPORT_ERROR.PROTOCOL_VIOLATION,
            'a client sent HANDSHAKE_DONE',
            0x1e,
          );
        }
        this.#confirmHandshake();
        return;
      case 'connection_close':
        // Draining: send nothing more (RFC 9000 §10.2.2).
        this.#finish(peerClosedError(frame), frame.errorCode === 0);
        return;
      default:
        // PADDING, PING, NEW_TOKEN, *_BLOCKED, PATH_RESPONSE, connection ID frames: nothing to do yet.
        return;
    }
  }

  #installSecret(
    level: Exclude<EncryptionLevel, 'initial'>,
    direction: 'read' | 'write',
    suite: CipherSuite,
    secret: Uint8Array,
  ): void {
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
      this.#confirmHandshake();
    }
  }

  #applyPeerParameters(peer: TransportParameters): void {
    const isClient = this.#config.role === 'client';
    // Authenticate the connection IDs used during the handshake (RFC 9000 §7.3).
    if (!sameBytes(peer.initialSourceConnectionId, this.#remoteCid)) {
      throw transportError(
        TRANSPORT_ERROR.TRANSPORT_PARAMETER_ERROR,
        'initial_source_connection_id does not match the packets',
      );
    }
    if (isClient && !sameBytes(peer.originalDestinationConnectionId, this.#config.originalDcid)) {
      throw transportError(
        TRANSPORT_ERROR.TRANSPORT_PARAMETER_ERROR,
        'original_destination_connection_id does not match our Initial',
      );
    }
    this.#peer = peer;
    this.#streams.setPeer(peer);
    this.#touchIdle(this.#effectiveIdleTimeout());
  }

  #confirmHandshake(): void {
    this.#isHandshakeConfirmed = true;
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
    for (const packet of acked) {
      for (const frame of packet.frames) if (frame.type === 'stream') this.#streams.onAcked(frame);
    }
  }

  /** Sends a lost packet's frames again (fresh packet numbers, current values). */
  #requeue(space: PacketSpace, packet: SentPacket): void {
    const crypto = packet.frames.filter((f) => f.type === 'crypto');
    if (crypto.length > 0) space.cryptoPending.unshift(...crypto);
    for (const frame of packet.frames) {
      if (frame.type === 'stream') this.#streams.onLost(frame);
      else if (frame.type !== 'crypto') this.#frames.control.push(frame);
    }
  }

  // --- timers -------------------------------------------------------------------------------

  #effectiveIdleTimeout(): number {
    const local = this.#config.localParameters.maxIdleTimeout;
    const peer = this.#peer?.maxIdleTimeout ?? 0;
    if (local === 0) return peer;
    if (peer === 0) return local;
    return Math.min(local, peer);
  }

  #touchIdle(timeoutMs: number): void {
    // Never below three PTOs, so a slow handshake is not mistaken for an idle peer.
    this.#idleDeadline =
      timeoutMs === 0
        ? Number.POSITIVE_INFINITY
        : performance.now() + Math.max(timeoutMs, 3 * this.#recovery.rtt.pto(0));
  }

  #ptoDeadline(): { at: number; space: PacketSpace } | undefined {
    // A client whose handshake is unfinished keeps probing even with nothing in flight, so
    // the server can get out of its amplification limit (RFC 9002 §6.2.2.1).
    const keepProbing =
      this.#config.role === 'client' && !this.#tls.isComplete
        ? this.#highestHandshakeSpace()
        : undefined;
    return this.#recovery.probeDeadline(
      SPACES.map((name) => this.#spaces[name]),
      this.#peer?.maxAckDelay ?? 25,
      keepProbing,
    );
  }

  #highestHandshakeSpace(): PacketSpace {
    const hs = this.#spaces.handshake;
    return hs.writeKeys !== undefined && !hs.isDiscarded ? hs : this.#spaces.initial;
  }

  #armTimer(): void {
    if (this.#state !== 'open') return;
    let at = this.#idleDeadline;
    for (const name of SPACES) {
      const space = this.#spaces[name];
      at = Math.min(at, space.lossTime, space.acks.ackDueAt);
    }
    const pto = this.#ptoDeadline();
    if (pto) at = Math.min(at, pto.at);
    if (this.#timer) clearTimeout(this.#timer);
    if (at === Number.POSITIVE_INFINITY) return;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, at - performance.now()));
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (this.#state !== 'open') return;
    const now = performance.now();
    if (now >= this.#idleDeadline) {
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
    for (const name of SPACES) {
      const space = this.#spaces[name];
      if (space.lossTime <= now)
        for (const p of this.#recovery.detectLost(space, now)) this.#requeue(space, p);
    }
    const pto = this.#ptoDeadline();
    if (pto && pto.at <= now) {
      for (const packet of this.#recovery.onProbeTimeout(pto.space))
        this.#requeue(pto.space, packet);
    }
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
      for (let i = 0; i < 64; i++) {
        const datagram = this.#buildDatagram();
        if (datagram === undefined) break;
        this.#config.send(datagram);
      }
      this.#armTimer();
    } catch (err) {
      // A bug in our send path must end this connection, not the process.
      this.#fail(err);
    }
  }

  #amplificationBudget(): number {
    if (this.#isAddressValidated) return Number.POSITIVE_INFINITY;
    return 3 * this.#stats.bytesReceived - this.#stats.bytesSent;
  }

  #buildDatagram(): Uint8Array | undefined {
    const now = performance.now();
    let room = Math.min(MAX_DATAGRAM, this.#amplificationBudget());
    if (room < 100) return undefined;
    const plans: Array<{
      space: PacketSpace;
      frames: Frame[];
      headerLength: number;
      pnLength: 1 | 2 | 3 | 4;
      size: number;
      isEliciting: boolean;
    }> = [];
    let needsPadding = false;
    for (const name of SPACES) {
      const space = this.#spaces[name];
      if (space.writeKeys === undefined || space.isDiscarded) continue;
      const pnLength = packetNumberLength(space.nextPn, space.largestAcked);
      const headerLength = packetHeaderLength(
        name,
        this.#remoteCid.length,
        this.#config.localCid.length,
        pnLength,
      );
      const frames = this.#frames.collect(space, room - headerLength - TAG, now);
      if (frames.length === 0) continue;
      const payload = frames.reduce((n, f) => n + frameSize(f), 0);
      // The header protection sample needs 4 bytes after the packet number start.
      const padded = Math.max(payload, 4 - pnLength);
      if (padded > payload) frames.push({ type: 'padding', length: padded - payload });
      const size = headerLength + padded + TAG;
      const isEliciting = frames.some(isAckEliciting);
      plans.push({ space, frames, headerLength, pnLength, size, isEliciting });
      room -= size;
      if (name === 'initial' && (this.#config.role === 'client' || isEliciting))
        needsPadding = true;
    }
    if (plans.length === 0) return undefined;
    const total = plans.reduce((n, p) => n + p.size, 0);
    if (needsPadding && total < MAX_DATAGRAM) {
      // Datagrams with Initial packets are padded to 1200 bytes (RFC 9000 §14.1).
      const last = plans.at(-1)!;
      last.frames.push({ type: 'padding', length: MAX_DATAGRAM - total });
      last.size += MAX_DATAGRAM - total;
    }
    const w = new ByteWriter(MAX_DATAGRAM);
    for (const plan of plans)
      w.bytes(this.#sealPacket(plan.space, plan.frames, plan.pnLength, now, plan.isEliciting));
    const datagram = w.finish();
    this.#stats.bytesSent += datagram.length;
    this.#stats.packetsSent += plans.length;
    return datagram;
  }

  #sealPacket(
    space: PacketSpace,
    frames: Frame[],
    pnLength: 1 | 2 | 3 | 4,
    now: number,
    isEliciting: boolean,
  ): Uint8Array {
    const pn = space.nextPn++;
    const packet = writeProtectedPacket({
      space: space.name,
      keys: space.writeKeys!,
      profile: this.#config.profile,
      dcid: this.#remoteCid,
      scid: this.#config.localCid,
      pn,
      pnLength,
      frames,
    });
    if (isEliciting) {
      const retransmittable = frames.filter(
        (f) => f.type !== 'ack' && f.type !== 'padding' && f.type !== 'ping',
      );
      this.#recovery.onSent(space, {
        pn,
        timeSent: now,
        size: packet.length,
        isAckEliciting: true,
        frames: retransmittable,
      });
    }
    // The client drops Initial keys once it sends its first Handshake packet (RFC 9001 §4.9.1).
    if (space.name === 'handshake' && this.#config.role === 'client') this.#discardSpace('initial');
    return packet;
  }

  // --- closing ------------------------------------------------------------------------------

  #fail(err: unknown): void {
    const error =
      err instanceof QuicError
        ? err
        : transportError(
            TRANSPORT_ERROR.INTERNAL_ERROR,
            `internal error: ${(err as Error)?.message ?? String(err)}`,
          );
    this.#closeWith(
      {
        type: 'connection_close',
        isApplication: false,
        errorCode: error.transportCode,
        frameType: error.frameType,
        reason: error.message.slice(0, 100),
      },
      error,
    );
  }

  #closeWith(frame: Frame & { type: 'connection_close' }, error: QuicError | undefined): void {
    if (this.#state !== 'open') return;
    // Before the handshake completes an application close travels as a transport close
    // (RFC 9000 §10.2.3), in the highest space with keys.
    const app = this.#spaces.application;
    const useApp = app.writeKeys !== undefined && this.#tls.isComplete;
    const spaces = useApp
      ? [app]
      : [this.#spaces.initial, this.#spaces.handshake].filter((s) => s.writeKeys && !s.isDiscarded);
    const wire: Frame =
      frame.isApplication && !useApp
        ? {
            ...frame,
            isApplication: false,
            errorCode: TRANSPORT_ERROR.APPLICATION_ERROR,
            reason: '',
          }
        : frame;
    const w = new ByteWriter(MAX_DATAGRAM);
    const now = performance.now();
    for (const space of spaces) {
      const pnLength = packetNumberLength(space.nextPn, space.largestAcked);
      const frames: Frame[] = [wire];
      if (frameSize(wire) < 4 - pnLength)
        frames.push({ type: 'padding', length: 4 - pnLength - frameSize(wire) });
      w.bytes(this.#sealPacket(space, frames, pnLength, now, false));
    }
    if (w.length > 0) this.#config.send(w.finish());
    this.#finish(
      error ?? new QuicError(ERROR_CODES.PEER_CLOSED, 'the connection was closed', 0),
      error === undefined,
    );
  }

  #finish(error: QuicError, isClean: boolean): void {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    if (this.#timer) clearTimeout(this.#timer);
    this.#rejectHandshake(error);
    this.#streams.closeAll(error);
    this.#resolveClosed(isClean ? undefined : error);
    this.#config.onClosed(this);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}
