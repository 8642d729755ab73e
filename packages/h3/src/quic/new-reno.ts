/**
 * NewReno congestion control: slow start, congestion avoidance, one window reduction per
 * recovery period, and the collapse to the minimum window on persistent congestion (the loss
 * detection decides when; see LossRecovery). Pacing is planned.
 * @see RFC 9002 §7
 */
export class NewReno {
  readonly #maxDatagramSize: number;
  /** Bytes allowed in flight. */
  cwnd: number;
  ssthresh: number = Number.POSITIVE_INFINITY;
  bytesInFlight = 0;
  #recoveryStart = -1;

  constructor(maxDatagramSize: number) {
    this.#maxDatagramSize = maxDatagramSize;
    this.cwnd = Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
  }

  /** Bytes that may be sent now. */
  get available(): number {
    return Math.max(0, Math.floor(this.cwnd - this.bytesInFlight));
  }

  onSent(bytes: number): void {
    this.bytesInFlight += bytes;
  }

  onAcked(bytes: number, timeSent: number): void {
    this.bytesInFlight = Math.max(0, this.bytesInFlight - bytes);
    // No growth for packets sent before the current recovery period started.
    if (timeSent <= this.#recoveryStart) return;
    if (this.cwnd < this.ssthresh) this.cwnd += bytes;
    else this.cwnd += (this.#maxDatagramSize * bytes) / this.cwnd;
  }

  /** Lost or discarded bytes leave flight; a loss (not a discard) may start recovery. */
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
  }

  onCongestion(timeSentOfLargestLost: number, now: number): void {
    if (timeSentOfLargestLost <= this.#recoveryStart) return;
    this.#recoveryStart = now;
    this.ssthresh = Math.max(this.cwnd / 2, 2 * this.#maxDatagramSize);
    this.cwnd = this.ssthresh;
  }
}
