/**
 * `pnpm bench h2-memory`: the memory of an HTTP/2 server, @rws/server `serve()` with h2c
 * (HTTP/2 by @rws/h2) against node:http2's core API, both h2c with prior knowledge:
 *
 * - **idle**: RSS per connection with 10,000 idle HTTP/2 connections open (each has sent its
 *   preface and SETTINGS and acknowledged the server's): (RSS with them − RSS before) ÷ N,
 *   read from `/proc/<pid>/status` of the server process.
 * - **100m**: a 100 MiB file downloaded by `curl --http2-prior-knowledge` (pinned to the load
 *   CPU): MiB/s, and the server's peak RSS (`VmHWM`) over its RSS before the download, which
 *   stays flat when the body is streamed. nginx (`http2`, sendfile) is in the MiB/s column
 *   only; its RSS is of a worker process this harness does not track.
 *
 * Like `router` and `http1-client`, a script suite: the single target does the whole job in
 * `start()`, prints a markdown table and exits the harness. `--connections` sets N (default
 * 10,000; the process fd limit must allow it), `--rounds` the downloads per target (median).
 */
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort, LOAD_CPU, SERVER_CPU, spawnPinned, waitForPort } from '../process.js';
import { staticFolder } from '../static-files.js';
import { defineSuite } from '../suite.js';
import { nginxServer, nodeScriptArgs, REPO_ROOT, serverScript } from '../targets.js';
import type { RunningTarget, Target } from '../types.js';

const MiB = 1024 * 1024;
/** The HTTP/2 client preface and an empty SETTINGS frame (RFC 9113 §3.4). */
const PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);
const SETTINGS_ACK = Buffer.from([0, 0, 0, 4, 1, 0, 0, 0, 0]);

interface Options {
  connections: number;
  rounds: number;
}

function options(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: false,
    allowPositionals: true,
    options: { connections: { type: 'string' }, rounds: { type: 'string' } },
  });
  const n = Number(values.connections ?? process.env['BENCH_CONNECTIONS'] ?? 10_000);
  const rounds = Number(values.rounds ?? 2);
  return {
    connections: Number.isInteger(n) && n > 0 ? n : 10_000,
    rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : 2,
  };
}

/** A field of /proc/<pid>/status in bytes (`VmRSS`, `VmHWM`). */
async function procBytes(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'latin1');
  const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
  return Number.parseInt(line?.slice(field.length + 1).trim() ?? '0', 10) * 1024;
}

interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function startServer(name: string, script: string): Promise<Server> {
  const port = await freePort();
  const proc = spawnPinned(
    SERVER_CPU,
    process.execPath,
    nodeScriptArgs(fileURLToPath(serverScript(script))),
    {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        STATIC_ROOT: await staticFolder(),
      },
      cwd: REPO_ROOT,
    },
  );
  try {
    await waitForPort(port, proc.child);
  } catch (err) {
    await proc.stop();
    throw new Error(`${name}: ${(err as Error).message}\n${proc.output()}`, { cause: err });
  }
  // taskset and nice exec the command, so the child's pid is the server's.
  return { url: `http://127.0.0.1:${port}`, pid: proc.child.pid ?? 0, stop: () => proc.stop() };
}

/** Opens `n` HTTP/2 connections in batches and resolves once every one is established. */
async function openIdle(url: string, n: number): Promise<Socket[]> {
  const { port } = new URL(url);
  const sockets: Socket[] = [];
  for (let at = 0; at < n; at += 500) {
    const batch: Promise<void>[] = [];
    for (let i = at; i < Math.min(n, at + 500); i++) {
      const socket = connect(Number(port), '127.0.0.1');
      sockets.push(socket);
      batch.push(
        new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          // The server's SETTINGS is its first frame: acknowledge it, and it is established.
          socket.once('data', () => {
            socket.write(SETTINGS_ACK);
            resolve();
          });
          socket.write(PREFACE);
        }),
      );
    }
    await Promise.all(batch);
  }
  return sockets;
}

async function idleKiBPerConnection(name: string, script: string, n: number): Promise<number> {
  const server = await startServer(name, script);
  let sockets: Socket[] = [];
  try {
    await new Promise((r) => setTimeout(r, 1000));
    const before = await procBytes(server.pid, 'VmRSS');
    sockets = await openIdle(server.url, n);
    await new Promise((r) => setTimeout(r, 2000));
    const after = await procBytes(server.pid, 'VmRSS');
    console.error(
      `${name}: ${n} idle connections, RSS ${(before / MiB).toFixed(1)} → ${(after / MiB).toFixed(1)} MiB`,
    );
    return (after - before) / n / 1024;
  } finally {
    for (const s of sockets) s.destroy();
    await server.stop();
  }
}

