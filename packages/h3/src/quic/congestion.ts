import { Cubic } from './cubic.js';
import { NewReno } from './new-reno.js';
import type { RttEstimator } from './rtt-estimator.js';

/** The congestion controllers a connection can run. CUBIC is the default. */
export type CongestionControl = 'cubic' | 'newreno';

/**
 * What loss recovery asks of a congestion controller: the window, bytes in flight, and the
 * events that move them. Times are `performance.now()` milliseconds.
 * @see RFC 9002 §7
 */
export interface CongestionController {
  readonly name: CongestionControl;
  /** Bytes allowed in flight. */
  readonly cwnd: number;
  readonly ssthresh: number;
  bytesInFlight: number;
  /** Windows reduced by a loss (one per recovery period) or by persistent congestion. */
  readonly congestionEvents: number;
  /** Bytes that may be sent now. */
  readonly available: number;
  onSent(bytes: number, now: number): void;
  /** A packet sent at `timeSent` was acknowledged at `now`. */
  onAcked(bytes: number, timeSent: number, now: number, rtt: RttEstimator): void;
  /** Lost or discarded bytes leave flight. */
  onRemoved(bytes: number): void;
  /** A loss of a packet sent at `timeSentOfLargestLost`: at most one reduction per recovery period. */
  onCongestion(timeSentOfLargestLost: number, now: number): void;
  /** The window collapses to the minimum (RFC 9002 §7.6.2). */
  onPersistentCongestion(): void;
}

/** The initial window: ten datagrams, within 14720 bytes (RFC 9002 §7.2). */
export function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/**
 * Whether the window, not the application or flow control, limited sending when an ACK came
 * (`inFlight` counted before the ACK took its bytes out): only then may the ACK grow the window
 * (RFC 9002 §7.8), or a flow-control-limited sender would grow it without bound and send all
 * of it at once later. Slow start needs half the window used (it doubles per RTT); congestion
 * avoidance nearly all of it, less the slack the pacer leaves.
 */
export function isWindowLimited(
  cwnd: number,
  ssthresh: number,
  inFlight: number,
  maxDatagramSize: number,
): boolean {
  if (cwnd < ssthresh) return 2 * inFlight >= cwnd;
  return inFlight + Math.max(3 * maxDatagramSize, cwnd / 8) >= cwnd;
}

/** A controller of the named kind for datagrams of `maxDatagramSize` bytes. */
export function createController(
  kind: CongestionControl,
  maxDatagramSize: number,
): CongestionController {
  return kind === 'newreno' ? new NewReno(maxDatagramSize) : new Cubic(maxDatagramSize);
}
