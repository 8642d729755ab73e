import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckTracker } from '../src/quic/ack-tracker.js';
import { ByteWriter } from '../src/quic/byte-writer.js';
import { parseFrames } from '../src/quic/frame-parser.js';
import { writeFrame } from '../src/quic/frame-writer.js';
import { ReassemblyBuffer } from '../src/quic/reassembly-buffer.js';

describe('AckTracker (RFC 9000 §13.2)', () => {
  it('reports exactly the received packet numbers as descending, separated ranges, in any order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 40 }),
        (pns) => {
          const tracker = new AckTracker();
          for (const pn of pns) tracker.onPacket(pn, true, 0, 25, false);
          const ack = tracker.takeAck(0, 3);
          const covered = new Set<number>();
          let previousSmallest = Number.POSITIVE_INFINITY;
          for (const range of ack.ranges) {
            // At least one missing packet between ranges: a gap field of 0 or more.
            expect(range.largest).toBeLessThan(previousSmallest - 1);
            previousSmallest = range.smallest;
            for (let pn = range.smallest; pn <= range.largest; pn++) covered.add(pn);
          }
          expect([...covered].sort((a, b) => a - b)).toEqual([...pns].sort((a, b) => a - b));
          // And the frame survives its own encoding.
          const w = new ByteWriter();
          writeFrame(w, ack);
          expect(parseFrames(w.finish(), '1rtt')).toEqual([ack]);
        },
      ),
    );
  });

  it('asks for an ACK at once after two ack-eliciting packets, or after max_ack_delay', () => {
    const tracker = new AckTracker();
    tracker.onPacket(0, true, 100, 25, false);
    expect(tracker.ackDueAt).toBe(125);
    tracker.onPacket(1, true, 101, 25, false);
    expect(tracker.isAckDue(101)).toBe(true);
    tracker.takeAck(101, 3);
    tracker.onPacket(2, false, 102, 25, false);
    expect(tracker.ackDueAt).toBe(Number.POSITIVE_INFINITY);
  });

  it('acknowledges every tenth ack-eliciting packet after the first hundred (issue #20)', () => {
    const tracker = new AckTracker();
    let acks = 0;
    for (let pn = 0; pn < 300; pn++) {
      tracker.onPacket(pn, true, pn, 25, false);
      if (tracker.isAckDue(pn)) {
        tracker.takeAck(pn, 3);
        acks++;
      }
    }
    // 50 ACKs for the first 100 packets, then 20 for the next 200.
    expect(acks).toBe(50 + 20);
    // Between them the delay timer is armed for what is still unacknowledged.
    tracker.onPacket(300, true, 300, 25, false);
    expect(tracker.ackDueAt).toBe(325);
  });

  it('acknowledges at once a packet that leaves a gap or fills one (RFC 9000 §13.2.1)', () => {
    const tracker = new AckTracker();
    tracker.onPacket(0, true, 0, 25, false);
    expect(tracker.isAckDue(0)).toBe(false);
    tracker.onPacket(2, true, 1, 25, false); // 1 is missing
    expect(tracker.isAckDue(1)).toBe(true);
    tracker.takeAck(1, 3);
    tracker.onPacket(1, true, 2, 25, false); // the gap filled, late
    expect(tracker.isAckDue(2)).toBe(true);
  });
});

describe('ReassemblyBuffer', () => {
  it('delivers any split of a byte string, in any arrival order with duplicates, exactly once and in order', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.array(fc.tuple(fc.nat(199), fc.nat(60)), { maxLength: 30 }),
        (data, pieces) => {
          const buf = new ReassemblyBuffer(1000);
          const out: number[] = [];
          const drain = (): void => {
            for (let c = buf.read(); c !== undefined; c = buf.read()) out.push(...c);
          };
          for (const [start, length] of pieces) {
            const s = start % data.length;
            buf.insert(s, data.subarray(s, s + length));
            drain();
          }
          buf.insert(0, data);
          drain();
          expect(Uint8Array.from(out)).toEqual(data);
          expect(buf.bufferedBytes).toBe(0);
        },
      ),
    );
  });

  it('refuses to hold more than its limit out of order', () => {
    const buf = new ReassemblyBuffer(10);
    expect(() => buf.insert(5, new Uint8Array(11))).toThrow(/more than 10 bytes buffered/);
  });
});
