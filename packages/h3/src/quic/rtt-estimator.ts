/**
 * Smoothed RTT and its variance from ACK samples.
 * @see RFC 9002 §5
 */
export class RttEstimator {
  /** Milliseconds. */
  latest = 0;
  smoothed: number = 333;
  variance: number = 333 / 2;
  min: number = Number.POSITIVE_INFINITY;
  #hasSample = false;

  /** Adds a sample; `ackDelayMs` is already capped at max_ack_delay by the caller when confirmed. */
  update(sampleMs: number, ackDelayMs: number): void {
    this.latest = sampleMs;
    this.min = Math.min(this.min, sampleMs);
    if (!this.#hasSample) {
      this.#hasSample = true;
      this.smoothed = sampleMs;
      this.variance = sampleMs / 2;
      return;
    }
    const adjusted = sampleMs >= this.min + ackDelayMs ? sampleMs - ackDelayMs : sampleMs;
    this.variance = 0.75 * this.variance + 0.25 * Math.abs(this.smoothed - adjusted);
    this.smoothed = 0.875 * this.smoothed + 0.125 * adjusted;
  }

  /** The probe timeout before backoff: srtt + max(4·rttvar, 1 ms) + max_ack_delay. */
  pto(maxAckDelayMs: number): number {
    return this.smoothed + Math.max(4 * this.variance, 1) + maxAckDelayMs;
  }
}
