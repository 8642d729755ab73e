import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePacketNumber, packetNumberLength } from '../src/quic/packet-number.js';
import {
  encodeVarint,
  MAX_VARINT,
  readVarint,
  varintLength,
  writeVarint,
} from '../src/quic/varint.js';
import { hex, toHex } from './helpers.js';

describe('varint (RFC 9000 §16, Appendix A.1 examples)', () => {
  it.each([
    // 151288809941952652 is above 2^53: it decodes to the nearest double.
    ['c2197c5eff14e88c', Number(151288809941952652n)],
    ['9d7f3e7d', 494878333],
    ['7bbd', 15293],
    ['25', 37],
    ['4025', 37],
  ])('decodes %s as %d', (bytes, value) => {
    expect(readVarint(hex(bytes), 0)).toBe(value);
  });

  it('encodes minimally and round-trips every size boundary', () => {
    for (const v of [0, 63, 64, 16383, 16384, 2 ** 30 - 1, 2 ** 30, 2 ** 53 - 1]) {
      const b = encodeVarint(v);
      expect(b.length).toBe(varintLength(v));
      expect(readVarint(b, 0)).toBe(v);
    }
    expect(toHex(encodeVarint(15293))).toBe('7bbd');
    expect(toHex(encodeVarint(494878333))).toBe('9d7f3e7d');
  });

  it('writes 2^62-1 as the maximum 8-byte value', () => {
    expect(toHex(encodeVarint(MAX_VARINT))).toBe('ffffffffffffffff');
  });

  it('returns -1 when the buffer ends inside a varint', () => {
    expect(readVarint(hex('9d7f3e'), 0)).toBe(-1);
    expect(readVarint(new Uint8Array(0), 0)).toBe(-1);
  });

  it('rejects values that do not fit the requested size (a bug, not peer input)', () => {
    expect(() => writeVarint(new Uint8Array(8), 0, 64, 1)).toThrow(RangeError);
    expect(() => writeVarint(new Uint8Array(8), 0, -1)).toThrow(RangeError);
  });

  it('round-trips any safe integer below 2^53 in any allowed size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (v) => {
        const buf = new Uint8Array(8);
        writeVarint(buf, 0, v, 8);
        expect(readVarint(buf, 0)).toBe(v);
        expect(readVarint(encodeVarint(v), 0)).toBe(v);
      }),
    );
  });
});

describe('packet numbers (RFC 9000 Appendix A.2, A.3)', () => {
  it('decodes the RFC example: largest 0xa82f30ea, truncated 0x9b32 in 2 bytes', () => {
    expect(decodePacketNumber(0xa82f30ea, 0x9b32, 2)).toBe(0xa82f9b32);
  });

  it('chooses lengths from the unacknowledged range (RFC example 0xac5c02 / 0xabe8b3)', () => {
    expect(packetNumberLength(0xac5c02, 0xabe8b3)).toBe(2);
    expect(packetNumberLength(0xace8fe, 0xabe8b3)).toBe(3);
    expect(packetNumberLength(0, -1)).toBe(1);
  });

  it('recovers any packet number sent with the length packetNumberLength picks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 20 }),
        (acked, ahead) => {
          const pn = acked + 1 + ahead;
          const length = packetNumberLength(pn, acked);
          const truncated = pn % 2 ** (8 * length);
          // The receiver has seen at least everything acknowledged; it may have seen more.
          expect(decodePacketNumber(acked, truncated, length)).toBe(pn);
          expect(decodePacketNumber(pn - 1, truncated, length)).toBe(pn);
        },
      ),
    );
  });
});
