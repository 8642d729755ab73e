import type { RttEstimator } from './rtt-estimator.js';
import { WindowController } from './window-controller.js';

/** CUBIC's constant C, in datagrams per second cubed. */
const C = 0.4;
/** The multiplicative decrease factor β_cubic. */
const BETA = 0.7;
/** The Reno-friendly additive increase α_cubic = 3(1 − β)/(1 + β), per RTT in datagrams. */
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

/**
 * CUBIC congestion control: after a loss the window drops to 0.7 of itself, then follows a
 * cubic function of the time since the loss, concave up to the window where the loss happened
 * (W_max, reached after K seconds) and convex beyond it, so it probes quickly far from the last
 * loss and carefully near it. Where Reno would grow faster (short RTTs, small windows) the
 * Reno-friendly estimate W_est sets the window instead. Slow start, one reduction per recovery
 * period and persistent congestion are WindowController's (RFC 9002, HyStart++).
 * @see RFC 9438 §4
 */
export class Cubic extends WindowController {
  readonly name = 'cubic';
  /** The window where the last loss happened (bytes; fast convergence may lower it). */
  #wMax = 0;
  /** The window just before the last reduction (α becomes 1 once W_est reaches it, §4.3). */
  #cwndPrior = 0;
  /** Start of the current congestion avoidance epoch (ms); -1 until the next one begins. */
  #epochStart = -1;
  /** Seconds from the epoch start until the cubic function reaches W_max. */
  #k = 0;
  /** The Reno-friendly window estimate W_est (bytes). */
  #wEst = 0;

  /** The window the cubic function gives `t` seconds into the epoch (bytes). */
  #wCubic(t: number): number {
    return C * (t - this.#k) ** 3 * this.maxDatagramSize + this.#wMax;
  }

  protected growInAvoidance(bytes: number, now: number, rtt: RttEstimator): void {
    const mss = this.maxDatagramSize;
    if (this.#epochStart < 0) {
      // Congestion avoidance starts without a loss (slow start reached ssthresh): the cubic
      // function starts on its plateau at the current window (§4.2).
      this.#epochStart = now;
      if (this.#wMax < this.cwnd) this.#wMax = this.cwnd;
      this.#k = Math.cbrt((this.#wMax - this.cwnd) / mss / C);
      this.#wEst = this.cwnd;
    }
    const t = (now - this.#epochStart) / 1000;
    const alpha = this.#wEst >= this.#cwndPrior ? 1 : ALPHA;
    this.#wEst += (alpha * mss * bytes) / this.cwnd;
    if (this.#wCubic(t) < this.#wEst) {
      // Reno-friendly region (§4.3).
      this.cwnd = Math.max(this.cwnd, this.#wEst);
      return;
    }
    // Aim at where the function will be one RTT from now, growing at most 1.5x per RTT (§4.4).
    const target = Math.min(
      Math.max(this.#wCubic(t + rtt.smoothed / 1000), this.cwnd),
      1.5 * this.cwnd,
    );
    this.cwnd += ((target - this.cwnd) * bytes) / this.cwnd;
  }

  protected reduce(now: number): void {
    const mss = this.maxDatagramSize;
    // Fast convergence (§4.7): a loss below the last W_max means another flow took a share,
    // so release some bandwidth by aiming lower.
    this.#wMax = this.cwnd < this.#wMax ? (this.cwnd * (1 + BETA)) / 2 : this.cwnd;
    this.#cwndPrior = this.cwnd;
    this.ssthresh = Math.max(this.cwnd * BETA, 2 * mss);
    this.cwnd = this.ssthresh;
    this.#epochStart = now;
    this.#k = Math.cbrt(Math.max(0, this.#wMax - this.cwnd) / mss / C);
    this.#wEst = this.cwnd;
  }

  /** A new epoch starts after the slow start that follows (§4.8). */
  protected override onCollapse(): void {
    this.#epochStart = -1;
  }
}