/** Downloads /100m.bin with curl on the load CPU; bytes per second. */
async function download(url: string): Promise<number> {
  const proc = spawnPinned(LOAD_CPU, 'curl', [
    '-sS',
    '--http2-prior-knowledge',
    '-o',
    '/dev/null',
    '-w',
    '%{size_download} %{speed_download}',
    `${url}/100m.bin`,
  ]);
  const [code] = (await once(proc.child, 'close')) as [number | null];
  const [size, speed] = proc.output().trim().split(' ').map(Number);
  if (code !== 0 || size !== 100 * MiB) {
    throw new Error(`curl ${url}/100m.bin failed (${code}): ${proc.output()}`);
  }
  return speed ?? 0;
}

interface DownloadResult {
  mibPerSec: number;
  peakRssMiB: number | null;
}

async function downloads(
  name: string,
  start: () => Promise<{ url: string; pid: number | null; stop(): Promise<void> }>,
  rounds: number,
): Promise<DownloadResult> {
  const speeds: number[] = [];
  let peak: number | null = null;
  for (let round = 0; round < rounds; round++) {
    // A fresh process each round, so VmHWM is this download's peak.
    const server = await start();
    try {
      await download(server.url); // warm-up
      const before = server.pid === null ? 0 : await procBytes(server.pid, 'VmRSS');
      speeds.push(await download(server.url));
      if (server.pid !== null) {
        const growth = ((await procBytes(server.pid, 'VmHWM')) - before) / MiB;
        peak = Math.max(peak ?? 0, growth);
      }
    } finally {
      await server.stop();
    }
  }
  speeds.sort((a, b) => a - b);
  const median = speeds[Math.floor(speeds.length / 2)] ?? 0;
  console.error(`${name}: 100 MiB at ${(median / MiB).toFixed(0)} MiB/s`);
  return { mibPerSec: median / MiB, peakRssMiB: peak };
}

const nginx: Target = {
  name: 'nginx',
  start: async () =>
    nginxServer(
      'nginx',
      `    root ${await staticFolder()};
    sendfile on;
    location / { }`,
      { http2: true },
    ).start(),
};

async function measure(): Promise<string> {
  const { connections, rounds } = options();
  const subjects = [
    { name: 'rws-h2', script: 'rws-h2-memory.ts' },
    { name: 'node-http2-core', script: 'node-http2-memory.ts' },
  ];
  const rows: string[] = [];
  const idle: number[] = [];
  const speed: number[] = [];
  for (const s of subjects) {
    const kib = await idleKiBPerConnection(s.name, s.script, connections);
    const dl = await downloads(s.name, () => startServer(s.name, s.script), rounds);
    idle.push(kib);
    speed.push(dl.mibPerSec);
    rows.push(
      `| ${s.name} | ${kib.toFixed(1)} | ${dl.mibPerSec.toFixed(0)} | ${dl.peakRssMiB?.toFixed(1) ?? '—'} |`,
    );
  }
  const ng = await downloads(
    'nginx',
    async () => {
      const running: RunningTarget = await nginx.start();
      return { url: running.url, pid: null, stop: () => running.stop() };
    },
    rounds,
  );
  rows.push(`| nginx | — | ${ng.mibPerSec.toFixed(0)} | — |`);
  const r = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : '—');
  return [
    `### h2-memory — ${connections} idle h2c connections; 100 MiB download (curl, h2c)`,
    '',
    '| target | KiB per idle connection | 100 MiB download MiB/s | peak RSS growth during download (MiB) |',
    '|:--|--:|--:|--:|',
    ...rows,
    '',
    `rws-h2 ÷ node-http2-core: memory per idle connection ${r(idle[0]!, idle[1]!)}, ` +
      `download ${r(speed[0]!, speed[1]!)}; rws-h2 ÷ nginx download ${r(speed[0]!, ng.mibPerSec)}.`,
  ].join('\n');
}

const memoryScript: Target = {
  name: 'h2-memory',
  async start(): Promise<RunningTarget> {
    let code = 1;
    try {
      console.log(await measure());
      code = 0;
    } catch (err) {
      console.error(err);
    }
    // Nothing to hand back to the wrk loop: the table is the result.
    process.exit(code);
  },
};

export default defineSuite({
  name: 'h2-memory',
  description:
    '@rws/h2 vs node:http2: RSS per idle connection (10k), 100 MiB download MiB/s and RSS',
  subject: 'h2-memory',
  targets: [memoryScript],
  // Never run: the target exits the harness after measuring (see above). A suite needs a case.
  cases: [{ name: 'memory', load: { tool: 'h2load', path: '/', connections: 1 } }],
});
