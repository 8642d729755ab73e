import { WindowController } from './window-controller.js';

/**
 * NewReno congestion control: slow start, then one datagram more per RTT in congestion
 * avoidance, and half the window on a loss (the rest is WindowController's).
 * @see RFC 9002 §7
 */
export class NewReno extends WindowController {
  readonly name = 'newreno';

  protected growInAvoidance(bytes: number): void {
    this.cwnd += (this.maxDatagramSize * bytes) / this.cwnd;
  }

  protected reduce(): void {
    this.ssthresh = Math.max(this.cwnd / 2, 2 * this.maxDatagramSize);
    this.cwnd = this.ssthresh;
  }
}
