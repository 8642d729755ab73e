/**
 * Instructions per echo of the benchmark's load generator (issue #14): the raw-socket client
 * of bench/raw-ws-client.ts against a `ws` client, so a reader can check that `pnpm bench ws`
 * measures the server, not the client. Run this script under callgrind with instrumentation
 * off; it starts an rws echo server (the `--server rws` mode of bench/websocket.ts, not
 * instrumented), echoes BENCH_WARMUP messages (default 20 000) over 20 sockets, turns
 * instrumentation on for BENCH_MESSAGES more (default 10 000, 64-byte text, each socket sending
 * its next message when the echo arrived), then off, and prints how many echoes the window
 * held; callgrind's "Collected" total divided by that is the client's instructions per echo.
 * The switches are `callgrind_control` runs this process waits for without blocking, so the
 * window is exact to within the echoes in flight (20). Not run by the test suite.
 *
 *   N=$(npx pnpm@10.34.8 exec node -p process.execPath)
 *   valgrind --tool=callgrind --instr-atstart=no $N --import tsx --conditions=@rws/source \
 *     packages/http1/bench/websocket-client-instructions.ts raw   # or: ws
 */
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WsClient from 'ws';
import { connectManyRaw, SequencedFrame } from './raw-ws-client.js';

const SOCKETS = 20;
const PAYLOAD = 'x'.repeat(64);
const kind = process.argv[2] === 'ws' ? 'ws' : 'raw';
const warmup = Number(process.env['BENCH_WARMUP'] ?? 20_000);
const messages = Number(process.env['BENCH_MESSAGES'] ?? 10_000);

const server = fork(
  fileURLToPath(new URL('./websocket.ts', import.meta.url)),
  ['--server', 'rws'],
  { execArgv: ['--import', 'tsx', '--conditions=@rws/source'] },
);
const [{ port }] = (await once(server, 'message')) as [{ port: number }];
let echoes = 0;
let isRunning = true;
let loops: Promise<void>[];
if (kind === 'raw') {
  const sockets = await connectManyRaw(port, '/echo', SOCKETS);
  loops = sockets.map(
    (raw) =>
      new Promise<void>((resolve) => {
        const frame = new SequencedFrame(PAYLOAD.length);
        let sequence = 0;
        raw.onFrame(() => {
          echoes++;
          if (!isRunning) {
            resolve();
            return;
          }
          frame.setSequence(++sequence);
          raw.socket.write(frame.bytes);
        });
        frame.setSequence(sequence);
        raw.socket.write(frame.bytes);
      }),
  );
} else {
  const sockets: WsClient[] = [];
  for (let i = 0; i < SOCKETS; i++) {
    const c = new WsClient(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: false });
    sockets.push(c);
    await once(c, 'open');
  }
  loops = sockets.map(async (c) => {
    while (isRunning) {
      const echoed = once(c, 'message');
      c.send(PAYLOAD);
      await echoed;
      echoes++;
    }
  });
}

/** Resolves once `n` echoes are done, checking between echoes (never blocking the loop). */
function reach(n: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (echoes < n) return;
      clearInterval(timer);
      resolve();
    }, 5);
  });
}

/** Runs `callgrind_control` on this process; callgrind acts on it while the echoes go on. */
async function instrumentation(state: 'on' | 'off'): Promise<void> {
  const control = spawn('callgrind_control', ['-i', state, String(process.pid)], {
    stdio: 'ignore',
  });
  await once(control, 'exit');
}

await reach(warmup);
await instrumentation('on');
const from = echoes;
await reach(from + messages);
await instrumentation('off');
const counted = echoes - from;
isRunning = false;
await Promise.all(loops);
console.log(`${kind} client: ${counted} echoes in the instrumented window`);
server.kill();
process.exit(0);
