import { describe, expect, it } from 'vitest';
import { type CongestionController, createController } from '../src/quic/congestion.js';
import { Pacer } from '../src/quic/pacer.js';
import { RttEstimator } from '../src/quic/rtt-estimator.js';

const MSS = 1200;

/**
 * A window-limited sender on a path of fixed RTT, on a fake clock: every packet sent at `s` is
 * acknowledged at `s + rtt`, and each ACK lets the sender fill the window again. Returns the
 * window seen at each ACK, with its time.
 */
function ackClock(cc: CongestionController, rttMs: number) {
  const rtt = new RttEstimator();
  rtt.update(rttMs, 0);
  const inFlight: number[] = [];
  let now = 0;
  const fill = (): void => {
    while (cc.bytesInFlight + MSS <= cc.cwnd) {
      cc.onSent(MSS, now);
      inFlight.push(now);
    }
  };
  return {
    get now(): number {
      return now;
    },
    /** Runs until `until` ms (or `stop` says so); returns [time, cwnd in datagrams] at each ACK. */
    runUntil(until: number, stop: () => boolean = () => false): Array<[number, number]> {
      const trace: Array<[number, number]> = [];
      fill();
      while (now < until && inFlight.length > 0 && !stop()) {
        const sentAt = inFlight.shift()!;
        now = Math.max(now, sentAt + rttMs);
        cc.onAcked(MSS, sentAt, now, rtt);
        trace.push([now, cc.cwnd / MSS]);
        fill();
      }
      return trace;
    },
    /** The oldest packet in flight is lost, detected now. */
    lose(): void {
      const sentAt = inFlight.shift()!;
      cc.onRemoved(MSS);
      cc.onCongestion(sentAt, now);
    },
  };
}

/** The window (datagrams) at the first ACK at or after `t`. */
const at = (trace: Array<[number, number]>, t: number): number =>
  trace.find(([time]) => time >= t)![1];

/** Grows a controller's window to `datagrams` by slow start, then loses one packet. */
function lossAt(kind: 'cubic' | 'newreno', datagrams: number, rttMs: number) {
  const cc = createController(kind, MSS);
  const clock = ackClock(cc, rttMs);
  clock.runUntil(Number.POSITIVE_INFINITY, () => cc.cwnd >= datagrams * MSS);
  const before = cc.cwnd;
  clock.lose();
  return { cc, clock, before };
}

describe('CUBIC (RFC 9438, issue #20)', () => {
  it('reduces the window to 0.7 of itself on a loss, once per recovery period', () => {
    const { cc, clock, before } = lossAt('cubic', 100, 100);
    expect(cc.cwnd).toBeCloseTo(0.7 * before, 6);
    expect(cc.ssthresh).toBeCloseTo(0.7 * before, 6);
    expect(cc.congestionEvents).toBe(1);
    // Another packet sent before the reduction is lost: still the same recovery period.
    clock.lose();
    expect(cc.cwnd).toBeCloseTo(0.7 * before, 6);
    expect(cc.congestionEvents).toBe(1);
  });

  it('grows concave up to the window of the loss after K seconds, then convex', () => {
    // W_max = 100 datagrams, cwnd 70 after the loss: K = ∛(30 / 0.4) ≈ 4.22 s.
    const { clock } = lossAt('cubic', 100, 100);
    const start = clock.now;
    const trace = clock.runUntil(start + 8000);
    const k = Math.cbrt(30 / 0.4) * 1000;
    const w = (t: number) => at(trace, start + t);
    expect(w(k)).toBeGreaterThan(98);
    expect(w(k)).toBeLessThan(102);
    // Concave: the first second gains far more than the second before K.
    expect(w(1000) - w(0)).toBeGreaterThan(5 * (w(k) - w(k - 1000)));
    // Convex: growth speeds up again after the plateau.
    expect(w(k + 3000) - w(k + 2000)).toBeGreaterThan(5 * (w(k + 1000) - w(k)));
    expect(w(k + 3000)).toBeGreaterThan(105);
  });

  it('grows like Reno where that is faster (short RTT): the Reno-friendly region', () => {
    // RTT 1 ms: 100 round trips in 100 ms, when the cubic function has barely moved (≈ 70.6).
    const { cc, clock } = lossAt('cubic', 100, 1);
    clock.runUntil(clock.now + 100);
    // W_est: 0.53 datagrams per RTT up to the old window (57 RTTs), then 1 per RTT.
    expect(cc.cwnd / MSS).toBeGreaterThan(100);
    expect(cc.cwnd / MSS).toBeLessThan(150);
  });

  it('aims lower after a loss below the previous W_max (fast convergence)', () => {
    // A long RTT keeps the Reno-friendly estimate below the cubic function here.
    const { cc, clock } = lossAt('cubic', 100, 300);
    clock.runUntil(Number.POSITIVE_INFINITY, () => cc.cwnd >= 90 * MSS);
    const second = cc.cwnd / MSS;
    clock.lose();
    const start = clock.now;
    // W_max becomes second · (1 + 0.7) / 2, reached K seconds later.
    const wMax = (second * 1.7) / 2;
    const k = Math.cbrt((wMax - 0.7 * second) / 0.4) * 1000;
    const trace = clock.runUntil(start + k + 1);
    expect(at(trace, start + k)).toBeGreaterThan(wMax - 2);
    expect(at(trace, start + k)).toBeLessThan(wMax + 2);
  });

  it('does not grow while the window is not what limits sending (RFC 9002 §7.8)', () => {
    for (const kind of ['cubic', 'newreno'] as const) {
      const cc = createController(kind, MSS);
      const rtt = new RttEstimator();
      rtt.update(10, 0);
      const before = cc.cwnd;
      // One packet at a time in flight: an application sending little.
      for (let i = 0; i < 100; i++) {
        cc.onSent(MSS, i * 10);
        cc.onAcked(MSS, i * 10, i * 10 + 10, rtt);
      }
      expect(cc.cwnd).toBe(before);
    }
  });

  it('collapses to two datagrams on persistent congestion, then slow-starts again', () => {
    const { cc, clock } = lossAt('cubic', 50, 10);
    cc.onPersistentCongestion();
    expect(cc.cwnd).toBe(2 * MSS);
    expect(cc.congestionEvents).toBe(2);
    const ssthresh = cc.ssthresh;
    clock.runUntil(clock.now + 50);
    // Slow start doubled it each RTT up to ssthresh, then the cubic epoch took over.
    expect(cc.cwnd).toBeGreaterThanOrEqual(ssthresh);
  });
});

