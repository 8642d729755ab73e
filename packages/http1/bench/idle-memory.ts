/**
 * JS heap kept per idle WebSocket: @rws/http1/websocket against the `ws` package, measured
 * the same way for both (issue #14). Each server runs in its own child with --expose-gc; this
 * process opens N (default 2 000) raw WebSocket connections to it (a handshake written on a
 * plain TCP socket, so the client side costs the server nothing extra), leaves them idle and
 * asks for `process.memoryUsage().heapUsed` after four full GCs, before and after. The
 * difference divided by N is the heap each idle socket keeps. Deterministic up to V8's
 * allocation granularity (repeated runs agree within about 0.05 KiB); CPU load does not
 * change it, so it is a number that may be quoted from a busy machine.
 *
 *   node --expose-gc --import tsx --conditions=@rws/source packages/http1/bench/idle-memory.ts
 *   node packages/http1/bench/idle-memory.ts --dist   # the built package (what users run)
 *
 * Environment: IDLE_SOCKETS (default 2000), IDLE_SNAPSHOT=<prefix> (a heap snapshot of each
 * server after the sockets are open, for finding what a socket keeps).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNodeServer } from 'node:http';
import * as net from 'node:net';
import { writeHeapSnapshot } from 'node:v8';

type Target = 'rws' | 'ws';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const HANDSHAKE =
  'GET /idle HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`;

if (process.argv[2] === '--server') {
  const target = process.argv[3] as Target;
  const useDist = process.argv.includes('--dist');
  let port: number;
  if (target === 'rws') {
    // The source (through tsx) or the built package; both are what someone runs.
    const base = useDist ? '../dist' : '../src';
    const ext = useDist ? '.js' : '.ts';
    const { createServer } = (await import(
      `${base}/index${ext}`
    )) as typeof import('../src/index.js');
    const { upgradeWebSocket } = (await import(
      `${base}/websocket/index${ext}`
    )) as typeof import('../src/websocket/index.js');
    const server = createServer((req) =>
      upgradeWebSocket(req, { onMessage: (m, ws) => ws.send(m).catch(() => {}) }),
    );
    ({ port } = await server.listen({ port: 0, host: '127.0.0.1' }));
  } else {
    const { WebSocketServer } = await import('ws');
    const http = createNodeServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    wss.on('connection', (socket) =>
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })),
    );
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as net.AddressInfo).port;
  }
  process.send?.({ port });
  const snapshot = process.env['IDLE_SNAPSHOT'];
  process.on('message', (label: string) => {
    for (let i = 0; i < 4; i++) globalThis.gc?.();
    if (snapshot !== undefined && label === 'after') {
      writeHeapSnapshot(`${snapshot}.${target}.heapsnapshot`);
    }
    process.send?.({ heap: process.memoryUsage().heapUsed });
  });
} else {
  const n = Number(process.env['IDLE_SOCKETS'] ?? 2000);
  const extra = process.argv.includes('--dist') ? ['--dist'] : [];
  const rows: string[] = [];
  const perSocket: Record<string, number> = {};
  for (const target of ['ws', 'rws'] as const) {
    const child = fork(new URL(import.meta.url).pathname, ['--server', target, ...extra], {
      execArgv: [...process.execArgv, '--expose-gc'],
    });
    try {
      const [{ port }] = (await once(child, 'message')) as [{ port: number }];
      // Warm up: code compiled for the first connections is not per-socket state.
      const warm = await openMany(port, 100);
      for (const s of warm) s.destroy();
      await sleep(500);
      const before = await heap(child, 'before');
      const sockets = await openMany(port, n);
      await sleep(500);
      const after = await heap(child, 'after');
      for (const s of sockets) s.destroy();
      perSocket[target] = (after - before) / n;
      rows.push(`| ${target} | ${(perSocket[target]! / 1024).toFixed(2)} |`);
    } finally {
      child.kill();
      await once(child, 'exit');
    }
  }
  console.log(`| server | JS heap KiB per idle socket (${n} sockets, after GC) |`);
  console.log('|:--|--:|');
  for (const r of rows) console.log(r);
  console.log(`| rws ÷ ws | ${(perSocket['rws']! / perSocket['ws']!).toFixed(2)}x |`);
  console.log(`\nNode ${process.version}, rws from ${extra.length > 0 ? 'dist' : 'source'}.`);
}

async function heap(child: ChildProcess, label: string): Promise<number> {
  child.send(label);
  const [msg] = (await once(child, 'message')) as [{ heap: number }];
  return msg.heap;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Opens `count` WebSockets with raw handshakes, 100 at a time; each waits for its 101. */
async function openMany(port: number, count: number): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 100) {
    const batch = Array.from({ length: Math.min(100, count - i) }, () => openOne(port));
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

function openOne(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(HANDSHAKE));
    socket.once('error', reject);
    socket.once('data', (chunk: Buffer) => {
      if (!chunk.toString('latin1').startsWith('HTTP/1.1 101')) {
        reject(new Error(`no 101: ${chunk.toString('latin1').slice(0, 40)}`));
      } else resolve(socket);
    });
  });
}
