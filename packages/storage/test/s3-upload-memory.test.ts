import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../src/drivers/s3.js';
import { sampleMemory } from './support/memory-sampler.js';
import { type S3ServerProcess, spawnS3Server } from './support/s3-server-process.js';

// Issue #17: a large multipart upload streams with bounded memory. 200 MiB of generated data
// (fresh 64 KiB chunks, as a file stream yields them) goes to the test S3 server, which runs
// in a child process so the objects it keeps do not count here. Parts are sent as their
// source chunks and dropped as written, and the next part is read only when one of
// `queueSize` slots is free: what the driver retains stays under partSize × (queueSize + 1)
// (the old concatenating uploader held one more part, its copy, on top of that).
const MIB = 1024 * 1024;
const TOTAL = 200 * MIB;
const CHUNK = 64 * 1024;
const PART = 5 * MIB;
const QUEUE = 4;
const OTHER_BUFFERS = 256 * 1024;
const BUCKET = 'memory';
const credentials = { accessKeyId: 'AKIDMEMORY', secretAccessKey: 'memory-secret' };
let server: S3ServerProcess;

beforeAll(async () => {
  server = await spawnS3Server(BUCKET, credentials);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

/** 200 MiB in fresh chunks whose bytes depend on their position, hashed as they are made. */
function generated(hash: ReturnType<typeof createHash>): AsyncGenerator<Uint8Array> {
  return (async function* () {
    for (let offset = 0; offset < TOTAL; offset += CHUNK) {
      const chunk = Buffer.allocUnsafe(CHUNK).fill((offset / CHUNK) % 251);
      hash.update(chunk);
      yield chunk;
    }
  })();
}

describe('issue #17: S3 multipart upload memory is bounded', () => {
  it.each([
    ['unsigned', 'unsigned'],
    ['signed', 'signed'],
  ] as const)(
    'a 200 MiB generated stream uploads (%s parts) retaining less than partSize × (queueSize + 1)',
    async (_, payloadSigning) => {
      await using storage = createS3Storage({
        endpoint: server.endpoint,
        bucket: BUCKET,
        region: 'us-east-1',
        credentials,
        partSize: PART,
        queueSize: QUEUE,
        payloadSigning,
      });
      const sent = createHash('sha256');
      const sampler = sampleMemory();
      const info = await storage.put(`big-${payloadSigning}.bin`, generated(sent));
      const peaks = sampler.stop();
      expect(info.size).toBe(TOTAL);
      // The parts are the bound; OTHER_BUFFERS covers what else the process holds meanwhile
      // (socket read buffers, response bodies, hash state): CI once measured 324 bytes over.
      expect(peaks.retainedArrayBuffers).toBeLessThan(PART * (QUEUE + 1) + OTHER_BUFFERS);
      // RSS counts heap growth and allocator slack too; it must still be far from the object.
      expect(peaks.rss).toBeLessThan(TOTAL / 2);

      // The server verified every part's signature; the bytes must also be the ones sent.
      const object = await storage.get(`big-${payloadSigning}.bin`);
      const received = createHash('sha256');
      for await (const chunk of object?.body ?? new ReadableStream<Uint8Array>()) {
        received.update(chunk);
      }
      expect(received.digest('hex')).toBe(sent.digest('hex'));
      await storage.delete(`big-${payloadSigning}.bin`);
      console.log(
        `#17 ${payloadSigning}: peak retained ${(peaks.retainedArrayBuffers / MIB).toFixed(1)} MiB, rss +${(peaks.rss / MIB).toFixed(1)} MiB`,
      );
    },
    240_000,
  );
});
