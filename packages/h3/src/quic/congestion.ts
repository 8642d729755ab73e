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

/** A controller of the named kind for datagrams of `maxDatagramSize` bytes. */
export function createController(
  kind: CongestionControl,
  maxDatagramSize: number,
): CongestionController {
  return kind === 'newreno' ? new NewReno(maxDatagramSize) : new Cubic(maxDatagramSize);
}
