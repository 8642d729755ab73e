/**
 * Our keep-alive `Pool` against undici's `Pool`, fetching a small body from a local server
 * (nginx when installed, else node:http) with N requests in flight. Prints req/s for each
 * and the ratio. Not part of `test`.
 *
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/http1/bench/client-vs-undici.ts
 *
 * Env: BENCH_CONNECTIONS (default 16), BENCH_CONCURRENCY (64), BENCH_SECONDS (5),
 * BENCH_TARGET=node to use node:http even when nginx is installed.
 */
import { writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type * as net from 'node:net';
import { join } from 'node:path';
import { findNginx, startNginx } from '@rws/test-helpers';
import { Pool as UndiciPool } from 'undici';
import { createPool } from '../src/pool.js';

const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 64);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const BODY = 'x'.repeat(1024);

interface Target {
  origin: string;
  name: string;
  stop(): Promise<void>;
}

async function startNginxTarget(): Promise<Target | null> {
  if (findNginx() === null) return null;
  const nginx = await startNginx({
    prefix: 'rws-bench-nginx-',
    errorLogLevel: 'error',
    workerConnections: 1024,
    setup(dir) {
      writeFileSync(join(dir, 'www', 'index.txt'), BODY);
    },
    http: (dir, port) => `  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server { listen 127.0.0.1:${port}; root ${dir}/www; location / { try_files /index.txt =404; } }`,
  });
  return { origin: nginx.origin, name: 'nginx', stop: () => nginx.stop() };
}

async function startNodeHttp(): Promise<Target> {
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (_req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    name: 'node:http',
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `CONCURRENCY` loops of `once()` for `SECONDS`; returns requests per second. */
async function measure(once: () => Promise<void>): Promise<number> {
  // Warm up the sockets first.
  const warmEnd = Date.now() + 500;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < warmEnd) await once();
    }),
  );
  let count = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < end) {
        await once();
        count++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

async function main(): Promise<void> {
  const target =
    (process.env['BENCH_TARGET'] === 'node' ? null : await startNginxTarget()) ??
    (await startNodeHttp());
  console.log(
    `target ${target.name} ${target.origin}, ${CONNECTIONS} connections, ${CONCURRENCY} in flight, ${SECONDS}s each`,
  );
  const ours = createPool(target.origin, { maxSockets: CONNECTIONS, maxQueue: CONCURRENCY * 2 });
  const theirs = new UndiciPool(target.origin, { connections: CONNECTIONS, pipelining: 1 });
  try {
    const runOurs = (): Promise<number> =>
      measure(async () => {
        const res = await ours.request({ path: '/' });
        await res.body.bytes();
      });
    const runUndici = (): Promise<number> =>
      measure(async () => {
        const res = await theirs.request({ path: '/', method: 'GET' });
        await res.body.arrayBuffer();
      });
    // Alternate the order over two rounds so JIT warm-up of the shared server favours neither.
    let oursRps = 0;
    let undiciRps = 0;
    for (let round = 0; round < 2; round++) {
      if (round === 0) {
        undiciRps += await runUndici();
        oursRps += await runOurs();
      } else {
        oursRps += await runOurs();
        undiciRps += await runUndici();
      }
    }
    oursRps /= 2;
    undiciRps /= 2;
    console.log(`@rws/http1 Pool  ${oursRps.toFixed(0).padStart(8)} req/s`);
    console.log(`undici Pool      ${undiciRps.toFixed(0).padStart(8)} req/s`);
    console.log(`ratio (rws/undici) ${(oursRps / undiciRps).toFixed(2)}`);
  } finally {
    await ours.close();
    await theirs.close();
    await target.stop();
  }
}

await main();
