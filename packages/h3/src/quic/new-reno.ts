import { type CongestionController, initialWindow, isWindowLimited } from './congestion.js';
import { HyStart } from './hystart.js';
import type { RttEstimator } from './rtt-estimator.js';

/**
 * NewReno congestion control: slow start, congestion avoidance, one window reduction per
 * recovery period, and the collapse to the minimum window on persistent congestion (the loss
 * detection decides when; see LossRecovery).
 * @see RFC 9002 §7
 */
export class NewReno implements CongestionController {
  readonly name = 'newreno';
  readonly #maxDatagramSize: number;
  cwnd: number;
  ssthresh: number = Number.POSITIVE_INFINITY;
  bytesInFlight = 0;
  congestionEvents = 0;
  readonly #hystart = new HyStart();
  #recoveryStart = -1;

  constructor(maxDatagramSize: number) {
    this.#maxDatagramSize = maxDatagramSize;
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
    if (!isWindowLimited(this.cwnd, this.ssthresh, inFlight, this.#maxDatagramSize)) return;
    if (this.cwnd < this.ssthresh) this.#hystart.grow(this, bytes, timeSent, now, rtt.latest);
    else this.cwnd += (this.#maxDatagramSize * bytes) / this.cwnd;
  }

  onRemoved(bytes: number): void {
    this.bytesInFlight = Math.max(0, this.bytesInFlight - bytes);
  }

  /**
   * Persistent congestion (RFC 9002 §7.6.2): the path looked dead for a while, so the window
   * drops to the minimum (2 datagrams) and the next ACK counts as outside any recovery.
   */
  onPersistentCongestion(): void {
    this.cwnd = 2 * this.#maxDatagramSize;
    this.#recoveryStart = -1;
    this.congestionEvents++;
  }

  onCongestion(timeSentOfLargestLost: number, now: number): void {
    if (timeSentOfLargestLost <= this.#recoveryStart) return;
    this.#recoveryStart = now;
    this.congestionEvents++;
    this.ssthresh = Math.max(this.cwnd / 2, 2 * this.#maxDatagramSize);
    this.cwnd = this.ssthresh;
  }
}
