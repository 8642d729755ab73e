import { describe, expect, it } from 'vitest';
import type { SentPacket } from '../src/quic/packet-space.js';
import { SentPackets } from '../src/quic/sent-packets.js';

const packet = (pn: number): SentPacket => ({
  pn,
  timeSent: pn,
  size: 1200,
  isAckEliciting: true,
  frames: [],
});

const pns = (sent: SentPackets): number[] => {
  const out: number[] = [];
  for (let pn = sent.first; pn < sent.end; pn++) if (sent.get(pn) !== undefined) out.push(pn);
  return out;
};

describe('SentPackets (packets in flight, a ring by packet number)', () => {
  it('keeps packet number order across gaps, removals at both ends and growth', () => {
    const sent = new SentPackets();
    // Gaps are packet numbers of packets that were not recorded (ACK-only packets).
    for (let pn = 0; pn < 300; pn += 3) sent.add(packet(pn));
    expect(sent.size).toBe(100);
    expect(sent.delete(0)?.pn).toBe(0);
    expect(sent.first).toBe(3);
    expect(sent.delete(4)).toBeUndefined();
    expect(sent.delete(297)?.pn).toBe(297);
    expect(sent.delete(9)?.pn).toBe(9);
    expect(sent.first).toBe(3);
    expect(sent.delete(3)?.pn).toBe(3);
    expect(sent.first).toBe(6);
    expect(pns(sent)).toEqual(Array.from({ length: 96 }, (_, i) => 6 + 3 * (i < 1 ? 0 : i + 1)));
  });

  it('wraps around its slots as old packets leave and new ones arrive', () => {
    const sent = new SentPackets();
    for (let pn = 0; pn < 10_000; pn++) {
      sent.add(packet(pn));
      if (pn >= 40) expect(sent.delete(pn - 40)?.pn).toBe(pn - 40);
    }
    expect(sent.size).toBe(40);
    expect(pns(sent)).toEqual(Array.from({ length: 40 }, (_, i) => 9_960 + i));
    expect(sent.get(9_959)).toBeUndefined();
    expect(sent.get(10_000)).toBeUndefined();
  });

  it('starts over at any packet number once empty, and takeAll empties it in order', () => {
    const sent = new SentPackets();
    sent.add(packet(5));
    sent.delete(5);
    expect(sent.size).toBe(0);
    expect(sent.first).toBe(sent.end);
    sent.add(packet(1_000_000));
    sent.add(packet(1_000_002));
    expect(sent.takeAll().map((p) => p.pn)).toEqual([1_000_000, 1_000_002]);
    expect(sent.size).toBe(0);
    expect(sent.get(1_000_000)).toBeUndefined();
    expect(() => {
      sent.add(packet(7));
      sent.add(packet(6));
    }).toThrow(/recorded after/);
  });
});
