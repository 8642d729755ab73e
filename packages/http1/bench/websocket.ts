/**
 * WebSocket benchmark: @rws/http1/websocket against the `ws` package, in one run (issue #14,
 * `pnpm bench ws`). Each server runs in a child process (so its RSS is its own); the clients,
 * the same for both targets, are raw sockets in this process (bench/raw-ws-client.ts: about a
 * sixth of a `ws` client's instructions per echo, so the rate measures the server). Measures:
 *   - echo: messages echoed (round trips) per second and p99 latency with 100 clients, each
 *     sending its next 64-byte text message when the previous echo arrived, every echo checked
 *     (length and sequence number); the server's CPU time per echoed message (the 100
 *     handshakes included) and this process's, which shows whether the client kept up;
 *   - broadcast: one publish to 1 000 connected clients, repeated; deliveries per second and
 *     the server's and this process's CPU time per delivery (which side limits the rate);
 *   - memory: server RSS, JS heap (used after GC, and committed) and external memory per idle
 *     open socket (1 000 sockets).
 * Targets alternate within each round (ws, rws, ws, rws …); the table shows the median over
 * rounds and rws ÷ ws. Not run by the test suite.
 *
 * Environment (all optional): BENCH_DURATION (echo seconds, default 10; also the first
 * argument), BENCH_WARMUP (echo warm-up seconds, default 2), BENCH_ROUNDS (default 1),
 * BENCH_CONNECTIONS (echo clients, default 100), BENCH_BROADCAST_CLIENTS (default 1 000),
 * BENCH_BROADCASTS (publishes per broadcast run, default 200),
 * BENCH_SERVER_CPU (pin the servers with `taskset -c`; the harness sets it and pins this
 * process to the other CPU).
 *
 *   ulimit -n 20000
 *   pnpm bench ws
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/http1/bench/websocket.ts [seconds]
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNodeServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { createServer } from '../src/index.js';
import { createTopic, upgradeWebSocket } from '../src/websocket/index.js';
import { connectManyRaw, readSequence, SequencedFrame } from './raw-ws-client.js';

type Target = 'rws' | 'ws';
type ToChild = { kind: 'mem' } | { kind: 'cpu' } | { kind: 'broadcast'; count: number };
/**
 * Bytes: resident set, JS heap used and committed (heapTotal), the committed young generation
 * (V8's new space, part of heapTotal), memory outside the heap.
 */
