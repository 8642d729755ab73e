/**
 * Instructions per WebSocket echo, @rws/http1/websocket against the `ws` package (issue #14):
 * a count a busy machine does not disturb, unlike messages per second. Each server (the
 * `--server` mode of bench/websocket.ts) runs under `valgrind --tool=callgrind` with
 * instrumentation off; `ws` clients in this process open BENCH_CONNECTIONS sockets (default
 * 20) and echo BENCH_WARMUP messages (default 20 000) so V8 has compiled the hot path; then
 * instrumentation is switched on (`callgrind_control -i on`), BENCH_MESSAGES echoes (default
 * 20 000, 64-byte text, each client sending its next message when the last echo arrived) run,
 * and the dump's total divided by the messages is printed. The callgrind files stay in BENCH_OUT
 * (default a temporary directory) for `callgrind_annotate`; JIT-compiled JavaScript shows there
 * as addresses, which V8's `--perf-basic-prof` map (/tmp/perf-<pid>.map, written by the server)
 * names. The whole server process is counted: Node's socket and stream code, V8 and the GC
 * included. Not run by the test suite.
 *
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/http1/bench/websocket-instructions.ts
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WsClient from 'ws';

const SERVER_SCRIPT = fileURLToPath(new URL('./websocket.ts', import.meta.url));
const PAYLOAD = 'x'.repeat(64);

function envNumber(name: string, fallback: number): number {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
}

const clients = envNumber('BENCH_CONNECTIONS', 20);
const warmup = envNumber('BENCH_WARMUP', 20_000);
const messages = envNumber('BENCH_MESSAGES', 20_000);
const outDir = process.env['BENCH_OUT'] ?? mkdtempSync(join(tmpdir(), 'rws-ws-callgrind-'));

/** Echoes `total` messages over `sockets`, each waiting for its echo before the next. */
async function echo(sockets: WsClient[], total: number): Promise<void> {
  let left = total;
  await Promise.all(
    sockets.map(async (c) => {
      while (left > 0) {
        left--;
        const echoed = once(c, 'message');
        c.send(PAYLOAD);
        await echoed;
      }
    }),
  );
}

async function measure(target: 'rws' | 'ws'): Promise<number> {
  const out = join(outDir, `callgrind.${target}.%p`);
  const child: ChildProcess = spawn(
    'valgrind',
    ['--tool=callgrind', '--smc-check=all-non-file', '--instr-atstart=no']
      .concat([`--callgrind-out-file=${out}`, process.execPath, ...process.execArgv])
      .concat(['--perf-basic-prof', SERVER_SCRIPT, '--server', target]),
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  try {
    const [{ port }] = (await once(child, 'message')) as [{ port: number }];
    const sockets: WsClient[] = [];
    for (let i = 0; i < clients; i++) {
      const c = new WsClient(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: false });
      sockets.push(c);
      await once(c, 'open');
    }
    await echo(sockets, warmup);
    const pid = String(child.pid);
    execFileSync('callgrind_control', ['-i', 'on', pid], { stdio: 'ignore' });
    await echo(sockets, messages);
    execFileSync('callgrind_control', ['-i', 'off', pid], { stdio: 'ignore' });
    execFileSync('callgrind_control', ['-d', pid], { stdio: 'ignore' });
    for (const c of sockets) c.terminate();
    const file = join(outDir, `callgrind.${target}.${pid}.1`);
    const summary = execFileSync('callgrind_annotate', ['--threshold=0', file], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const total = /([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/.exec(summary)?.[1] ?? '0';
    return Number(total.replace(/,/g, '')) / messages;
  } finally {
    child.kill('SIGKILL');
  }
}

const results: Record<string, number> = {};
// BENCH_TARGETS=rws (or ws) counts one server only.
const targets = (process.env['BENCH_TARGETS'] ?? 'ws,rws').split(',') as ('ws' | 'rws')[];
for (const target of targets) {
  console.error(`websocket-instructions: ${target} under callgrind (${warmup} + ${messages})`);
  results[target] = await measure(target);
}
console.log(`| server | instructions per echo (${clients} clients, 64-byte text) |`);
console.log('|:--|--:|');
for (const [target, n] of Object.entries(results)) {
  console.log(`| ${target} | ${Math.round(n).toLocaleString('en-US')} |`);
}
if (results['rws'] !== undefined && results['ws'] !== undefined)
  console.log(`| rws ÷ ws | ${(results['rws'] / results['ws']).toFixed(2)}× |`);
console.log(`callgrind files: ${outDir}`);
