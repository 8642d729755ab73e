/** The rate is the window over the RTT times this (RFC 9002 §7.7 suggests N = 1.25). */
const PACING_GAIN = 1.25;
/** A burst may carry what the pacing rate sends in this long (a timer cannot fire sooner). */
const BURST_INTERVAL_MS = 2;
/** Bounds of a burst, in datagrams: the initial window at least, and never a huge train. */
const MIN_BURST_DATAGRAMS = 10;
const MAX_BURST_DATAGRAMS = 128;

/**
 * A token bucket that spreads a congestion window over the RTT instead of sending it at once:
 * bursts of a full window overflow the receiver's socket buffer (on loopback above all, where
 * the receiving event loop reads a few dozen datagrams per turn) and turn into losses that halve
 * the window. Tokens refill at 1.25 · cwnd / smoothed RTT; a burst holds about 2 ms of sending,
 * between 10 and 128 datagrams. Only ack-eliciting packets spend tokens (ACKs are not held up).
 * @see RFC 9002 §7.7
 */
export class Pacer {
  readonly #maxDatagramSize: number;
  #tokens: number;
  #lastRefill = Number.NEGATIVE_INFINITY;

  constructor(maxDatagramSize: number) {
    this.#maxDatagramSize = maxDatagramSize;
    this.#tokens = MIN_BURST_DATAGRAMS * maxDatagramSize;
  }

  /**
   * Milliseconds until a full datagram may leave (0: now), for a window of `cwnd` bytes and a
   * smoothed RTT of `srttMs`.
   */
  delay(now: number, cwnd: number, srttMs: number): number {
    const rtt = Math.max(srttMs, 0.01);
    const rate = (PACING_GAIN * cwnd) / rtt; // bytes per millisecond
    const mss = this.#maxDatagramSize;
    const capacity = Math.min(
      Math.max((cwnd * BURST_INTERVAL_MS) / rtt, MIN_BURST_DATAGRAMS * mss),
      MAX_BURST_DATAGRAMS * mss,
    );
    if (now > this.#lastRefill) {
      const elapsed = this.#lastRefill === Number.NEGATIVE_INFINITY ? 0 : now - this.#lastRefill;
      this.#tokens = Math.min(capacity, this.#tokens + rate * elapsed);
      this.#lastRefill = now;
    }
    return this.#tokens >= mss ? 0 : (mss - this.#tokens) / rate;
  }

  /** An ack-eliciting datagram of `bytes` left. */
  onSent(bytes: number): void {
    this.#tokens = Math.max(0, this.#tokens - bytes);
  }
}
