import { randomBytes } from 'node:crypto';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ByteWriter } from '../src/quic/byte-writer.js';
import { ConnectionTimer } from '../src/quic/connection-timer.js';
import {
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
} from '../src/quic/crypto/cipher-suite.js';
import { PacketKeys } from '../src/quic/crypto/packet-keys.js';
import { datagramBuffer } from '../src/quic/datagram-slab.js';
import { frameSize, writeFrame } from '../src/quic/frame-writer.js';
import type { Frame } from '../src/quic/frames.js';
import { parsePacketHeader, writeShortHeader } from '../src/quic/packet-header.js';
import {
  HeaderProtectionBatch,
  protectInPlace,
  unprotectPacket,
} from '../src/quic/packet-protection.js';
import { type PacketType, writeProtectedPacket } from '../src/quic/packet-writer.js';
import { QUIC_V1, QUIC_V2, versionProfile } from '../src/quic/version.js';

/**
 * The per-packet send path's shortcuts (issue #21): each must give exactly what the plain
 * path gives. Over real UDP they run in every loopback test (quic-loopback.test.ts checks a
 * chunk-list write end to end).
 */

const V1 = versionProfile(QUIC_V1)!;

/** Room for a 1-RTT packet with its header written, and random frames bytes to seal into it. */
function unsealedPacket(pn: number, bodyLength: number) {
  const w = new ByteWriter(64);
  const dcid = randomBytes(8);
  const pnOffset = writeShortHeader(w, dcid, pn, 2, 0);
  const body = randomBytes(bodyLength);
  const packet = new Uint8Array(w.length + bodyLength + 16);
  packet.set(w.view());
  return { packet, pnOffset, body };
}

describe('header protection batched over a burst', () => {
  it.each([
    ['TLS_AES_128_GCM_SHA256', TLS_AES_128_GCM_SHA256],
    ['TLS_AES_256_GCM_SHA384', TLS_AES_256_GCM_SHA384],
    ['TLS_CHACHA20_POLY1305_SHA256', TLS_CHACHA20_POLY1305_SHA256],
  ] as const)('gives the bytes one mask per packet gives, with %s', (_name, suite) => {
    const keysA = new PacketKeys(suite, randomBytes(suite.hash === 'sha384' ? 48 : 32), V1);
    const keysB = new PacketKeys(suite, randomBytes(suite.hash === 'sha384' ? 48 : 32), V1);
    const batch = new HeaderProtectionBatch();
    const batched: Uint8Array[] = [];
    const single: Uint8Array[] = [];
    // 100 packets (past the batch's initial room of 64), keys changing mid-burst twice.
    for (let i = 0; i < 100; i++) {
      const keys = i < 40 || i >= 70 ? keysA : keysB;
      const { packet, pnOffset, body } = unsealedPacket(i, 20 + i * 13);
      const copy = packet.slice();
      protectInPlace(keys, packet, pnOffset, i, body, batch);
      protectInPlace(keys, copy, pnOffset, i, body);
      batched.push(packet);
      single.push(copy);
    }
    expect(batch.size).toBe(100);
    batch.apply();
    expect(batch.size).toBe(0);
    for (let i = 0; i < 100; i++) {
      expect(Buffer.from(batched[i]!).equals(Buffer.from(single[i]!))).toBe(true);
      const keys = i < 40 || i >= 70 ? keysA : keysB;
      const opened = unprotectPacket(keys, batched[i]!, 0, 9, batched[i]!.length, i - 1);
      expect(opened?.pn).toBe(i);
    }
  });

  it('seals a payload lying where its ciphertext goes (in place in the datagram)', () => {
    const keys = new PacketKeys(TLS_AES_128_GCM_SHA256, randomBytes(32), V1);
    const { packet, pnOffset, body } = unsealedPacket(7, 1200);
    const inPlace = packet.slice();
    const headerLength = pnOffset + 2;
    inPlace.set(body, headerLength);
    protectInPlace(keys, packet, pnOffset, 7, body);
    protectInPlace(keys, inPlace, pnOffset, 7, inPlace.subarray(headerLength, headerLength + 1200));
    expect(Buffer.from(inPlace).equals(Buffer.from(packet))).toBe(true);
    const opened = unprotectPacket(keys, inPlace, 0, pnOffset, inPlace.length, 6);
    expect(Buffer.from(opened!.payload).equals(body)).toBe(true);
  });
});

