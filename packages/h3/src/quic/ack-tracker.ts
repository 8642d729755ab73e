import type { AckFrame, AckRange } from './frames.js';

/** The most ranges we keep and report; older ones are forgotten (their ACKs were sent). */
const MAX_RANGES = 32;
/** Ack-eliciting packets received before ACKs thin out: the sender's slow start needs them. */
const EARLY_PACKETS = 100;
/** After that, an ACK for every this many ack-eliciting packets (ack decimation, as Chromium). */
const PACKETS_PER_ACK = 10;

/**
 * The packets received in one packet number space, as ranges, and when an ACK is due: at once
 * for Initial/Handshake packets and for a packet out of order (a gap, or one filling a gap, so
 * the sender detects losses quickly); for 1-RTT packets after every second ack-eliciting one
 * of the first 100, then every tenth, and otherwise after the given delay. Fewer ACKs cost
 * both ends less CPU on a bulk transfer; the sender paces, so ACKs covering ten packets do not
 * turn into bursts.
 * @see RFC 9000 §13.2.1, §13.2.2
 */
export class AckTracker {
  /** Received ranges, largest first. */
  #ranges: AckRange[] = [];
  #largestTime = 0;
  #unackedElicting = 0;
  #elicitingReceived = 0;
  #ackDueAt = Number.POSITIVE_INFINITY;

  /** Largest packet number received, -1 before any. */
  get largest(): number {
    return this.#ranges[0]?.largest ?? -1;
  }

  /** Whether `pn` was already received (a duplicate is processed only once). */
  has(pn: number): boolean {
    return this.#ranges.some((r) => pn >= r.smallest && pn <= r.largest);
  }

  /** Records a packet; `immediate` asks for the ACK right away. */
  onPacket(
    pn: number,
    isAckEliciting: boolean,
    now: number,
    maxAckDelayMs: number,
    immediate: boolean,
  ): void {
    const largestBefore = this.largest;
    this.#insert(pn);
    if (pn === this.largest) this.#largestTime = now;
    if (!isAckEliciting) return;
    this.#unackedElicting++;
    this.#elicitingReceived++;
    const isOutOfOrder = largestBefore >= 0 && pn !== largestBefore + 1;
    const threshold = this.#elicitingReceived <= EARLY_PACKETS ? 2 : PACKETS_PER_ACK;
    if (immediate || isOutOfOrder || this.#unackedElicting >= threshold) this.#ackDueAt = now;
    else this.#ackDueAt = Math.min(this.#ackDueAt, now + maxAckDelayMs);
  }

  #insert(pn: number): void {
    const ranges = this.#ranges;
    // Ranges are descending; find the first one that starts at or below pn + 1.
    let i = 0;
    while (i < ranges.length && ranges[i]!.smallest > pn + 1) i++;
    const r = ranges[i];
    if (r === undefined || pn > r.largest + 1) {
      ranges.splice(i, 0, { smallest: pn, largest: pn });
      if (ranges.length > MAX_RANGES) ranges.length = MAX_RANGES;
      return;
    }
    if (pn >= r.smallest && pn <= r.largest) return;
    let merged = { smallest: Math.min(r.smallest, pn), largest: Math.max(r.largest, pn) };
    ranges[i] = merged;
    // The grown range may now touch its neighbour on either side.
    const below = ranges[i + 1];
    if (below !== undefined && below.largest + 1 >= merged.smallest) {
      merged = { smallest: below.smallest, largest: merged.largest };
      ranges.splice(i, 2, merged);
    }
    const above = ranges[i - 1];
    if (above !== undefined && above.smallest <= merged.largest + 1) {
      ranges.splice(i - 1, 2, { smallest: merged.smallest, largest: above.largest });
    }
  }

  /** When an ACK must be sent (Infinity when none is owed). */
  get ackDueAt(): number {
    return this.#ackDueAt;
  }

  /** Whether an ACK should go in the next packet of this space. */
  isAckDue(now: number): boolean {
    return this.#ackDueAt <= now;
  }

  /** Whether anything was received that an ACK could report. */
  get hasRanges(): boolean {
    return this.#ranges.length > 0;
  }

  /** The ACK frame to send now; resets the due time. `exponent` scales the delay. */
  takeAck(now: number, exponent: number): AckFrame {
    this.#ackDueAt = Number.POSITIVE_INFINITY;
    this.#unackedElicting = 0;
    const delayUs = Math.max(0, Math.round((now - this.#largestTime) * 1000));
    return {
      type: 'ack',
      delay: Math.floor(delayUs / 2 ** exponent),
      ranges: this.#ranges.slice(),
    };
  }
}
