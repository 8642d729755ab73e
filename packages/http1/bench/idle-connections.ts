/**
 * Opens N idle keep-alive connections (default 10000) to an in-process server, each after one
 * request, and prints the RSS before and after. Needs `ulimit -n` above 2N + 100.
 * Run: `tsx --conditions=@rws/source packages/http1/bench/idle-connections.ts [N]`.
 * Not run by the test suite.
 */
import { connect, type Socket } from 'node:net';
import { Headers } from '@rws/core';
import { createServer } from '../src/index.js';

const count = Number(process.argv[2] ?? 10_000);
const server = createServer(() => ({ status: 200, headers: new Headers(), body: 'ok' }), {
  keepAliveTimeoutMs: 10 * 60_000,
  headersTimeoutMs: 10 * 60_000,
});
const { port } = await server.listen({ port: 0 });
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
globalThis.gc?.();
const before = process.memoryUsage().rss;
const sockets: Socket[] = [];

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('GET / HTTP/1.1\r\nHost: bench\r\n\r\n');
    });
    socket.once('data', () => resolve(socket));
    socket.once('error', reject);
  });
}

const started = Date.now();
for (let i = 0; i < count; i += 200) {
  const batch: Promise<Socket>[] = [];
  for (let j = i; j < Math.min(count, i + 200); j++) batch.push(open());
  sockets.push(...(await Promise.all(batch)));
}
globalThis.gc?.();
const after = process.memoryUsage().rss;
console.log(
  `${count} idle keep-alive connections in ${Date.now() - started} ms; open: ${server.connectionCount}`,
);
console.log(
  `RSS before ${mb(before)}, after ${mb(after)}, per connection (client + server side) ${((after - before) / count / 1024).toFixed(1)} KiB`,
);
for (const s of sockets) s.destroy();
await server.close({ graceMs: 1000 });
