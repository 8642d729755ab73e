/**
 * Random frames after a valid preface: whatever arrives, the server answers within the
 * protocol (responses, RST_STREAM, GOAWAY) and never throws out of its socket handlers or
 * reports an internal error.
 */
import { text } from '@rws/core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { startH2c } from './helpers.js';
import { block, GET, RawClient, rawFrame } from './raw-client.js';

const frameArb = fc.oneof(
  fc.record({
    type: fc.integer({ min: 0, max: 10 }),
    flags: fc.integer({ min: 0, max: 255 }),
    streamId: fc.constantFrom(0, 1, 2, 3, 5, 7, 0x7fffffff),
    payload: fc.uint8Array({ maxLength: 64 }),
  }),
  // Well-formed requests mixed in, so streams exist for the random frames to hit.
  fc
    .integer({ min: 0, max: 20 })
    .map((n) => ({ type: 1, flags: 5, streamId: n * 2 + 1, payload: block(GET) })),
);

it('survives random frame sequences', async () => {
  const { port, errors } = await startH2c(async (req) => {
    await req.body.bytes().catch(() => null);
    return text('ok');
  });
  await fc.assert(
    fc.asyncProperty(fc.array(frameArb, { maxLength: 30 }), async (frames) => {
      const c = await RawClient.connect(port);
      c.write(Buffer.concat(frames.map((f) => rawFrame(f.type, f.flags, f.streamId, f.payload))));
      // A PING after the random frames: answered, unless the connection was closed by GOAWAY.
      c.write(rawFrame(0x6, 0, 0, Buffer.from('fuzzdone')));
      await Promise.race([
        c
          .waitFor((f) => f.type === 0x6 && f.flags === 1 && f.payload.toString() === 'fuzzdone')
          .catch(() => null),
        c.closed,
      ]);
      if (c.socket.destroyed || c.socket.readableEnded) {
        expect(c.frames.some((f) => f.type === 0x7)).toBe(true);
      }
      c.socket.destroy();
    }),
    { numRuns: 150 },
  );
  expect(errors).toEqual([]);
}, 60_000);
