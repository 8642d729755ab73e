import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../src/drivers/s3.js';
import { sampleMemory } from './support/memory-sampler.js';

// Streams 96 MiB up (multipart) and down through the S3 driver against an S3-shaped sink that
// counts bytes and keeps none, sampling this process's ArrayBuffer memory: it must stay near
// partSize × (queueSize + 1), not grow with the object.
const MIB = 1024 * 1024;
const TOTAL = 96 * MIB;
const received = new Map<string, number>();
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST' && url.searchParams.has('uploads')) {
      res.end(
        '<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>',
      );
      return;
    }
    if (req.method === 'PUT' && url.searchParams.has('partNumber')) {
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.on('end', () => {
        received.set(url.pathname, (received.get(url.pathname) ?? 0) + bytes);
        res.writeHead(200, { etag: `"p${url.searchParams.get('partNumber')}"` }).end();
      });
      return;
    }
    if (req.method === 'POST' && url.searchParams.has('uploadId')) {
      req.resume();
      req.on('end', () =>
        res.end('<CompleteMultipartUploadResult></CompleteMultipartUploadResult>'),
      );
      return;
    }
    if (req.method === 'HEAD') {
      res
        .writeHead(200, { 'content-length': String(received.get(url.pathname) ?? 0), etag: '"x"' })
        .end();
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-length': String(TOTAL) });
      const chunk = Buffer.alloc(MIB, 7);
      let sent = 0;
      const pump = (): void => {
        while (sent < TOTAL) {
          sent += MIB;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    res.writeHead(400).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('s3 driver memory stays flat on large objects', () => {
  it('a 96 MiB upload and download retain less than three quarters of the object', async () => {
    await using storage = createS3Storage({
      endpoint,
      bucket: 'b',
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
      partSize: 5 * MIB,
      queueSize: 4,
    });
    const chunk = new Uint8Array(256 * 1024).fill(1);
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let sent = 0; sent < TOTAL; sent += chunk.byteLength) yield chunk;
    }
    const up = sampleMemory();
    const info = await storage.put('big.bin', body());
    const upPeak = up.stop().retainedArrayBuffers;
    expect(info.size).toBe(TOTAL);
    expect(received.get('/b/big.bin')).toBe(TOTAL);
    expect(upPeak).toBeLessThan(TOTAL * 0.75);

    const down = sampleMemory();
    const object = await storage.get('big.bin');
    let bytes = 0;
    for await (const part of object?.body ?? new ReadableStream()) bytes += part.byteLength;
    const downPeak = down.stop().retainedArrayBuffers;
    expect(bytes).toBe(TOTAL);
    expect(downPeak).toBeLessThan(TOTAL * 0.75);
  }, 120_000);
});
