// The receive path of one connection (a routed packet opened, its frames dispatched, ACKs into
// loss recovery), apart from the connection's lifecycle and its API.
import { TRANSPORT_ERROR, transportError } from '../errors.js';
import type { ConnectionParts } from './connection-adapters.js';
import type { ConnectionTimeouts } from './connection-timeouts.js';
import { openEarly } from './early-data.js';
import { dispatchFrame, type FrameHost } from './frame-dispatch.js';
import { parseFrames } from './frame-parser.js';
import { type AckFrame, isAckEliciting } from './frames.js';
import type { LongHeader, ShortHeader } from './packet-header.js';
import { openReceived } from './packet-protection.js';
import {
  type PacketSpace,
  type SentPacket,
  type SpaceName,
  spaceOfHeader,
} from './packet-space.js';
import type { QlogTrace } from './qlog.js';

/** The connection's own steps the receive path calls back into. */
export interface ReceiveHooks {
  readonly timeouts: ConnectionTimeouts;
  readonly frameHost: FrameHost;
  readonly qlog: QlogTrace | undefined;
  /** Moves to another compatible version (RFC 9368). */
  switchVersion(version: number): void;
  discardSpace(name: SpaceName): void;
  scheduleFlush(): void;
  fail(err: unknown): void;
}

/** One connection's receive path: packets in, frames dispatched, ACKs and losses processed. */
export class ConnectionReceiver {
  readonly #parts: ConnectionParts;
  readonly #hooks: ReceiveHooks;
  #bytesReceived = 0;
  /** A client: whether the server's first long header fixed the DCID (RFC 9000 §7.2). */
  hasRemoteCidFromPeer = false;

  constructor(parts: ConnectionParts, hooks: ReceiveHooks) {
    this.#parts = parts;
    this.#hooks = hooks;
  }

  /** Bytes of every datagram that reached this connection. */
  get bytesReceived(): number {
    return this.#bytesReceived;
  }

  /**
   * Processes one packet the endpoint routed here (already split out of its datagram); returns
   * whether it authenticated (a dropped packet returns false).
   */
  receivePacket(buf: Uint8Array, header: LongHeader | ShortHeader, datagramBytes: number): boolean {
    const { live, config, path, version, ids, recovery } = this.#parts;
    const hooks = this.#hooks;
    if (live.state !== 'open') return false;
    if (header.start === 0) {
      this.#bytesReceived += datagramBytes;
      path.onReceived(datagramBytes);
    }
    const name = spaceOfHeader(header);
    if (name === undefined) return false;
    const space = this.#parts.spaces[name];
    const now = performance.now();
    if (header.form === 'long' && header.version !== version.profile.version) {
      // A client follows the server's first packet into a version it offered (RFC 9368 §4).
      if (!version.canFollow(header.version, this.hasRemoteCidFromPeer)) return false;
      hooks.switchVersion(header.version);
    }
    const isEarly = header.form === 'long' && header.type === '0rtt';
    const opened = isEarly
      ? openEarly(space, buf, header)
      : openReceived(space, buf, header, live.keyUpdate, now, hooks.timeouts.pto());
    if (opened === null) return false;
    try {
      const reserved = header.form === 'long' ? opened.firstByte & 0x0c : opened.firstByte & 0x18;
      if (reserved !== 0)
        throw transportError(TRANSPORT_ERROR.PROTOCOL_VIOLATION, 'reserved header bits are set');
      if (header.form === 'long' && config.role === 'client' && !this.hasRemoteCidFromPeer) {
        // The server's first long header fixes the DCID we use from now on (RFC 9000 §7.2).
        live.remoteCid = header.scid.slice();
        ids.setFirstPeerCid(live.remoteCid);
        this.hasRemoteCidFromPeer = true;
      }
      if (name === 'handshake' && config.role === 'server' && !path.isValidated) {
        path.markValidated();
        hooks.discardSpace('initial');
      }
      live.packetDcid = header.form === 'short' ? header.dcid : undefined;
      const kind = isEarly ? '0rtt' : name === 'application' ? '1rtt' : name;
      const frames = parseFrames(opened.payload, kind);
      hooks.qlog?.packet(
        'received',
        isEarly ? '0rtt' : name,
        opened.pn,
        frames,
        header.end - header.start,
        live.peer?.ackDelayExponent ?? 3,
      );
      let isEliciting = false;
      for (const frame of frames) {
        if (isAckEliciting(frame)) isEliciting = true;
        dispatchFrame(hooks.frameHost, space, frame);
        if (live.state !== 'open') return true;
      }
      space.acks.onPacket(
        opened.pn,
        isEliciting,
        now,
        // A quarter RTT, within our max_ack_delay, keeps the sender's clock going (RFC 9000 §13.2.1).
        Math.min(config.localParameters.maxAckDelay, recovery.rtt.smoothed / 4),
        name !== 'application',
      );
      hooks.timeouts.touchIdle();
      hooks.scheduleFlush();
    } catch (err) {
      hooks.fail(err);
    }
    return true;
  }

  /** An ACK frame: acknowledged packets' stream data released, lost packets' frames requeued. */
  onAck(space: PacketSpace, ack: AckFrame): void {
    const { live, recovery, mtu, streams } = this.#parts;
    const { acked, lost } = recovery.onAck(
      space,
      ack,
      live.peer?.ackDelayExponent ?? 3,
      live.peer?.maxAckDelay ?? 25,
      performance.now(),
    );
    for (const packet of lost) this.requeue(space, packet);
    this.afterRecovery();
    if (space.name === 'application') live.keyUpdate.onAcked(ack.ranges[0]?.largest ?? -1);
    for (const packet of acked) {
      mtu.onAcked(packet);
      for (const frame of packet.frames) if (frame.type === 'stream') streams.onAcked(frame);
    }
  }

  /** A lost (or probe-timed-out) packet's frames go out again; a lost PMTU probe fails its size. */
  requeue(space: PacketSpace, packet: SentPacket): void {
    this.#parts.mtu.onLost(packet);
    this.#parts.frames.requeue(space, packet);
  }

  afterRecovery(): void {
    this.#parts.mtu.afterRecovery();
    this.#hooks.qlog?.recoveryUpdated(this.#parts.recovery);
  }
}
