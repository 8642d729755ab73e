import { describe, expect, it } from 'vitest';
import type { AckRange } from '../src/quic/frames.js';
import { LossRecovery } from '../src/quic/loss-recovery.js';
import { PacketSpace } from '../src/quic/packet-space.js';

const MTU = 1200;

/** A sender's application space and its loss recovery (NewReno), driven by send times and ACKs. */
function sender() {
  const recovery = new LossRecovery(MTU, 'newreno');
  const space = new PacketSpace('application');
  const send = (pn: number, at: number): void => {
    space.nextPn = pn + 1;
    recovery.onSent(space, { pn, timeSent: at, size: MTU, isAckEliciting: true, frames: [] });
  };
  const ack = (ranges: AckRange[], at: number) =>
    recovery.onAck(space, { type: 'ack', delay: 0, ranges }, 3, 25, at);
  return { recovery, space, send, ack };
}

// With a 10 ms RTT (rttvar 5 ms) and max_ack_delay 25 ms, the persistent congestion duration
// is (10 + 4·5 + 25) · 3 = 165 ms (RFC 9002 §7.6.1).
describe('persistent congestion (RFC 9002 §7.6, issue #20)', () => {
  it('collapses the window to two datagrams when lost packets span the duration', () => {
    const s = sender();
    s.send(0, 0);
    s.ack([{ smallest: 0, largest: 0 }], 10);
    for (let pn = 1; pn <= 10; pn++) s.send(pn, 100 + (pn - 1) * 30); // 100 … 370 ms
    s.send(11, 400);
    const { lost } = s.ack([{ smallest: 11, largest: 11 }], 410);
    expect(lost.map((p) => p.pn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(s.recovery.persistentCongestions).toBe(1);
    expect(s.recovery.cc.cwnd).toBe(2 * MTU);
  });

  it('only halves the window when a packet between the losses was acknowledged', () => {
    const s = sender();
    s.send(0, 0);
    s.ack([{ smallest: 0, largest: 0 }], 10);
    const before = s.recovery.cc.cwnd;
    for (let pn = 1; pn <= 10; pn++) s.send(pn, 100 + (pn - 1) * 30);
    s.send(11, 400);
    // Packet 5 arrived: the runs 1–4 (90 ms) and 6–10 (120 ms) are each shorter than 165 ms.
    const { lost } = s.ack(
      [
        { smallest: 11, largest: 11 },
        { smallest: 5, largest: 5 },
      ],
      410,
    );
    expect(lost).toHaveLength(9);
    expect(s.recovery.persistentCongestions).toBe(0);
    // Slow start grew the window by the two acknowledged packets, then the loss halved it.
    expect(s.recovery.cc.cwnd).toBe((before + 2 * MTU) / 2);
  });

  it('ignores losses of packets sent before the first RTT sample', () => {
    const s = sender();
    for (let pn = 0; pn <= 10; pn++) s.send(pn, pn * 30); // 0 … 300 ms, no sample yet
    s.send(11, 400);
    const { lost } = s.ack([{ smallest: 11, largest: 11 }], 410);
    expect(lost).toHaveLength(11);
    expect(s.recovery.persistentCongestions).toBe(0);
    expect(s.recovery.cc.cwnd).toBeGreaterThan(2 * MTU);
  });

  it('counts packets a probe timeout resent when a later ACK shows they never arrived', () => {
    const s = sender();
    s.send(0, 0);
    s.ack([{ smallest: 0, largest: 0 }], 10);
    for (let pn = 1; pn <= 5; pn++) s.send(pn, 100 + (pn - 1) * 50); // 100 … 300 ms
    const probed = s.recovery.onProbeTimeout(s.space);
    expect(probed).toHaveLength(5);
    // Only the probe (packet 6) gets through.
    s.send(6, 500);
    s.ack([{ smallest: 6, largest: 6 }], 510);
    expect(s.recovery.persistentCongestions).toBe(1);
    expect(s.recovery.cc.cwnd).toBe(2 * MTU);
    expect(s.space.probed).toHaveLength(0);
  });
});
