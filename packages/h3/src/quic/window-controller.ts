import type { CongestionControl, CongestionController } from './congestion.js';
import { HyStart } from './hystart.js';
import type { RttEstimator } from './rtt-estimator.js';

/** The initial window: ten datagrams, within 14720 bytes (RFC 9002 §7.2). */
function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/**
 * Whether the window, not the application or flow control, limited sending when an ACK came
 * (`inFlight` counted before the ACK took its bytes out): only then may the ACK grow the window
 * (RFC 9002 §7.8), or a flow-control-limited sender would grow it without bound and send all
 * of it at once later. Slow start needs half the window used (it doubles per RTT); congestion
 * avoidance nearly all of it, less the slack the pacer leaves.
 */
function isWindowLimited(
  cwnd: number,
  ssthresh: number,
  inFlight: number,
  maxDatagramSize: number,
): boolean {
  if (cwnd < ssthresh) return 2 * inFlight >= cwnd;
  return inFlight + Math.max(3 * maxDatagramSize, cwnd / 8) >= cwnd;
}

/**
 * What CUBIC and NewReno share (RFC 9002 §7): bytes in flight, slow start (the first one with
 * HyStart++), one reduction per recovery period, no growth while something else limits
 * sending, and the collapse to two datagrams on persistent congestion. A controller adds how
 * it grows in congestion avoidance and how far it reduces.
 */
export abstract class WindowController implements CongestionController {
  abstract readonly name: CongestionControl;
  readonly maxDatagramSize: number;
  cwnd: number;
  ssthresh: number = Number.POSITIVE_INFINITY;
  bytesInFlight = 0;
  congestionEvents = 0;
  /** When the current recovery period started (ms); -1: not in one. */
  #recoveryStart = -1;
  readonly #hystart = new HyStart();

  constructor(maxDatagramSize: number) {
    this.maxDatagramSize = maxDatagramSize;
    this.cwnd = initialWindow(maxDatagramSize);
  }

  get available(): number {
    return Math.max(0, Math.floor(this.cwnd - this.bytesInFlight));
  }

  onSent(bytes: number): void {
    this.bytesInFlight += bytes;
  }

  onAcked(bytes: number, timeSent: number, now: number, rtt: RttEstimator): void {
    const inFlight = this.bytesInFlight;
    this.bytesInFlight = Math.max(0, inFlight - bytes);
    // No growth for packets sent before the current recovery period started, nor while
    // something else than the window limited sending.
    if (timeSent <= this.#recoveryStart) return;
    if (!isWindowLimited(this.cwnd, this.ssthresh, inFlight, this.maxDatagramSize)) return;
    if (this.cwnd < this.ssthresh) this.#hystart.grow(this, bytes, timeSent, now, rtt.latest);
    else this.growInAvoidance(bytes, now, rtt);
  }

  onRemoved(bytes: number): void {
    this.bytesInFlight = Math.max(0, this.bytesInFlight - bytes);
  }

  onCongestion(timeSentOfLargestLost: number, now: number): void {
    if (timeSentOfLargestLost <= this.#recoveryStart) return;
    this.#recoveryStart = now;
    this.congestionEvents++;
    this.reduce(now);
  }

  /**
   * Persistent congestion (RFC 9002 §7.6.2): the path looked dead for a while, so the window
   * drops to the minimum (2 datagrams) and the next ACK counts as outside any recovery.
   */
  onPersistentCongestion(): void {
    this.cwnd = 2 * this.maxDatagramSize;
    this.#recoveryStart = -1;
    this.congestionEvents++;
    this.onCollapse();
  }

  /** Congestion avoidance growth for an ACK of `bytes`. */
  protected abstract growInAvoidance(bytes: number, now: number, rtt: RttEstimator): void;
  /** The window reduction of a new recovery period (sets cwnd and ssthresh). */
  protected abstract reduce(now: number): void;
  /** After the collapse of persistent congestion. */
  protected onCollapse(): void {}
}