type Memory = { rss: number; heap: number; heapTotal: number; newSpace: number; external: number };
type FromChild =
  | { port: number }
  | Memory
  | { cpuUs: number; userUs: number }
  | { broadcastDone: true };

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
            // As the README writes it: the socket handles a failed send (onError, 1011).
            onMessage: (m, ws) => ws.send(m),
          }),
    );
    ({ port } = await server.listen({ port: 0, host: '127.0.0.1' }));
    broadcast = (m) => topic.publish(m);
  } else {
    const http = createNodeServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    const room = new Set<WsSocket>();
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
      const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
      const newSpace =
        getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0;
      process.send?.({ rss, heap: heapUsed, heapTotal, newSpace, external } satisfies FromChild);
    } else if (msg.kind === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuUs: user + system, userUs: user } satisfies FromChild);
    } else {
      void (async () => {
        for (let i = 0; i < msg.count; i++) await broadcast(`${i}:${PAYLOAD}`);
        process.send?.({ broadcastDone: true } satisfies FromChild);
      })();
    }
  });
} else {
  const seconds = envNumber('BENCH_DURATION', Number(process.argv[2] ?? 10));
  const warmupSeconds = envNumber('BENCH_WARMUP', 2);
  const rounds = Math.max(1, Math.round(envNumber('BENCH_ROUNDS', 1)));
  const echoClients = envNumber('BENCH_CONNECTIONS', 100);
  const broadcastClients = envNumber('BENCH_BROADCAST_CLIENTS', 1000);
  const publishes = Math.max(1, Math.round(envNumber('BENCH_BROADCASTS', 200)));
  const results: Record<Target, RoundResult[]> = { ws: [], rws: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const target of ['ws', 'rws'] as const) {
      console.error(`ws bench: round ${round}/${rounds}, ${target}`);
      const child = startServer(target);
      try {
        const [{ port }] = (await once(child, 'message')) as [{ port: number }];
        if (warmupSeconds > 0) await echoRun(port, echoClients, warmupSeconds);
        const cpuBefore = await serverCpuUs(child);
        const echo = await echoRun(port, echoClients, seconds);
        const cpuUsPerMessage = ((await serverCpuUs(child)) - cpuBefore) / echo.messages;
        const idle = await memoryRun(child, port, broadcastClients);
        const broadcast = await broadcastRun(child, port, broadcastClients, publishes);
        results[target].push({
          ...echo,
          cpuUsPerMessage,
          ...broadcast,
          idleBytes: idle.rss,
          idleHeapBytes: idle.heap,
          idleHeapTotalBytes: idle.heapTotal,
          idleNewSpaceBytes: idle.newSpace,
          idleExternalBytes: idle.external,
        });
      } finally {
        child.kill();
        await once(child, 'exit');
      }
    }
  }
  const ws = fold(results.ws);
  const rws = fold(results.rws);
  const row = (name: string, r: RoundResult) =>
    `| ${name} | ${r.perSecond.toFixed(0)} | ${r.p99Ms.toFixed(2)} | ${r.cpuUsPerMessage.toFixed(1)} | ${r.clientCpuUsPerMessage.toFixed(1)} | ${r.deliveries.toFixed(0)} | ${(r.idleBytes / 1024).toFixed(1)} | ${(r.idleHeapBytes / 1024).toFixed(1)} |`;
  const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}x`;
  console.log(
    `| server | echo messages/s (${echoClients} clients) | echo p99 ms | server CPU µs per echo | client CPU µs per echo | broadcast deliveries/s (${broadcastClients} clients) | RSS KiB per idle socket | JS heap KiB per idle socket |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(row('ws', ws));
  console.log(row('rws', rws));
  console.log(
    `| rws ÷ ws | ${ratio(rws.perSecond, ws.perSecond)} | ${ratio(rws.p99Ms, ws.p99Ms)} | ${ratio(rws.cpuUsPerMessage, ws.cpuUsPerMessage)} | ${ratio(rws.clientCpuUsPerMessage, ws.clientCpuUsPerMessage)} | ${ratio(rws.deliveries, ws.deliveries)} | ${ratio(rws.idleBytes, ws.idleBytes)} | ${ratio(rws.idleHeapBytes, ws.idleHeapBytes)} |`,
  );
  const us = (x: number) => x.toFixed(2);
  const broadcastRow = (name: string, r: RoundResult) =>
    `| ${name} | ${r.deliveries.toFixed(0)} | ${us(r.serverCpuUsPerDelivery)} | ${us(r.serverUserCpuUsPerDelivery)} | ${us(r.clientCpuUsPerDelivery)} |`;
  console.log(
    `\n| server | broadcast deliveries/s (${broadcastClients} clients) | server CPU µs per delivery | of which user space | client CPU µs per delivery |`,
  );
  console.log('| --- | --- | --- | --- | --- |');
  console.log(broadcastRow('ws', ws));
  console.log(broadcastRow('rws', rws));
  console.log(
    `| rws ÷ ws | ${ratio(rws.deliveries, ws.deliveries)} | ${ratio(rws.serverCpuUsPerDelivery, ws.serverCpuUsPerDelivery)} | ${ratio(rws.serverUserCpuUsPerDelivery, ws.serverUserCpuUsPerDelivery)} | ${ratio(rws.clientCpuUsPerDelivery, ws.clientCpuUsPerDelivery)} |`,
  );
  // Where the idle sockets' RSS goes: the JS heap they keep, V8's committed heap (which grows
  // in steps: a young generation doubled by the burst of connections shows here, although
  // little of it is resident) and memory outside the heap.
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const memoryRow = (name: string, r: RoundResult) =>
    `| ${name} | ${kib(r.idleBytes)} | ${kib(r.idleHeapBytes)} | ${kib(r.idleHeapTotalBytes)} | ${kib(r.idleNewSpaceBytes)} | ${kib(r.idleExternalBytes)} |`;
  console.log(
    '\n| server | RSS KiB per idle socket | JS heap used | JS heap committed | of which young generation | external |',
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  console.log(memoryRow('ws', ws));
  console.log(memoryRow('rws', rws));
  console.log(
    `\n${rounds} round(s), echo ${seconds} s after ${warmupSeconds} s warm-up, Node ${process.version}; medians over rounds.`,
  );
}