describe('NewReno stays selectable (issue #20)', () => {
  it('halves on a loss and grows by one datagram per RTT in congestion avoidance', () => {
    const { cc, clock, before } = lossAt('newreno', 100, 100);
    expect(cc.name).toBe('newreno');
    expect(cc.cwnd).toBe(before / 2);
    const start = clock.now;
    const trace = clock.runUntil(start + 1000);
    // Ten RTTs, the first without growth (its ACKs are of packets sent before the loss): about
    // one datagram more for each of the other nine.
    expect(at(trace, start + 1000) - before / 2 / MSS).toBeGreaterThan(7.5);
    expect(at(trace, start + 1000) - before / 2 / MSS).toBeLessThan(9.5);
  });
});

describe('pacer (RFC 9002 §7.7, issue #20)', () => {
  it('lets an initial burst of ten datagrams go, then spaces datagrams at 1.25 · cwnd / RTT', () => {
    const pacer = new Pacer(MSS);
    const cwnd = 100 * MSS;
    const srtt = 100; // 1.25 · 100 datagrams per 100 ms: one every 0.8 ms.
    for (let i = 0; i < 10; i++) {
      expect(pacer.delay(0, cwnd, srtt)).toBe(0);
      pacer.onSent(MSS);
    }
    expect(pacer.delay(0, cwnd, srtt)).toBeCloseTo(0.8, 6);
    expect(pacer.delay(0.8, cwnd, srtt)).toBe(0);
  });

  it('sends about 1.25 windows per RTT, in bursts of at most 2 ms of that rate', () => {
    const pacer = new Pacer(MSS);
    const cwnd = 1000 * MSS;
    const srtt = 20; // 62.5 datagrams per ms; a burst is 100 datagrams (2 ms of cwnd / RTT).
    let sent = 0;
    let largestBurst = 0;
    for (let now = 0; now < 100; now += 5) {
      let burst = 0;
      while (pacer.delay(now, cwnd, srtt) === 0) {
        pacer.onSent(MSS);
        burst++;
      }
      sent += burst;
      largestBurst = Math.max(largestBurst, burst);
    }
    expect(largestBurst).toBe(100);
    // 5 ms ticks refill more than a burst holds, so the capacity is what limits here (the
    // first tick has only the initial ten datagrams).
    expect(sent).toBe(10 + 19 * 100);
    // Without the cap, 100 ms would allow 1.25 · 5 windows.
    expect(sent).toBeLessThan(1.25 * 5 * 1000);
  });

  it('spreads a window over the RTT when ticks are fine-grained', () => {
    const pacer = new Pacer(MSS);
    const cwnd = 200 * MSS;
    const srtt = 50;
    let sent = 0;
    for (let now = 0; now <= 500; now += 0.1) {
      while (pacer.delay(now, cwnd, srtt) === 0) {
        pacer.onSent(MSS);
        sent++;
      }
    }
    // 10 RTTs at 1.25 windows each, plus the initial burst.
    expect(sent).toBeGreaterThan(1.2 * 10 * 200);
    expect(sent).toBeLessThan(1.3 * 10 * 200 + 10);
  });
});
