/**
 * Memory of the HTTP/2 server (issue #12): a 100 MiB response streams with flat RSS (flow
 * control and socket backpressure hold the body back instead of queueing it), and idle
 * connections cost a bounded amount each. `pnpm bench h2-memory` measures the same at 10k
 * connections against node:http2; these tests keep the numbers modest.
 */
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Headers } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CONNECTION_PREFACE, Http2Server, settingsFrame } from '../src/index.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage.rss();
}

/** Live memory after a full GC: the JS heap plus buffers and other external memory. */
async function liveBytes(): Promise<number> {
  await settledRss();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function listen(server: Http2Server): Promise<number> {
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 0 }));
  return port;
}

describe('server memory', () => {
  it('keeps 1,000 idle connections at a few KiB each', async () => {
    const server = new Http2Server(() => ({ status: 204, headers: new Headers(), body: null }));
    const port = await listen(server);
    const n = 1000;
    const sockets: Socket[] = [];
    onTestFinished(() => {
      for (const s of sockets) s.destroy();
    });
    const rssBefore = await settledRss();
    const liveBefore = await liveBytes();
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => {});
      ready.push(
        new Promise<void>((resolve) => {
          // The server's SETTINGS arrives first: the connection is established on both sides.
          socket.once('data', () => {
            socket.write(settingsFrame(null)); // ACK
            resolve();
          });
        }),
      );
      socket.write(Buffer.concat([CONNECTION_PREFACE, settingsFrame([])]));
    }
    await Promise.all(ready);
    expect(server.connectionCount).toBe(n);
    const livePer = ((await liveBytes()) - liveBefore) / n;
    const rssPer = (process.memoryUsage.rss() - rssBefore) / n;
    // Both ends live in this process, so these are upper bounds of the server's share.
    console.log(
      `[h2] per idle connection: ${(livePer / 1024).toFixed(1)} KiB live heap+external, ` +
        `${(rssPer / 1024).toFixed(1)} KiB RSS`,
    );
    expect(livePer / 1024).toBeLessThan(24);
  }, 60_000);
  it('streams a 100 MiB response to curl with flat RSS', async () => {
    const size = 100 * MiB;
    const chunk = 64 * 1024;
    let produced = 0;
    const server = new Http2Server(() => ({
      status: 200,
      headers: new Headers(),
      body: (async function* () {
        // Fresh buffers: a server that ignored backpressure would hold all of them at once.
        for (; produced < size; produced += chunk) yield Buffer.alloc(chunk, produced & 0xff);
      })(),
    }));
    const port = await listen(server);
    const base = await settledRss();
    // RSS is sampled right after a full GC, so it shows what the server holds (queued
    // chunks), not how lazily V8 frees garbage. `warm` is RSS once 20 MiB went out (buffer
    // pools and heap grown); "flat" means the other 80 MiB add little to it.
    let warm = 0;
    let peak = base;
    const sampler = setInterval(() => {
      gc();
      const rss = process.memoryUsage.rss();
      if (produced >= 20 * MiB && warm === 0) warm = rss;
      peak = Math.max(peak, rss);
    }, 25);
    try {
      // A reader at 200 MiB/s: slower than the server can produce.
      const { stdout } = await run(
        'curl',
        [
          '-sS',
          '--http2-prior-knowledge',
          '--limit-rate',
          '200M',
          '-o',
          '/dev/null',
          '-w',
          '%{size_download} %{http_version}',
          `http://127.0.0.1:${port}/100m`,
        ],
        { timeout: 60_000 },
      );
      expect(stdout).toBe(`${size} 2`);
    } finally {
      clearInterval(sampler);
    }
    // Whole-body buffering would add 100 MiB; streaming stays within a few windows' worth.
    const mib = (n: number): string => (n / MiB).toFixed(1);
    console.log(
      `[h2] 100 MiB response: RSS +${mib(warm - base)} MiB at 20 MiB, peak +${mib(peak - base)} MiB`,
    );
    expect(warm).toBeGreaterThan(0);
    // Whole-body buffering would add the remaining 80 MiB after `warm`.
    expect((peak - warm) / MiB).toBeLessThan(24);
  }, 90_000);
});
