/**
 * Property tests of the frame codec (issue #14): random messages, fragmented at random and
 * interleaved with control frames, encoded, then fed to the parser in random chunks — in
 * process and over a real socket to the echo server — must come back exactly.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it, onTestFinished } from 'vitest';
import { encodeFrame } from '../../src/websocket/encode-frame.js';
import { type Frame, FrameParser } from '../../src/websocket/frame-parser.js';
import { handshakeRequest, startEcho } from './ws-helpers.js';

interface Msg {
  isText: boolean;
  data: Uint8Array;
  cuts: number[];
  pings: string[];
}

const message = fc.record({
  isText: fc.boolean(),
  data: fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => Buffer.from(s) as Uint8Array),
    fc.uint8Array({ maxLength: 70_000 }),
  ),
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
  pings: fc.array(fc.string({ maxLength: 20 }), { maxLength: 2 }),
});

/** Encodes a message as fragments (split at `cuts`), with pings between fragments. */
function encodeMessage(m: Msg, mask: boolean): Buffer {
  const isText =
    m.isText && Buffer.from(Buffer.from(m.data).toString()).equals(Buffer.from(m.data));
  const points = [
    ...new Set(m.cuts.map((c) => (m.data.length === 0 ? 0 : c % m.data.length))),
  ].sort((a, b) => a - b);
  const bounds = [0, ...points.filter((p) => p > 0), m.data.length];
  const out: Uint8Array[] = [];
  for (let i = 0; i < bounds.length - 1; i++) {
    const part = m.data.subarray(bounds[i], bounds[i + 1]);
    const opcode = i === 0 ? (isText ? 1 : 2) : 0;
    out.push(encodeFrame(opcode, part, { mask, fin: i === bounds.length - 2 }));
    const ping = m.pings[i];
    if (ping !== undefined && i < bounds.length - 2)
      out.push(encodeFrame(9, Buffer.from(ping), { mask }));
  }
  return Buffer.concat(out);
}

function chunk(bytes: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  for (let i = 0; pos < bytes.length; i++) {
    const n = 1 + ((sizes[i % Math.max(sizes.length, 1)] ?? bytes.length) % 9000);
    out.push(bytes.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

/** Joins data frames into messages (what the WebSocket does) to compare with the input. */
function messages(frames: Frame[]): Buffer[] {
  const out: Buffer[] = [];
  let parts: Uint8Array[] = [];
  for (const f of frames) {
    if (f.opcode >= 8) continue;
    parts.push(f.payload);
    if (f.fin) {
      out.push(Buffer.concat(parts));
      parts = [];
    }
  }
  return out;
}

describe('FrameParser over random chunking (fast-check)', () => {
  it('yields the same frames whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (msgs, sizes, isServer) => {
          const wire = Buffer.concat(msgs.map((m) => encodeMessage(m, isServer)));
          const whole = [
            ...new FrameParser({
              expectMasked: isServer,
              maxFrameBytes: 1e6,
              allowRsv1: false,
            }).push(wire),
          ];
          const parser = new FrameParser({
            expectMasked: isServer,
            maxFrameBytes: 1e6,
            allowRsv1: false,
          });
          const frames: Frame[] = [];
          for (const c of chunk(wire, sizes)) for (const f of parser.push(c)) frames.push(f);
          expect(
            frames.map((f) => [f.opcode, f.fin, Buffer.from(f.payload).toString('hex')]),
          ).toEqual(whole.map((f) => [f.opcode, f.fin, Buffer.from(f.payload).toString('hex')]));
          expect(messages(frames)).toEqual(msgs.map((m) => Buffer.from(m.data)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never accepts garbage silently: random bytes either parse or throw a ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 300 }), (bytes) => {
        const parser = new FrameParser({
          expectMasked: true,
          maxFrameBytes: 1024,
          allowRsv1: false,
        });
        try {
          for (const f of parser.push(bytes)) {
            expect(
              f.opcode === 0 ||
                f.opcode === 1 ||
                f.opcode === 2 ||
                (f.opcode >= 8 && f.opcode <= 10),
            ).toBe(true);
            if (f.opcode >= 8) expect(f.payload.length).toBeLessThanOrEqual(125);
          }
        } catch (err) {
          expect((err as { closeCode?: number }).closeCode).toBeOneOf([1002, 1009]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('the server parser over a real socket with random write splits', () => {
  it('echoes every message exactly, whatever the TCP chunking', async () => {
    const { port } = await startEcho();
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 10 }),
        async (msgs, sizes) => {
          const socket = connect(port, '127.0.0.1');
          onTestFinished(() => {
            socket.destroy();
          });
          socket.setNoDelay(true);
          const parser = new FrameParser({
            expectMasked: false,
            maxFrameBytes: 1e7,
            allowRsv1: false,
          });
          const frames: Frame[] = [];
          let head: Buffer | null = Buffer.alloc(0);
          const want = msgs.length;
          const done = new Promise<void>((resolve, reject) => {
            socket.on('error', reject);
            socket.on('data', (d: Buffer) => {
              let data = d;
              if (head !== null) {
                head = Buffer.concat([head, d]);
                const end = head.indexOf('\r\n\r\n');
                if (end === -1) return;
                data = head.subarray(end + 4);
                head = null;
              }
              for (const f of parser.push(data)) if (f.opcode < 8) frames.push(f);
              if (messages(frames).length >= want) resolve();
            });
          });
          socket.write(handshakeRequest());
          const wire = Buffer.concat(msgs.map((m) => encodeMessage(m, true)));
          for (const c of chunk(wire, sizes)) {
            socket.write(c);
            await new Promise((r) => setImmediate(r));
          }
          await done;
          expect(messages(frames)).toEqual(msgs.map((m) => Buffer.from(m.data)));
          socket.destroy();
        },
      ),
      { numRuns: 25 },
    );
  });
});
