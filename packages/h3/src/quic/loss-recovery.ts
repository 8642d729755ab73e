import { TRANSPORT_ERROR, transportError } from '../errors.js';
import {
  type CongestionControl,
  type CongestionController,
  createController,
} from './congestion.js';
import type { AckFrame } from './frames.js';
import { Pacer } from './pacer.js';
import type { PacketSpace, SentPacket } from './packet-space.js';
import { RttEstimator } from './rtt-estimator.js';

/** Packets acknowledged this many numbers later count as lost (kPacketThreshold). */
const PACKET_THRESHOLD = 3;
/** Lost packets spanning this many PTOs mean persistent congestion (kPersistentCongestionThreshold). */
const PERSISTENT_CONGESTION_THRESHOLD = 3;
/** Packets remembered per space after a probe timeout, for the persistent congestion check. */
const MAX_PROBED = 1024;
/** The empty result most ACKs give (nothing lost, no probed packets to settle). */
const NONE: readonly SentPacket[] = Object.freeze([]);

/**
 * Loss detection and congestion control for one connection: processes ACK frames into RTT
 * samples and acknowledged bytes, declares packets lost by packet and time thresholds, and
 * computes the probe timeout with exponential backoff. Lost packets are returned to the
 * connection, which sends their frames again.
 * @see RFC 9002 §5, §6, §7
 */
export class LossRecovery {
  readonly rtt: RttEstimator = new RttEstimator();
  readonly cc: CongestionController;
  readonly pacer: Pacer;
  /** Told of each packet declared lost, and by which threshold (for qlog). */
  onPacketLost:
    | ((
        space: PacketSpace,
        packet: SentPacket,
        by: 'reordering_threshold' | 'time_threshold',
      ) => void)
    | undefined;
  /** How long the pacer held back the last send it was asked about (0: it did not). */
  pacingDelayMs = 0;
  /** Consecutive probe timeouts without an ACK (the backoff exponent). */
  ptoCount = 0;
  packetsLost = 0;
  /** Times the window collapsed on persistent congestion (RFC 9002 §7.6). */
  persistentCongestions = 0;
  /** When the first RTT sample was taken (-1 before): earlier losses say nothing of the path. */
  #firstRttSampleAt = -1;
  /** The peer's max_ack_delay, as last given to onAck or onTimer. */
  #maxAckDelayMs = 25;

  constructor(maxDatagramSize: number, congestionControl: CongestionControl = 'cubic') {
    this.cc = createController(congestionControl, maxDatagramSize);
    this.pacer = new Pacer(maxDatagramSize);
  }

  /** Records an ack-eliciting packet we just sent. */
  onSent(space: PacketSpace, packet: SentPacket): void {
    space.sent.add(packet);
    space.lastAckElicitingSent = packet.timeSent;
    this.cc.onSent(packet.size, packet.timeSent);
    this.pacer.onSent(packet.size);
  }

  /**
   * Bytes of ack-eliciting data that may go out at `now`: the congestion window's room, or 0
   * while the pacer holds sends back (then `pacingDelayMs` says for how long).
   * @see RFC 9002 §7.7
   */
  sendAllowance(now: number): number {
    const available = this.cc.available;
    // Before the first RTT sample the rate would come from the 333 ms guess: the initial
    // window alone limits the handshake's flights.
    this.pacingDelayMs =
      available === 0 || this.#firstRttSampleAt < 0
        ? 0
        : this.pacer.delay(now, this.cc.cwnd, this.rtt.smoothed);
    return this.pacingDelayMs > 0 ? 0 : available;
  }

