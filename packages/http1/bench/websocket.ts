/**
 * WebSocket benchmark: @rws/http1/websocket against the `ws` package, in one run. Each server
 * runs in a child process (so its RSS is its own); the clients are `ws` clients in this
 * process for both targets. Measures:
 *   - echo: round trips per second and p99 latency with 100 clients, each sending its next
 *     message when the previous echo arrived;
 *   - broadcast: one publish to 1 000 connected clients, repeated; deliveries per second;
 *   - memory: server RSS per idle open socket (1 000 sockets).
 * Not run by the test suite; the README lists its figures once it has been run.
 *
 *   ulimit -n 20000
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/http1/bench/websocket.ts [seconds]
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNodeServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import WsClient, { WebSocketServer } from 'ws';
import { createServer } from '../src/index.js';
import { createTopic, upgradeWebSocket } from '../src/websocket/index.js';

type Target = 'rws' | 'ws';
type ToChild = { kind: 'mem' } | { kind: 'broadcast'; count: number };
type FromChild = { port: number } | { rss: number } | { broadcastDone: true };

const PAYLOAD = 'x'.repeat(64);

if (process.argv[2] === '--server') {
  const kind = process.argv[3] as Target;
  let broadcast: (message: string) => Promise<unknown>;
  let port: number;
  if (kind === 'rws') {
    const topic = createTopic();
    const server = createServer((req) =>
      req.path === '/broadcast'
        ? upgradeWebSocket(req, { pingIntervalMs: 0, onOpen: (ws) => topic.subscribe(ws) })
        : upgradeWebSocket(req, {
            pingIntervalMs: 0,
            onMessage: (m, ws) => ws.send(m).catch(() => {}),
          }),
    );
    ({ port } = await server.listen({ port: 0, host: '127.0.0.1' }));
    broadcast = (m) => topic.publish(m);
  } else {
    const http = createNodeServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    const room = new Set<WsClient>();
    wss.on('connection', (socket, req) => {
      if (req.url === '/broadcast') {
        room.add(socket);
        socket.on('close', () => room.delete(socket));
      } else socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    port = (http.address() as { port: number }).port;
    broadcast = async (m) => {
      for (const socket of room) socket.send(m);
    };
  }
  process.send?.({ port } satisfies FromChild);
  process.on('message', (msg: ToChild) => {
    if (msg.kind === 'mem') {
      globalThis.gc?.();
      process.send?.({ rss: process.memoryUsage().rss } satisfies FromChild);
    } else {
      void (async () => {
        for (let i = 0; i < msg.count; i++) await broadcast(`${i}:${PAYLOAD}`);
        process.send?.({ broadcastDone: true } satisfies FromChild);
      })();
    }
  });
} else {
  const seconds = Number(process.argv[2] ?? 10);
  const rows: string[] = [];
  for (const target of ['ws', 'rws'] as const) {
    const child = fork(fileURLToPath(import.meta.url), ['--server', target], {
      execArgv: ['--import', 'tsx', '--conditions=@rws/source', '--expose-gc'],
    });
    try {
      const [{ port }] = (await once(child, 'message')) as [{ port: number }];
      const echo = await echoRun(port, 100, seconds);
      const idle = await memoryRun(child, port, 1000);
      const deliveries = await broadcastRun(child, port, 1000, 200);
      rows.push(
        `| ${target} | ${echo.perSecond.toFixed(0)} | ${echo.p99Ms.toFixed(2)} | ${deliveries.toFixed(0)} | ${(idle / 1024).toFixed(1)} |`,
      );
    } finally {
      child.kill();
    }
  }
  console.log(
    '| server | echo round trips/s (100 clients) | echo p99 ms | broadcast deliveries/s (1 000 clients) | KiB per idle socket |',
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

async function connectMany(port: number, path: string, n: number): Promise<WsClient[]> {
  const clients: WsClient[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => {
      const c = new WsClient(`ws://127.0.0.1:${port}${path}`, { perMessageDeflate: false });
      clients.push(c);
      return once(c, 'open');
    });
    await Promise.all(batch);
  }
  return clients;
}

async function echoRun(
  port: number,
  n: number,
  seconds: number,
): Promise<{ perSecond: number; p99Ms: number }> {
  const clients = await connectMany(port, '/echo', n);
  const latencies: number[] = [];
  let isRunning = true;
  const loops = clients.map(async (c) => {
    while (isRunning) {
      const started = process.hrtime.bigint();
      const echoed = once(c, 'message');
      c.send(PAYLOAD);
      await echoed;
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  isRunning = false;
  await Promise.all(loops);
  for (const c of clients) c.terminate();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
  };
}

async function memoryRun(child: ChildProcess, port: number, n: number): Promise<number> {
  const rss = async (): Promise<number> => {
    child.send({ kind: 'mem' } satisfies ToChild);
    const [msg] = (await once(child, 'message')) as [{ rss: number }];
    return msg.rss;
  };
  const before = await rss();
  const clients = await connectMany(port, '/idle', n);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await rss();
  for (const c of clients) c.terminate();
  return (after - before) / n;
}

async function broadcastRun(
  child: ChildProcess,
  port: number,
  n: number,
  count: number,
): Promise<number> {
  const clients = await connectMany(port, '/broadcast', n);
  let received = 0;
  const all = new Promise<void>((resolve) => {
    for (const c of clients) {
      c.on('message', () => {
        if (++received === n * count) resolve();
      });
    }
  });
  const started = process.hrtime.bigint();
  child.send({ kind: 'broadcast', count } satisfies ToChild);
  await all;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  for (const c of clients) c.terminate();
  return (n * count) / seconds;
}