describe('batched header protection of coalesced long-header packets', () => {
  it.each([
    ['v1', QUIC_V1],
    ['v2', QUIC_V2],
  ] as const)(
    'masks Initial, 0-RTT and 1-RTT packets of %s as one mask per packet does',
    (_n, v) => {
      const profile = versionProfile(v)!;
      const key = () => new PacketKeys(TLS_AES_128_GCM_SHA256, randomBytes(32), profile);
      // A resuming client's burst: Initial, then 0-RTT (early keys), later 1-RTT; keys change twice.
      const packets: { type: PacketType; keys: PacketKeys }[] = [
        { type: 'initial', keys: key() },
        { type: '0rtt', keys: key() },
        { type: '0rtt', keys: key() },
        { type: 'application', keys: key() },
      ];
      const dcid = randomBytes(8);
      const scid = randomBytes(8);
      const write = (batch?: HeaderProtectionBatch) => {
        // Room for all of it: the batch holds views of the buffer, which must not move.
        const w = new ByteWriter(4096);
        for (const [pn, { type, keys }] of packets.entries()) {
          const data = Uint8Array.from({ length: 100 + pn }, (_, i) => i);
          const frames: Frame[] = [{ type: 'stream', streamId: 0, offset: 0, data, fin: false }];
          const packet = {
            space: type,
            keys,
            profile,
            dcid,
            scid,
            pn,
            pnLength: 2 as const,
            frames,
          };
          writeProtectedPacket({ ...packet, token: new Uint8Array(0), keyPhase: 0 }, w, batch);
        }
        return w;
      };
      const batch = new HeaderProtectionBatch();
      const written = write(batch);
      batch.apply();
      // A view, not a copy: apply() masked the packets where the batch saw them.
      const batched = written.view();
      expect(Buffer.from(batched).equals(Buffer.from(write().view()))).toBe(true);
      let at = 0;
      for (const [pn, { type, keys }] of packets.entries()) {
        const header = parsePacketHeader(batched, at, dcid.length)!;
        if (type === 'application') expect(header.form).toBe('short');
        else expect(header).toMatchObject({ form: 'long', type, version: v });
        if (header.form !== 'long' && header.form !== 'short') throw new Error(header.form);
        const opened = unprotectPacket(keys, batched, at, header.pnOffset, header.end, pn - 1);
        expect(opened?.pn).toBe(pn);
        at = header.end;
      }
      expect(at).toBe(batched.length);
    },
  );
});

describe('frameSize of STREAM and CRYPTO frames', () => {
  it('equals the written length across varint sizes', () => {
    const values = [0, 1, 63, 64, 16_383, 16_384, 1_073_741_823, 1_073_741_824];
    for (const id of values)
      for (const offset of values)
        for (const length of [0, 1, 63, 64, 1400, 16_384]) {
          const data = new Uint8Array(length);
          const frames: Frame[] = [
            { type: 'stream', streamId: id, offset, data, fin: false },
            { type: 'stream', streamId: id, offset, data, fin: true },
            { type: 'crypto', offset, data },
          ];
          for (const frame of frames) {
            const w = new ByteWriter(32);
            writeFrame(w, frame);
            expect(frameSize(frame)).toBe(w.length);
          }
        }
  });

  it('writes PADDING as zero bytes into a reused buffer', () => {
    const w = new ByteWriter(8);
    w.u8(0xff).u8(0xff);
    w.reset();
    writeFrame(w, { type: 'padding', length: 40 });
    expect(w.length).toBe(40);
    expect(w.view().every((b) => b === 0)).toBe(true);
  });
});

describe('ConnectionTimer', () => {
  function timer() {
    const fired: number[] = [];
    const t = new ConnectionTimer(() => fired.push(performance.now()));
    onTestFinished(() => t.clear());
    return { t, fired };
  }

  it('fires once, not before a deadline moved later', async () => {
    const { t, fired } = timer();
    const start = performance.now();
    t.arm(start + 20);
    t.arm(start + 120);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(fired.length).toBe(1);
    expect(fired[0]!).toBeGreaterThanOrEqual(start + 119);
  });

  it('fires at a deadline moved earlier, and never after clear()', async () => {
    const { t, fired } = timer();
    const start = performance.now();
    t.arm(start + 10_000);
    t.arm(start + 30);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(fired.length).toBe(1);
    expect(fired[0]!).toBeGreaterThanOrEqual(start + 29);
    t.arm(performance.now() + 30);
    t.clear();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(fired.length).toBe(1);
  });

  it('wakes at the idle deadline when it comes first', async () => {
    const { t, fired } = timer();
    const start = performance.now();
    t.touchIdle(40, 0);
    t.arm(Number.POSITIVE_INFINITY);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(fired.length).toBe(1);
    // Within a millisecond of it (node timers count whole milliseconds), never sooner.
    expect(fired[0]!).toBeGreaterThanOrEqual(start + 39);
    expect(t.isIdleAt(fired[0]! + 1)).toBe(true);
  });
});

describe('datagramBuffer', () => {
  it('hands out non-overlapping buffers of the exact size', () => {
    const bufs = Array.from({ length: 200 }, (_, i) => datagramBuffer(1200 + i));
    for (const [i, buf] of bufs.entries()) {
      expect(buf.length).toBe(1200 + i);
      buf.fill(i + 1);
    }
    // Filling each after the others were handed out overwrote none of them.
    for (const [i, buf] of bufs.entries()) expect(buf.every((b) => b === i + 1)).toBe(true);
    expect(datagramBuffer(65_527).length).toBe(65_527);
  });
});
