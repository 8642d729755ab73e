/** Bounds of the RTT increase that ends slow start (ms), and the share of the last minimum. */
const MIN_RTT_THRESH = 4;
const MAX_RTT_THRESH = 16;
const MIN_RTT_DIVISOR = 8;
/** RTT samples a round needs before it is judged. */
const N_RTT_SAMPLE = 8;
/** Conservative slow start grows by a quarter of slow start's rate, for five rounds. */
const CSS_GROWTH_DIVISOR = 4;
const CSS_ROUNDS = 5;

/** What the window does on this ACK: grow as in slow start, grow slower (CSS), or stop. */
type SlowStartPhase = 'slow_start' | 'css' | 'exit';

/**
 * HyStart++: leaves the initial slow start when the RTT starts to rise (a queue is building)
 * instead of doubling the window until a burst of losses. The minimum RTT of each round (a
 * round ends when a packet sent after it began is acknowledged) is compared with the previous
 * round's; a rise past a threshold of 4–16 ms moves to conservative slow start (CSS, a quarter
 * of the growth), which becomes congestion avoidance after five rounds, or goes back to slow
 * start if the RTT drops again (the rise was noise). Packets are paced, so there is no burst
 * limit L. Only the first slow start uses it (RFC 9406 §4.3).
 * @see RFC 9406
 */
export class HyStart {
  /** Packets sent after this time belong to the next round; -1 before the first ACK. */
  #roundStart = -1;
  #lastRoundMinRtt = Number.POSITIVE_INFINITY;
  #currentRoundMinRtt = Number.POSITIVE_INFINITY;
  #samples = 0;
  #lastSampleAt = Number.NEGATIVE_INFINITY;
  #isInCss = false;
  #cssBaselineMinRtt = Number.POSITIVE_INFINITY;
  #cssRounds = 0;

  /**
   * Slow start growth of `cc`'s window for an ACK of `bytes`: the first slow start (ssthresh
   * still infinite) goes through HyStart++, which may slow it or end it (ssthresh = cwnd).
   */
  grow(
    cc: { cwnd: number; ssthresh: number },
    bytes: number,
    timeSent: number,
    now: number,
    latestRttMs: number,
  ): void {
    if (cc.ssthresh !== Number.POSITIVE_INFINITY) {
      cc.cwnd += bytes;
      return;
    }
    const phase = this.onAck(timeSent, now, latestRttMs);
    if (phase === 'exit') cc.ssthresh = cc.cwnd;
    else cc.cwnd += phase === 'css' ? bytes / CSS_GROWTH_DIVISOR : bytes;
  }

  /** An ACK in slow start of a packet sent at `timeSent`, with the latest RTT sample. */
  onAck(timeSent: number, now: number, latestRttMs: number): SlowStartPhase {
    if (this.#roundStart < 0 || timeSent > this.#roundStart) {
      this.#lastRoundMinRtt = this.#currentRoundMinRtt;
      this.#currentRoundMinRtt = Number.POSITIVE_INFINITY;
      this.#samples = 0;
      this.#roundStart = now;
      if (this.#isInCss && ++this.#cssRounds >= CSS_ROUNDS) return 'exit';
    }
    // One sample per ACK frame: the packets one ACK covers share its time and sample.
    if (latestRttMs > 0 && now !== this.#lastSampleAt) {
      this.#lastSampleAt = now;
      this.#currentRoundMinRtt = Math.min(this.#currentRoundMinRtt, latestRttMs);
      this.#samples++;
    }
    if (this.#samples < N_RTT_SAMPLE || !Number.isFinite(this.#lastRoundMinRtt)) {
      return this.#isInCss ? 'css' : 'slow_start';
    }
    if (!this.#isInCss) {
      const threshold = Math.min(
        Math.max(this.#lastRoundMinRtt / MIN_RTT_DIVISOR, MIN_RTT_THRESH),
        MAX_RTT_THRESH,
      );
      if (this.#currentRoundMinRtt >= this.#lastRoundMinRtt + threshold) {
        this.#isInCss = true;
        this.#cssBaselineMinRtt = this.#currentRoundMinRtt;
        this.#cssRounds = 0;
      }
    } else if (this.#currentRoundMinRtt < this.#cssBaselineMinRtt) {
      // The RTT came back down: the rise was not a queue; slow start resumes.
      this.#isInCss = false;
      this.#cssBaselineMinRtt = Number.POSITIVE_INFINITY;
    }
    return this.#isInCss ? 'css' : 'slow_start';
  }
}
