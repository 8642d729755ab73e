import { frameSize } from './frame-writer.js';
import { type Frame, isAckEliciting } from './frames.js';
import type { LossRecovery } from './loss-recovery.js';
import type { PacketSpace, SentPacket } from './packet-space.js';
import type { StreamSet } from './stream-set.js';

/** Bytes kept free for a STREAM or CRYPTO frame's own header when sizing its data. */
const FRAME_HEADER_ROOM = 30;

/**
 * Chooses the frames of the next packet in a space, in priority order: an ACK when one is
 * owed, CRYPTO data, control frames (HANDSHAKE_DONE, MAX_DATA, MAX_STREAM_DATA,
 * PATH_RESPONSE, retransmitted control frames), then STREAM data. Everything but the ACK
 * counts against the congestion window and waits for the pacer, except in a probe, which always carries something
 * ack-eliciting (a PING if nothing else).
 */
export class FrameScheduler {
  /** Control frames waiting for a 1-RTT packet; a frame that does not fit stays queued. */
  readonly control: Frame[] = [];
  readonly #streams: StreamSet;
  readonly #recovery: LossRecovery;
  readonly #ackDelayExponent: number;
  /** Payload bytes left in the packet being collected. */
  #room = 0;
  /** Of those, bytes the congestion window and pacer allow for ack-eliciting data. */
  #dataRoom = 0;

  constructor(streams: StreamSet, recovery: LossRecovery, ackDelayExponent: number) {
    this.#streams = streams;
    this.#recovery = recovery;
    this.#ackDelayExponent = ackDelayExponent;
  }

  /**
   * Queues a lost packet's frames to be sent again in new packets: CRYPTO data first, stream
   * data through its stream (current values, ranges since acknowledged skipped), control
   * frames as they were.
   * @see RFC 9000 §13.3
   */
  requeue(space: PacketSpace, packet: SentPacket): void {
    const crypto = packet.frames.filter((f) => f.type === 'crypto');
    if (crypto.length > 0) space.cryptoPending.unshift(...crypto);
    for (const frame of packet.frames) {
      if (frame.type === 'stream') this.#streams.onLost(frame);
      else if (frame.type !== 'crypto') this.control.push(frame);
    }
  }

  /** Whether the space has anything ack-eliciting to send. */
  hasPending(space: PacketSpace): boolean {
    if (space.cryptoPending.length > 0) return true;
    if (space.name !== 'application') return false;
    return this.control.length > 0 || this.#streams.hasDataToSend;
  }

  /** The frames for one packet with `room` bytes of payload. */
  collect(space: PacketSpace, room: number, now: number): Frame[] {
    // Room left is kept in fields, not closures: this runs once per packet sent.
    const frames: Frame[] = [];
    this.#room = room;
    // An ACK goes out when due, and rides along with any other frames while one is owed.
    const isAckOwed = space.acks.ackDueAt !== Number.POSITIVE_INFINITY;
    if (space.acks.isAckDue(now) || (isAckOwed && this.hasPending(space))) {
      this.#add(frames, space.acks.takeAck(now, this.#ackDelayExponent));
    }
    this.#dataRoom = space.isProbeDue
      ? this.#room
      : Math.min(this.#room, this.#recovery.sendAllowance(now));
    for (
      let crypto = space.takeCrypto(this.#dataRoom - FRAME_HEADER_ROOM);
      crypto !== undefined;
      crypto = space.takeCrypto(this.#dataRoom - FRAME_HEADER_ROOM)
    ) {
      this.#addData(frames, crypto);
    }
    if (space.name === 'application') {
      // Window updates go through the control queue, so one that misses this packet waits.
      this.#streams.queueWindowUpdates();
      while (this.control.length > 0 && this.#addData(frames, this.control[0]!))
        this.control.shift();
      for (
        let f = this.#streams.takeFrame(this.#dataRoom - FRAME_HEADER_ROOM);
        f !== undefined;
        f = this.#streams.takeFrame(this.#dataRoom - FRAME_HEADER_ROOM)
      ) {
        this.#addData(frames, f);
      }
    }
    if (space.isProbeDue) {
      space.isProbeDue = false;
      if (!frames.some(isAckEliciting)) this.#add(frames, { type: 'ping' });
    }
    return frames;
  }

  /** Adds `frame` when it fits the packet's room. */
  #add(frames: Frame[], frame: Frame, size = frameSize(frame)): boolean {
    if (size > this.#room) return false;
    frames.push(frame);
    this.#room -= size;
    return true;
  }

  /** Adds a frame that counts against the congestion window when it fits both. */
  #addData(frames: Frame[], frame: Frame): boolean {
    const size = frameSize(frame);
    if (size > this.#dataRoom || !this.#add(frames, frame, size)) return false;
    this.#dataRoom -= size;
    return true;
  }
}
