import { describe, expect, it } from 'vitest';
import { createController } from '../src/quic/congestion.js';
import { HyStart } from '../src/quic/hystart.js';
import { RttEstimator } from '../src/quic/rtt-estimator.js';

/** One round of eight ACKs starting at `start`, all with RTT `rtt`; returns the last phase. */
function round(hystart: HyStart, start: number, rtt: number): string {
  let phase = '';
  // The first ACK is of a packet sent after the previous round began: a new round.
  for (let i = 0; i < 8; i++) phase = hystart.onAck(start - 1, start + i, rtt);
  return phase;
}

describe('HyStart++ (RFC 9406, issue #20)', () => {
  it('keeps slow-starting while the RTT stays flat', () => {
    const hystart = new HyStart();
    for (let t = 100; t <= 2000; t += 100) expect(round(hystart, t, 20)).toBe('slow_start');
  });

  it('moves to conservative slow start when the round minimum RTT rises, then leaves after five rounds', () => {
    const hystart = new HyStart();
    expect(round(hystart, 100, 20)).toBe('slow_start');
    expect(round(hystart, 200, 20)).toBe('slow_start');
    // 23 ms is below 20 + max(20 / 8, 4) = 24 ms: still slow start.
    expect(round(hystart, 300, 23)).toBe('slow_start');
    expect(round(hystart, 400, 30)).toBe('css');
    const phases = [500, 600, 700, 800].map((t) => round(hystart, t, 30));
    expect(phases).toEqual(['css', 'css', 'css', 'css']);
    expect(hystart.onAck(899, 900, 30)).toBe('exit');
  });

  it('goes back to slow start when the RTT falls below the CSS baseline', () => {
    const hystart = new HyStart();
    round(hystart, 100, 20);
    expect(round(hystart, 200, 30)).toBe('css');
    expect(round(hystart, 300, 25)).toBe('slow_start');
  });

  it('counts one RTT sample per ACK frame, not per packet it covers', () => {
    const hystart = new HyStart();
    round(hystart, 100, 20);
    // Twenty packets acknowledged by one ACK (one time): one sample, not enough to judge.
    let phase = '';
    for (let i = 0; i < 20; i++) phase = hystart.onAck(199, 200, 40);
    expect(phase).toBe('slow_start');
  });

  it.each(['cubic', 'newreno'] as const)(
    '%s leaves the first slow start without a loss once a bottleneck queue builds',
    (kind) => {
      // A 20 ms path through a link of 1200 bytes per ms: the window it needs is 20 datagrams.
      const mss = 1200;
      const cc = createController(kind, mss);
      const rtt = new RttEstimator();
      const acks: Array<{ sentAt: number; ackAt: number }> = [];
      let now = 0;
      let linkFree = 0;
      const fill = (): void => {
        while (cc.bytesInFlight + mss <= cc.cwnd) {
          cc.onSent(mss, now);
          linkFree = Math.max(now, linkFree) + 1;
          acks.push({ sentAt: now, ackAt: linkFree + 20 });
        }
      };
      fill();
      while (now < 2000 && cc.ssthresh === Number.POSITIVE_INFINITY) {
        const { sentAt, ackAt } = acks.shift()!;
        now = ackAt;
        rtt.update(now - sentAt, 0);
        cc.onAcked(mss, sentAt, now, rtt);
        fill();
      }
      expect(cc.congestionEvents).toBe(0);
      expect(cc.ssthresh).toBeLessThan(Number.POSITIVE_INFINITY);
      // Slow start alone doubles each round until losses; HyStart++ stopped it within 20 BDPs
      // (the RTT rises gradually here, so the rise is seen late, then CSS grows for 5 rounds).
      expect(cc.cwnd / mss).toBeGreaterThan(20);
      expect(cc.cwnd / mss).toBeLessThan(400);
    },
  );
});
