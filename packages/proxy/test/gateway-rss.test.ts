/**
 * Issue #10: the gateway's memory stays flat while 1 GiB streams through it. Real sockets
 * all the way: a raw backend writing 1 GiB with backpressure, the gateway (createGateway on
 * @rws/http1) proxying it, and a node:http client counting the bytes as they arrive. What the
 * process still holds (V8 heap plus Buffers, after a full collection) is sampled during the
 * transfer; from its value once the first 64 MiB went through, it may not grow by more than
 * 256 MiB (one buffered body would be 1024). RSS is not the measure: freed pages come back to
 * the OS whenever V8 and the allocator decide, which made the bound swing from 0 to 80 MiB
 * between identical runs.
 */
import { request } from 'node:http';
import * as net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway } from '../src/index.js';
import { serveHandler } from './gateway-helpers.js';

// A full collection before each sample: what is measured is memory something still holds, not
// garbage socket buffers waiting for V8's next collection (which alone can reach ~100 MiB here).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const held = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const TOTAL_BYTES = 1024 * 1024 * 1024;
const CHUNK = Buffer.alloc(256 * 1024, 0x61);
// Identical runs grow by 0–110 MiB (chunks in flight in three parties at the sample's moment).
const MAX_GROWTH_BYTES = 256 * 1024 * 1024;
const WARM_BYTES = 64 * 1024 * 1024;

/** A backend answering every request with TOTAL_BYTES of `a`, written as the socket drains. */
async function startBulkBackend(): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${TOTAL_BYTES}\r\n\r\n`,
      );
      let sent = 0;
      const pump = (): void => {
        while (sent < TOTAL_BYTES) {
          sent += CHUNK.length;
          if (!socket.write(CHUNK)) {
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of connections) s.destroy();
      }),
  );
  const connections = new Set<net.Socket>();
  server.on('connection', (s) => {
    connections.add(s);
    s.on('close', () => connections.delete(s));
  });
  return (server.address() as net.AddressInfo).port;
}

describe('gateway memory over a 1 GiB transfer (issue #10)', () => {
  it('streams 1 GiB backend → gateway → client with held memory growth under 256 MiB', async () => {
    const backendPort = await startBulkBackend();
    const gateway = await createGateway(`
[[upstream]]
name = "bulk"
backends = ["127.0.0.1:${backendPort}"]

[[route]]
[route.match]
path = "/*"
[route.action]
type = "proxy"
upstream = "bulk"
`);
    onTestFinished(() => gateway.close());
    const port = await serveHandler(gateway.handler);

    // The baseline is taken once the first WARM_BYTES went through: sockets, buffers, code
    // and the heap have found their working size; from there on memory must stay flat.
    let received = 0;
    let baseline = -1;
    let peak = 0;
    const sample = (): void => {
      gc();
      const now = held();
      if (baseline === -1) {
        if (received >= WARM_BYTES) baseline = now;
      } else peak = Math.max(peak, now);
    };
    const sampler = setInterval(sample, 200);
    onTestFinished(() => clearInterval(sampler));

    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/big.bin', agent: false }, (res) => {
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
        });
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    clearInterval(sampler);
    sample();

    expect(status).toBe(200);
    expect(received).toBe(TOTAL_BYTES);
    expect(baseline).toBeGreaterThan(0);
    const growth = peak - baseline;
    expect(
      growth,
      `held memory grew by ${(growth / 1048576).toFixed(1)} MiB over a 1 GiB transfer`,
    ).toBeLessThan(MAX_GROWTH_BYTES);
  }, 180_000);
});