  /**
   * Processes an ACK frame received in `space`; returns the packets it acknowledged and those
   * it made lost. `exponent` and `maxAckDelayMs` are the peer's ack_delay_exponent and
   * max_ack_delay.
   */
  onAck(
    space: PacketSpace,
    ack: AckFrame,
    exponent: number,
    maxAckDelayMs: number,
    now: number,
  ): { acked: SentPacket[]; lost: readonly SentPacket[] } {
    this.#maxAckDelayMs = maxAckDelayMs;
    const largest = ack.ranges[0]!.largest;
    if (largest >= space.nextPn) {
      throw transportError(
        TRANSPORT_ERROR.PROTOCOL_VIOLATION,
        `ACK of packet ${largest}, which was never sent`,
        0x02,
      );
    }
    let largestNewly: SentPacket | undefined;
    let hasElicitingNewly = false;
    const acked: SentPacket[] = [];
    const sent = space.sent;
    // Ranges come largest first; those below the oldest packet in flight (an ACK repeats up
    // to 32 old ranges) cost nothing, and each other range is clipped to the packet numbers
    // in flight, so an ACK is not O(ranges × in flight) when the window is large.
    for (const range of ack.ranges) {
      if (sent.size === 0 || range.largest < sent.first) break;
      const top = Math.min(range.largest, sent.end - 1);
      for (let pn = Math.max(range.smallest, sent.first); pn <= top; pn++) {
        const packet = sent.delete(pn);
        if (packet === undefined) continue;
        acked.push(packet);
        if (packet.isAckEliciting) hasElicitingNewly = true;
        if (largestNewly === undefined || pn > largestNewly.pn) largestNewly = packet;
      }
    }
    if (largestNewly === undefined) return { acked, lost: NONE };
    this.#sampleRtt(space, ack, largestNewly, hasElicitingNewly, exponent, maxAckDelayMs, now);
    // After the RTT sample, which HyStart++ reads in slow start.
    for (const packet of acked) this.cc.onAcked(packet.size, packet.timeSent, now, this.rtt);
    space.peerAckRanges = ack.ranges;
    space.largestAcked = Math.max(space.largestAcked, largest);
    this.ptoCount = 0;
    return { acked, lost: this.detectLost(space, now, this.#settleProbed(space, ack)) };
  }

  /** An RTT sample needs the largest acknowledged packet to be newly acknowledged (§5.1). */
  #sampleRtt(
    space: PacketSpace,
    ack: AckFrame,
    largestNewly: SentPacket,
    hasElicitingNewly: boolean,
    exponent: number,
    maxAckDelayMs: number,
    now: number,
  ): void {
    if (largestNewly.pn !== ack.ranges[0]!.largest || !hasElicitingNewly) return;
    const ackDelay =
      space.name === 'application'
        ? Math.min((ack.delay * 2 ** exponent) / 1000, maxAckDelayMs)
        : 0;
    this.rtt.update(now - largestNewly.timeSent, ackDelay);
    if (this.#firstRttSampleAt < 0) this.#firstRttSampleAt = now;
  }

  /** Declares lost what the thresholds say is lost, and sets the space's loss timer. */
  detectLost(
    space: PacketSpace,
    now: number,
    probedLost: readonly SentPacket[] = NONE,
  ): readonly SentPacket[] {
    const lossDelay = Math.max((9 / 8) * Math.max(this.rtt.latest, this.rtt.smoothed), 1);
    space.lossTime = Number.POSITIVE_INFINITY;
    // Allocated only when something is lost: this runs for every ACK.
    let lost: SentPacket[] | undefined;
    let congestedCount = 0;
    let largestLostTime = -1;
    const sent = space.sent;
    // Nothing after the largest acknowledged packet can be lost yet.
    const end = Math.min(sent.end, space.largestAcked + 1);
    for (let pn = sent.first; pn < end; pn++) {
      const packet = sent.get(pn);
      if (packet === undefined) continue;
      const isReordered = pn <= space.largestAcked - PACKET_THRESHOLD;
      if (isReordered || packet.timeSent <= now - lossDelay) {
        sent.delete(pn);
        this.onPacketLost?.(space, packet, isReordered ? 'reordering_threshold' : 'time_threshold');
        this.cc.onRemoved(packet.size);
        (lost ??= []).push(packet);
        // A lost PMTU probe says its size does not pass, not that the path is congested.
        if (!packet.isMtuProbe) {
          congestedCount++;
          largestLostTime = Math.max(largestLostTime, packet.timeSent);
        }
      } else {
        space.lossTime = Math.min(space.lossTime, packet.timeSent + lossDelay);
      }
    }
    this.packetsLost += congestedCount;
    if (largestLostTime >= 0) this.cc.onCongestion(largestLostTime, now);
    if (congestedCount + probedLost.length < 2) return lost ?? NONE;
    const congested =
      lost !== undefined && congestedCount === lost.length
        ? lost
        : (lost ?? NONE).filter((p) => !p.isMtuProbe);
    const judged =
      probedLost.length === 0
        ? congested
        : [...probedLost.filter((p) => !p.isMtuProbe), ...congested].sort((a, b) => a.pn - b.pn);
    if (this.#isPersistentCongestion(space, judged)) {
      this.persistentCongestions++;
      this.cc.onPersistentCongestion();
    }
    return lost ?? NONE;
  }

  /**
   * The packets a probe timeout took out of flight that `ack` shows as never arrived (below
   * its largest and in none of its ranges); those it acknowledges are forgotten too.
   */
  #settleProbed(space: PacketSpace, ack: AckFrame): readonly SentPacket[] {
    if (space.probed.length === 0) return NONE;
    const largest = ack.ranges[0]!.largest;
    const lost: SentPacket[] = [];
    const pending: SentPacket[] = [];
    for (const packet of space.probed) {
      if (packet.pn > largest) pending.push(packet);
      else if (!ack.ranges.some((r) => packet.pn >= r.smallest && packet.pn <= r.largest))
        lost.push(packet);
    }
    space.probed = pending;
    return lost;
  }

  /**
   * Whether `lost` (in packet number order, all ack-eliciting) holds two packets sent after
   * the first RTT sample, further apart in time than the persistent congestion duration, with
   * nothing between them acknowledged: the path delivered nothing for that long.
   * Acknowledgements between them are looked up in the peer's latest ACK ranges (it repeats
   * up to 32); losses are judged per packet number space, not across spaces.
   * @see RFC 9002 §7.6
   */
  #isPersistentCongestion(space: PacketSpace, lost: readonly SentPacket[]): boolean {
    if (this.#firstRttSampleAt < 0 || lost.length < 2) return false;
    const duration =
      (this.rtt.smoothed + Math.max(4 * this.rtt.variance, 1) + this.#maxAckDelayMs) *
      PERSISTENT_CONGESTION_THRESHOLD;
    let runStart: SentPacket | undefined;
    let previous: SentPacket | undefined;
    for (const packet of lost) {
      if (packet.timeSent <= this.#firstRttSampleAt) continue;
      if (
        runStart === undefined ||
        previous === undefined ||
        isAckedBetween(space, previous, packet)
      )
        runStart = packet;
      if (packet.timeSent - runStart.timeSent > duration) return true;
      previous = packet;
    }
    return false;
  }

  /**
   * When the probe timer fires and for which space: the earliest last ack-eliciting send plus
   * the backed-off PTO, over spaces with ack-eliciting packets in flight (and `keepProbing`,
   * armed even without). max_ack_delay counts only for the application space (§6.2.1).
   */
  probeDeadline(
    spaces: readonly PacketSpace[],
    maxAckDelayMs: number,
    keepProbing: PacketSpace | undefined,
  ): { at: number; space: PacketSpace } | undefined {
    let best: PacketSpace | undefined;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const space of spaces) {
      const at = this.#probeAt(space, maxAckDelayMs, keepProbing);
      if (at < bestAt) {
        best = space;
        bestAt = at;
      }
    }
    return best === undefined ? undefined : { at: bestAt, space: best };
  }

  /** When the probe timer of `space` fires (Infinity when it is not armed there). */
  #probeAt(
    space: PacketSpace,
    maxAckDelayMs: number,
    keepProbing: PacketSpace | undefined,
  ): number {
    if (space.isDiscarded || space.writeKeys === undefined) return Number.POSITIVE_INFINITY;
    if (!space.hasAckElicitingInFlight && space !== keepProbing) return Number.POSITIVE_INFINITY;
    const delay = space.name === 'application' ? maxAckDelayMs : 0;
    return space.lastAckElicitingSent + this.rtt.pto(delay) * 2 ** this.ptoCount;
  }

  /**
   * When the connection's timer must fire for recovery: the earliest of the spaces' loss
   * times, ACK deadlines and the probe deadline.
   */
  nextDeadline(
    spaces: readonly PacketSpace[],
    maxAckDelayMs: number,
    keepProbing: PacketSpace | undefined,
  ): number {
    // No probeDeadline() here: this runs after every flush, and its result is an object.
    let at = Number.POSITIVE_INFINITY;
    for (const space of spaces) {
      const probeAt = this.#probeAt(space, maxAckDelayMs, keepProbing);
      at = Math.min(at, probeAt, space.lossTime, space.acks.ackDueAt);
    }
    return at;
  }

  /**
   * The timer fired at `now`: declares lost what the time threshold says is lost, then runs
   * the probe timeout when it is due. Hands each lost or probed packet to `requeue`.
   * @see RFC 9002 §6.1.2, §6.2
   */
  onTimer(
    spaces: readonly PacketSpace[],
    now: number,
    maxAckDelayMs: number,
    keepProbing: PacketSpace | undefined,
    requeue: (space: PacketSpace, packet: SentPacket) => void,
  ): void {
    this.#maxAckDelayMs = maxAckDelayMs;
    for (const space of spaces) {
      if (space.lossTime <= now) for (const p of this.detectLost(space, now)) requeue(space, p);
    }
    const pto = this.probeDeadline(spaces, maxAckDelayMs, keepProbing);
    if (pto !== undefined && pto.at <= now)
      for (const packet of this.onProbeTimeout(pto.space)) requeue(pto.space, packet);
  }

  /**
   * A probe timeout fired in `space`: everything in flight there is handed back to be sent
   * again in the probe (simpler than choosing, and duplicates are harmless to the receiver).
   */
  onProbeTimeout(space: PacketSpace): SentPacket[] {
    this.ptoCount++;
    const inFlight = space.sent.takeAll();
    for (const packet of inFlight) this.cc.onRemoved(packet.size);
    // A probe does not declare them lost (RFC 9002 §6.2.4); an ACK for later packets will.
    for (const packet of inFlight) if (space.probed.length < MAX_PROBED) space.probed.push(packet);
    space.isProbeDue = true;
    return inFlight;
  }

  /** A space's keys were discarded: its packets leave flight without counting as lost. */
  onDiscarded(dropped: readonly SentPacket[]): void {
    for (const packet of dropped) this.cc.onRemoved(packet.size);
  }
}

/** Whether the peer's latest ACK covers a packet number strictly between `a` and `b`. */
function isAckedBetween(space: PacketSpace, a: SentPacket, b: SentPacket): boolean {
  if (b.pn - a.pn < 2) return false;
  for (const range of space.peerAckRanges)
    if (range.largest > a.pn && range.smallest < b.pn) return true;
  return false;
}
