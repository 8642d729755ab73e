/**
 * Memory of idle keep-alive connections: a server in a child process (so its RSS is the
 * server's alone), N client sockets in this process, each after one request. Prints the
 * server's RSS and heap before and after, and the cost per connection, for @rws/http1 and
 * for node:http measured the same way. Not run by the test suite.
 *
 *   ulimit -n 20000   # each process holds N sockets
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/http1/bench/idle-connections.ts [N] [rws|node|both]
 */
import { fork } from 'node:child_process';
import { createServer as createNodeServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Headers } from '@rws/core';
import { createServer } from '../src/index.js';

interface Usage {
  rss: number;
  heap: number;
}

const TEN_MINUTES = 10 * 60_000;

if (process.argv[2] === '--server') {
  // Child: serve, report the port, answer memory probes.
  const kind = process.argv[3];
  let port: number;
  if (kind === 'node') {
    const server = createNodeServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    server.keepAliveTimeout = TEN_MINUTES;
    server.headersTimeout = TEN_MINUTES;
    server.requestTimeout = 0;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  } else {
    const headers = new Headers({ 'content-type': 'text/plain' });
    const server = createServer(() => ({ status: 200, headers, body: 'ok' }), {
      keepAliveTimeoutMs: TEN_MINUTES,
      headersTimeoutMs: TEN_MINUTES,
    });
    port = (await server.listen({ port: 0 })).port;
  }
  process.on('message', () => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    process.send?.({ rss: m.rss, heap: m.heapUsed });
  });
  process.send?.({ port });
} else {
  const count = Number(process.argv[2] ?? 10_000);
  const which = process.argv[3] ?? 'both';
  const kinds = which === 'both' ? ['rws', 'node'] : [which];
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  const results: string[] = [];
  for (const kind of kinds) results.push(await measure(kind, count, mib));
  console.log(`\n${count} idle keep-alive connections (server process only):`);
  for (const line of results) console.log(line);
}

async function measure(kind: string, count: number, mib: (n: number) => string): Promise<string> {
  const child = fork(fileURLToPath(import.meta.url), ['--server', kind], {
    execArgv: [...process.execArgv, '--expose-gc'],
  });
  const next = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  const { port } = await next<{ port: number }>();
  const probe = async (): Promise<Usage> => {
    const reply = next<Usage>();
    child.send('probe');
    return reply;
  };
  // Warm up the request path so the first-request JIT cost is not counted per connection.
  const warm: Socket[] = [];
  for (let i = 0; i < 50; i++) warm.push(await open(port));
  for (const s of warm) s.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const before = await probe();
  const sockets: Socket[] = [];
  const started = Date.now();
  for (let i = 0; i < count; i += 200) {
    const batch: Promise<Socket>[] = [];
    for (let j = i; j < Math.min(count, i + 200); j++) batch.push(open(port));
    sockets.push(...(await Promise.all(batch)));
  }
  const openMs = Date.now() - started;
  await new Promise((r) => setTimeout(r, 500));
  const after = await probe();
  for (const s of sockets) s.destroy();
  child.kill();
  const perRss = (after.rss - before.rss) / count / 1024;
  const perHeap = (after.heap - before.heap) / count / 1024;
  return `${kind.padEnd(5)} opened in ${openMs} ms; RSS ${mib(before.rss)} → ${mib(after.rss)} (${perRss.toFixed(1)} KiB/conn); heap ${mib(before.heap)} → ${mib(after.heap)} (${perHeap.toFixed(1)} KiB/conn)`;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
    });
    socket.once('data', () => resolve(socket));
    socket.once('error', reject);
  });
}