interface RoundResult {
  perSecond: number;
  p99Ms: number;
  cpuUsPerMessage: number;
  clientCpuUsPerMessage: number;
  deliveries: number;
  serverCpuUsPerDelivery: number;
  /** The user-space part: the rest is the kernel's (on loopback, the receiver's TCP work too). */
  serverUserCpuUsPerDelivery: number;
  clientCpuUsPerDelivery: number;
  idleBytes: number;
  idleHeapBytes: number;
  idleHeapTotalBytes: number;
  idleNewSpaceBytes: number;
  idleExternalBytes: number;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return n;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

function fold(rounds: RoundResult[]): RoundResult {
  return {
    perSecond: median(rounds.map((r) => r.perSecond)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    cpuUsPerMessage: median(rounds.map((r) => r.cpuUsPerMessage)),
    clientCpuUsPerMessage: median(rounds.map((r) => r.clientCpuUsPerMessage)),
    deliveries: median(rounds.map((r) => r.deliveries)),
    serverCpuUsPerDelivery: median(rounds.map((r) => r.serverCpuUsPerDelivery)),
    serverUserCpuUsPerDelivery: median(rounds.map((r) => r.serverUserCpuUsPerDelivery)),
    clientCpuUsPerDelivery: median(rounds.map((r) => r.clientCpuUsPerDelivery)),
    idleBytes: median(rounds.map((r) => r.idleBytes)),
    idleHeapBytes: median(rounds.map((r) => r.idleHeapBytes)),
    idleHeapTotalBytes: median(rounds.map((r) => r.idleHeapTotalBytes)),
    idleNewSpaceBytes: median(rounds.map((r) => r.idleNewSpaceBytes)),
    idleExternalBytes: median(rounds.map((r) => r.idleExternalBytes)),
  };
}

/**
 * Starts a server child with an IPC channel. The child gets this process's loader flags (tsx
 * and the source condition, however this script was started) and, with BENCH_SERVER_CPU,
 * runs under `taskset` so server and clients never share a CPU.
 */
function startServer(target: Target): ChildProcess {
  const script = fileURLToPath(import.meta.url);
  const nodeArgs = [...process.execArgv, '--expose-gc'];
  const cpu = process.env['BENCH_SERVER_CPU'];
  if (cpu === undefined || cpu === '') {
    return fork(script, ['--server', target], { execArgv: nodeArgs });
  }
  return spawn('taskset', ['-c', cpu, process.execPath, ...nodeArgs, script, '--server', target], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/**
 * Echo load: `n` raw clients (bench/raw-ws-client.ts), each sending its next 64-byte text
 * message when the previous echo arrived. Every echo is checked: a text frame of the sent
 * length carrying the sequence number that was sent. Also returns this process's CPU time per
 * echo, to show the client is not what limits the rate.
 */
async function echoRun(
  port: number,
  n: number,
  seconds: number,
): Promise<{ perSecond: number; p99Ms: number; messages: number; clientCpuUsPerMessage: number }> {
  const sockets = await connectManyRaw(port, '/echo', n);
  const latencies: number[] = [];
  let isRunning = true;
  const cpuBefore = process.cpuUsage();
  const loops = sockets.map(
    (raw) =>
      new Promise<void>((resolve, reject) => {
        const frame = new SequencedFrame(PAYLOAD.length);
        let sequence = 0;
        let sentAt = 0;
        const send = () => {
          frame.setSequence(sequence);
          sentAt = performance.now();
          raw.socket.write(frame.bytes);
        };
        raw.socket.once('error', reject);
        raw.onFrame((payloadBytes, buf, payloadStart) => {
          latencies.push(performance.now() - sentAt);
          const echoed = readSequence(buf, payloadStart);
          if (payloadBytes !== frame.payloadBytes || echoed !== sequence) {
            reject(new Error(`echo ${sequence}: got ${payloadBytes} bytes, sequence ${echoed}`));
            return;
          }
          sequence++;
          if (isRunning) send();
          else resolve();
        });
        send();
      }),
  );
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  isRunning = false;
  await Promise.all(loops);
  const cpu = process.cpuUsage(cpuBefore);
  for (const raw of sockets) raw.socket.destroy();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    messages: latencies.length,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN,
    clientCpuUsPerMessage: (cpu.user + cpu.system) / latencies.length,
  };
}

/**
 * The server's CPU time so far (user + system, µs). Per echoed message it is a cost that a
 * busy machine skews less than messages per second; it still falls as the rate rises (more
 * messages per event-loop wake-up), so compare it between runs at similar rates.
 */
async function serverCpuUs(child: ChildProcess): Promise<number> {
  return (await serverCpu(child)).cpuUs;
}

/** The server's CPU time so far, all of it and the user-space part (µs). */
async function serverCpu(child: ChildProcess): Promise<{ cpuUs: number; userUs: number }> {
  child.send({ kind: 'cpu' } satisfies ToChild);
  const [msg] = (await once(child, 'message')) as [{ cpuUs: number; userUs: number }];
  return msg;
}

/**
 * Server memory per idle open socket: RSS (all of it, native buffers included) and the JS heap
 * after a forced GC, which is steadier than RSS on a busy machine.
 */
async function memoryRun(child: ChildProcess, port: number, n: number): Promise<Memory> {
  const measure = async (): Promise<Memory> => {
    child.send({ kind: 'mem' } satisfies ToChild);
    const [msg] = (await once(child, 'message')) as [Memory];
    return msg;
  };
  const before = await measure();
  const sockets = await connectManyRaw(port, '/idle', n);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await measure();
  for (const raw of sockets) raw.socket.destroy();
  return {
    rss: (after.rss - before.rss) / n,
    heap: (after.heap - before.heap) / n,
    heapTotal: (after.heapTotal - before.heapTotal) / n,
    newSpace: (after.newSpace - before.newSpace) / n,
    external: (after.external - before.external) / n,
  };
}

async function broadcastRun(
  child: ChildProcess,
  port: number,
  n: number,
  count: number,
): Promise<{
  deliveries: number;
  serverCpuUsPerDelivery: number;
  serverUserCpuUsPerDelivery: number;
  clientCpuUsPerDelivery: number;
}> {
  const sockets = await connectManyRaw(port, '/broadcast', n);
  let received = 0;
  const all = new Promise<void>((resolve) => {
    for (const raw of sockets) {
      raw.onFrame(() => {
        if (++received === n * count) resolve();
      });
    }
  });
  const total = n * count;
  // CPU on both sides, to see which one limits the fan-out rate: the server writes one frame
  // per delivery, this process reads one from one of n sockets.
  const serverBefore = await serverCpu(child);
  const clientBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const done = once(child, 'message');
  child.send({ kind: 'broadcast', count } satisfies ToChild);
  await all;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const client = process.cpuUsage(clientBefore);
  // The server's `broadcastDone`, which must not be taken for the CPU answer below.
  await done;
  const serverAfter = await serverCpu(child);
  for (const raw of sockets) raw.socket.destroy();
  return {
    deliveries: total / seconds,
    serverCpuUsPerDelivery: (serverAfter.cpuUs - serverBefore.cpuUs) / total,
    serverUserCpuUsPerDelivery: (serverAfter.userUs - serverBefore.userUs) / total,
    clientCpuUsPerDelivery: (client.user + client.system) / total,
  };
}
