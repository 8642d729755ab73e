/**
 * `pnpm bench:profile <server> [--mode callgrind|cpu|alloc] [--path /] [--requests 4000]
 * [--warmup 4000] [--connections 10] [--pipeline 1] [--top 20]`: the cost of ONE request,
 * measured in a way a busy machine does not disturb (wall-clock throughput is meaningless on a
 * shared host; these numbers are not):
 *
 * - `callgrind`: the server runs under `valgrind --tool=callgrind` (and V8's `--single-threaded`,
 *   so JIT tier-up does not depend on background threads) with instrumentation off;
 *   after the warm-up it is switched on (`callgrind_control -i on`), the fixed load runs, and
 *   the dump gives instructions per request and the functions that executed them (V8 builtins
 *   and C++ by name; JIT-compiled JavaScript shows as `???` — see `cpu` for that).
 * - `cpu`: a V8 CPU profile of the measured requests only (started and stopped by SIGUSR2 in
 *   the preloaded profile-hook.ts): self time per JavaScript function.
 * - `alloc`: V8's sampling heap profiler over the measured requests, counting objects already
 *   collected: bytes allocated per request and where.
 * - `rusage`: what the kernel counted for the server process over the measured requests
 *   (`/proc/<pid>/stat`, `status`, `io`): CPU time user and system, minor page faults, context
 *   switches, read- and write-like syscalls (threadpool file reads included) per request.
 *   CPU time is not a count (a loaded machine inflates it); faults and syscalls are. Also the
 *   resident set at the end.
 * - `eld`: the event loop's delay over the measured requests (`monitorEventLoopDelay`, 1 ms
 *   resolution): how long a timer due now waited, i.e. how long the loop was blocked at a
 *   stretch (wall time: a loaded machine stretches it too).
 * - `gc`: the server runs with V8's `--trace-gc`; the collections during the measured requests
 *   are counted by kind, with their summed pause (pauses are stretched by a loaded machine,
 *   the counts are not): what a latency tail is made of; also the young generation's size and
 *   the heap's growth per request (bytes allocated, as V8 counts them).
 *
 * Servers: `rws-http1`, `node-http` (hello world), `raw-net` (hello world on bare `node:net`:
 * no parser, one write per `\r\n\r\n`, Node's floor for `rws-http1`), `rws-app` (the `app` suite's router App,
 * `--path /users/42`), `fastify-app` (its peer in that suite, same route and hook), `rws-middleware` (the `middleware` suite's server: `--path /all` for
 * request id + CORS + rate limit + compress), `rws-static` (the `rws` static handler,
 * access log off, `--path /1k.bin`), `rws-cli-log` (the `rws` binary with `--access-log FILE`),
 * `rws-cli-stdout` (the `rws` binary logging to stdout, redirected to a file), `rws-proxy-bare`
 * (`reverseProxy()` on @rws/http1) and `rws-gateway` (the `rws` binary with an rws.config.toml
 * of one upstream and one proxy route, access log on), both in front of a raw upstream in this
 * process (raw-upstream.ts), and beside them `nginx-proxy`, the yardstick: nginx `proxy_pass`
 * with upstream keep-alive to the same raw upstream, as the `proxy` suite configures it
 * (nginx-proxy-config.ts), run with `master_process off` so the process measured is the one
 * serving (modes `callgrind` and `rusage` only). Over TLS (the `https` suite's certificate and pinned cipher; the
 * load speaks HTTPS): `rws-cli-tls` (the binary with its access log), `rws-http1-tls` and
 * `node-https` (`--path /1k.bin` for their 1 KiB answer from memory).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MIDDLEWARE_REQUEST_HEADERS } from '../middleware-cases.js';
import { NGINX_PROXY_LOCATION, nginxProxyUpstream } from '../nginx-proxy-config.js';
import { freePort, waitForPort } from '../process.js';
import { PINNED_CIPHER } from '../servers/tls-pinned.js';
import { nginxConfig, nodeScriptArgs, RWS_CLI, serverScript } from '../targets.js';
import { benchCertificate } from '../tls-cert.js';
import { runFixedLoad } from './fixed-load.js';
import { startRawUpstream } from './raw-upstream.js';
import { summarizeAllocations, summarizeCpu } from './summarize.js';

const HOOK = fileURLToPath(new URL('./profile-hook.ts', import.meta.url));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'callgrind' },
    path: { type: 'string', default: '/' },
    requests: { type: 'string', default: '4000' },
    warmup: { type: 'string', default: '4000' },
    connections: { type: 'string', default: '10' },
    pipeline: { type: 'string', default: '1' },
    top: { type: 'string', default: '20' },
    runs: { type: 'string', default: '1' },
    /**
     * Extra flags for the server's node (repeatable), e.g. `--node-flag=--initial-old-space-size=256`
     * so no major GC's incremental marking starts inside the measured window.
     */
    'node-flag': { type: 'string', multiple: true },
    /** Keep the raw callgrind dump here (for `callgrind_annotate --tree=caller`). */
    keep: { type: 'string' },
    /**
     * Extra arguments for the server script (repeatable), e.g. `--server-arg=--no-http3` to
     * see what one `rws` option costs.
     */
    'server-arg': { type: 'string', multiple: true },
  },
});
const server = positionals[0] ?? 'rws-http1';
const mode = values.mode;
const MODES = ['callgrind', 'cpu', 'alloc', 'rusage', 'gc', 'eld'];
if (!MODES.includes(mode))
  throw new Error(`--mode must be one of ${MODES.join(', ')}, got ${mode}`);
const requests = Number(values.requests);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const pipeline = Number(values.pipeline);
const top = Number(values.top);
const runs = Math.max(1, Number(values.runs));

const work = mkdtempSync(join(tmpdir(), 'rws-profile-'));
writeFileSync(join(work, '1k.bin'), Buffer.alloc(1024, 120));
writeFileSync(join(work, 'hello.txt'), 'Hello, World!');
// Only when asked for: 100 MiB of disk per run otherwise.
if (values.path === '/100m.bin')
  writeFileSync(join(work, '100m.bin'), Buffer.alloc(100 << 20, 120));

// The TLS servers: the `https` suite's certificate, cipher and version.
const TLS_SERVERS = ['rws-cli-tls', 'rws-http1-tls', 'node-https'];
const isTls = TLS_SERVERS.includes(server);
const tls = isTls ? await benchCertificate() : null;
// STATIC_ROOT: the `https` suite's Node servers answer `/1k.bin` from it (from memory).
const tlsEnv =
  tls === null ? {} : { TLS_CERT_FILE: tls.certFile, TLS_KEY_FILE: tls.keyFile, STATIC_ROOT: work };

// The proxy profiles' upstream, started once: it lives in this process, outside callgrind.
const isNginx = server === 'nginx-proxy';
if (isNginx && mode !== 'callgrind' && mode !== 'rusage')
  throw new Error(`nginx-proxy: --mode callgrind or rusage (${mode} profiles V8)`);
const upstream =
  server === 'rws-proxy-bare' || server === 'rws-gateway' || isNginx
    ? await startRawUpstream()
    : null;
const upstreamAddress = `127.0.0.1:${upstream === null ? 0 : (upstream.address() as { port: number }).port}`;
// The gateway finds its rws.config.toml in its working directory, as a user's `rws` does
// (only its: the other `rws` servers would turn into gateways).
if (server === 'rws-gateway')
  writeFileSync(
    join(work, 'rws.config.toml'),
    `ip = "127.0.0.1"\n\n[[upstream]]\nname = "backend"\nbackends = ["${upstreamAddress}"]\n\n` +
      `[[route]]\n[route.match]\npath = "/*"\n[route.action]\ntype = "proxy"\nupstream = "backend"\n`,
  );

/**
 * nginx's command line for `nginx-proxy` on `port`, its config written into the work dir;
 * under valgrind nginx serves from the process valgrind started (no master, no daemon).
 */
function nginxArgs(port: number): string[] {
  const conf = join(work, 'nginx.conf');
  const server = NGINX_PROXY_LOCATION;
  writeFileSync(
    conf,
    nginxConfig(work, `127.0.0.1:${port}`, server, nginxProxyUpstream(upstreamAddress), false),
  );
  return ['-p', work, '-c', conf, '-e', join(work, 'error.log')];
}

/** node arguments and environment of `server`. */
function serverArgs(): { args: string[]; env: Record<string, string> } {
  const preload = ['--import', HOOK];
  switch (server) {
    case 'rws-proxy-bare':
      return {
        args: nodeScriptArgs(fileURLToPath(serverScript('rws-proxy-bare.ts')), preload),
        env: { UPSTREAM_URL: `http://${upstreamAddress}` },
      };
    case 'rws-gateway':
      // Access log on at its default (stdout, which goes to a file here).
      return { args: nodeScriptArgs(RWS_CLI, preload), env: { RWS_CONFIG_IP: '127.0.0.1' } };
    case 'rws-http1':
    case 'rws-app':
    case 'node-http':
    // The `app` suite's peer (fastify, same route and hook as rws-app): `--path /users/42`.
    case 'fastify-app':
    // The `https` suite's hello worlds (pinned cipher, TLS 1.3).
    case 'rws-http1-tls':
    case 'node-https':
    case 'raw-net':
    // The `middleware` suite's server: pick the stack with --path (/bare, /cors, …, /all).
    case 'rws-middleware':
      return {
        args: nodeScriptArgs(fileURLToPath(serverScript(`${server}.ts`)), preload),
        env: tlsEnv,
      };
    case 'rws-static':
      return {
        args: nodeScriptArgs(fileURLToPath(serverScript('rws-static.ts')), preload),
        env: { STATIC_ROOT: work },
      };
    case 'rws-cli-log':
      return {
        args: [
          ...nodeScriptArgs(RWS_CLI, preload),
          '--root',
          work,
          '--access-log',
          join(work, 'access.log'),
        ],
        env: { RWS_CONFIG_IP: '127.0.0.1' },
      };
    case 'rws-cli-tls':
      // The `https` suite's subject: the binary over TLS with its access log to a file.
      return {
        args: [
          ...nodeScriptArgs(RWS_CLI, preload),
          '--root',
          work,
          '--tls-cert-file',
          tls!.certFile,
          '--tls-key-file',
          tls!.keyFile,
          '--tls-ciphers',
          PINNED_CIPHER,
          '--tls-min-version',
          '1.3',
          '--access-log',
          join(work, 'access.log'),
        ],
        env: { RWS_CONFIG_IP: '127.0.0.1' },
      };
    case 'rws-cli-stdout':
      // The access log at its default (stdout), stdout going to a file: how `rws > log`
      // runs, and the only way to log to a file before --access-log.
      return {
        args: [...nodeScriptArgs(RWS_CLI, preload), '--root', work],
        env: { RWS_CONFIG_IP: '127.0.0.1' },
      };
    default:
      throw new Error(
        `unknown server ${server}: nginx-proxy, rws-http1, raw-net, rws-app, fastify-app, node-http, rws-middleware, rws-static, rws-cli-log, rws-cli-stdout, rws-proxy-bare, rws-gateway, rws-cli-tls, rws-http1-tls, node-https`,
      );
  }
}

/**
 * Runs the measurement `runs` times (a fresh server each) and keeps the lowest count: JIT
 * compilation and GC that happen to fall into the measured window only ever add instructions,
 * so the minimum is the least disturbed sample.
 */
async function main(): Promise<void> {
  let best: { instructions: number; report: string } | null = null;
  let failures = 0;
  for (let run = 1; run <= runs; run++) {
    let result: { instructions: number; report: string };
    try {
      result = await measureOnce();
    } catch (err) {
      // A run lost to the machine (a server under valgrind starved into a timeout) is skipped;
      // the others still give the minimum.
      failures++;
      console.error(`run ${run}/${runs} failed: ${err instanceof Error ? err.message : err}`);
      if (failures === runs) throw err;
      continue;
    }
    if (mode !== 'callgrind') {
      console.log(result.report);
      continue;
    }
    if (runs > 1) {
      console.error(
        `run ${run}/${runs}: ${Math.round(result.instructions / requests)} instructions/request`,
      );
    }
    if (best === null || result.instructions < best.instructions) best = result;
  }
  if (best !== null) console.log(best.report);
  upstream?.close();
  rmSync(work, { recursive: true, force: true });
}

async function measureOnce(): Promise<{ instructions: number; report: string }> {
  const port = await freePort();
  const { args, env } = isNginx ? { args: nginxArgs(port), env: {} } : serverArgs();
  args.push(...(values['server-arg'] ?? []));
  const profileOut = join(work, 'profile.json');
  const cgOut = join(work, 'callgrind.out');
  const program = isNginx ? 'nginx' : process.execPath;
  const command = mode === 'callgrind' ? 'valgrind' : program;
  if (mode === 'gc') args.unshift('--trace-gc-nvp');
  if (!isNginx) args.unshift(...(values['node-flag'] ?? []));
  const argv =
    mode === 'callgrind'
      ? [
          '--tool=callgrind',
          '--instr-atstart=no',
          `--callgrind-out-file=${cgOut}`,
          program,
          // V8 compiles and collects on the main thread: otherwise how long the main thread
          // runs slower tiers depends on when a background compile finishes, i.e. on the load.
          ...(isNginx ? [] : ['--single-threaded']),
          // /tmp/perf-<pid>.map names the JIT-compiled functions callgrind shows as addresses.
          ...(isNginx ? [] : ['--perf-basic-prof-only-functions']),
          ...args,
        ]
      : args;
  const child: ChildProcess = spawn(command, argv, {
    cwd: work,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      ...env,
      PORT: String(port),
      RWS_CONFIG_PORT: String(port),
      PROFILE_MODE: mode,
      PROFILE_OUT: profileOut,
    },
    stdio: ['ignore', openSync(join(work, 'stdout.log'), 'w'), 'inherit'],
  });
  try {
    await waitForPort(port, child, 180_000);
    const load = {
      port,
      path: values.path,
      connections,
      pipeline,
      tls: isTls,
      // What the suite's clients send: an allowed Origin and an Accept-Encoding to negotiate.
      ...(server === 'rws-middleware' ? { headers: MIDDLEWARE_REQUEST_HEADERS } : {}),
    };
    await runFixedLoad({ ...load, count: warmup });
    if (mode === 'callgrind') {
      execFileSync('callgrind_control', ['-i', 'on', String(child.pid)], { stdio: 'ignore' });
      await runFixedLoad({ ...load, count: requests });
      execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
      const dump = readdirSync(work).find(
        (f) => f.startsWith('callgrind.out') && f !== 'callgrind.out',
      );
      const file = join(work, dump ?? 'callgrind.out');
      const annotated = execFileSync('callgrind_annotate', ['--threshold=100', file], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (values.keep === undefined) rmSync(file);
      else execFileSync('mv', [file, values.keep]);
      const total = /([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/.exec(annotated);
      const instructions = total === null ? Number.NaN : Number(total[1]!.replaceAll(',', ''));
      const out = [
        `${server} ${values.path}: ${Math.round(instructions / requests).toLocaleString('en-US')} instructions/request (${requests} requests, ${connections} connections)`,
      ];
      const lines = annotated.split('\n');
      const start = lines.findIndex((l) => l.includes('file:function'));
      if (values.keep !== undefined && existsSync(`/tmp/perf-${child.pid}.map`)) {
        execFileSync('cp', [`/tmp/perf-${child.pid}.map`, `${values.keep}.map`]);
      }
      const jit = readPerfMap(child.pid!);
      for (const line of lines.slice(start + 2, start + 2 + top)) {
        // `Ir (pct)  file:function [object]`: the object path and C++ argument lists are noise.
        out.push(
          line
            .replace(/ \[[^\]]*\]$/, '')
            .replace(/\?\?\?:/, '')
            .replace(/0x[0-9a-f]{8,}/, (address) => jitName(jit, address))
            .slice(0, 140),
        );
      }
      return { instructions, report: out.join('\n') };
    } else if (mode === 'gc') {
      const log = join(work, 'stdout.log');
      const from = readFileSync(log).length;
      await runFixedLoad({ ...load, count: requests });
      await sleep(200);
      return { instructions: 0, report: gcReport(readFileSync(log).subarray(from).toString()) };
    } else if (mode === 'rusage') {
      const before = readUsage(child.pid!);
      await runFixedLoad({ ...load, count: requests });
      const after = readUsage(child.pid!);
      return { instructions: 0, report: usageReport(before, after) };
    } else {
      child.kill('SIGUSR2');
      await waitForFile(`${profileOut}.ready`);
      await runFixedLoad({ ...load, count: requests });
      child.kill('SIGUSR2');
      await waitForFile(profileOut);
      const profile = JSON.parse(readFileSync(profileOut, 'utf8'));
      rmSync(profileOut);
      rmSync(`${profileOut}.ready`);
      const report =
        mode === 'eld'
          ? eldReport(profile)
          : mode === 'cpu'
            ? summarizeCpu(profile.profile, requests, top)
            : summarizeAllocations(profile.profile, requests, top);
      return { instructions: 0, report };
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

/** V8's perf map of process `pid`: `[start, end, name]` per JIT-compiled function. */
function readPerfMap(pid: number): [number, number, string][] {
  const file = `/tmp/perf-${pid}.map`;
  if (!existsSync(file)) return [];
  const entries: [number, number, string][] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (m === null) continue;
    const at = Number.parseInt(m[1]!, 16);
    entries.push([at, at + Number.parseInt(m[2]!, 16), m[3]!]);
  }
  rmSync(file, { force: true });
  return entries;
}

/**
 * The JIT function holding `address`, shortened to `name file` (`JS:*` is optimized code,
 * `JS:^` baseline, `JS:+` Maglev, as V8 marks them); the last match wins, as code is reused.
 */
function jitName(map: [number, number, string][], address: string): string {
  const at = Number.parseInt(address, 16);
  let name: string | null = null;
  for (const [start, end, entry] of map) if (at >= start && at < end) name = entry;
  if (name === null) return address;
  return name.replace(/file:\/\/\S*?\/(packages|apps|tooling)\//, '$1/').replace(/:\d+:\d+$/, '');
}

/**
 * `--trace-gc-nvp` lines (`… ms: pause=0.8 mutator=… gc=s … new_space_survived=123 promoted=0 …`)
 * by kind: `s` scavenge, `mc` mark-compact, `mmc` minor mark-compact. Bytes surviving a
 * scavenge are counted; they, not the garbage, are what a scavenge's pause is made of.
 */
function gcReport(text: string): string {
  const kinds = new Map<
    string,
    {
      count: number;
      ms: number;
      maxMs: number;
      survived: number;
      promoted: number;
      arrays: number;
      capacity: number;
    }
  >();
  // `allocated` is what the heap's objects grew by since the collection before (all kinds).
  let allocated = 0;
  for (const line of text.split('\n')) {
    const kind = / gc=(\w+) /.exec(line)?.[1];
    if (kind === undefined) continue;
    const field = (name: string): number =>
      Number(new RegExp(` ${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
    const k = kinds.get(kind) ?? {
      count: 0,
      ms: 0,
      maxMs: 0,
      survived: 0,
      promoted: 0,
      arrays: 0,
      capacity: 0,
    };
    k.count++;
    allocated += field('allocated');
    k.capacity = Math.max(k.capacity, field('new_space_capacity'));
    k.ms += field('pause');
    k.maxMs = Math.max(k.maxMs, field('pause'));
    k.survived += field('new_space_survived');
    k.promoted += field('promoted');
    k.arrays += field('scavenge.sweep_array_buffers');
    kinds.set(kind, k);
  }
  const names: Record<string, string> = {
    s: 'scavenge',
    mc: 'mark-compact',
    mmc: 'minor mark-compact',
  };
  const kib = (n: number): string => `${Math.round(n / 1024).toLocaleString('en-US')} KiB`;
  const rows = [...kinds].map(
    ([kind, k]) =>
      `  ${names[kind] ?? kind}: ${((k.count * 10_000) / requests).toFixed(1)} per 10,000 requests; ` +
      `on average ${kib(k.survived / k.count)} survived, ${kib(k.promoted / k.count)} promoted, ` +
      `pause ${(k.ms / k.count).toFixed(2)} ms, longest ${k.maxMs.toFixed(2)} ms (of it sweeping array buffers ${(k.arrays / k.count).toFixed(2)} ms)` +
      (kind === 's' ? `, young generation up to ${(k.capacity / 2 ** 20).toFixed(1)} MiB` : ''),
  );
  return [
    `${server} ${values.path}: garbage collections during ${requests} requests (${connections} connections)`,
    ...(rows.length === 0 ? ['  none'] : rows),
    ...(rows.length === 0
      ? []
      : [`  heap growth between collections: ${Math.round(allocated / requests)} bytes/request`]),
  ].join('\n');
}

/** The hook's event-loop delay percentiles (nanoseconds) as one line each, in ms. */
function eldReport(h: {
  count: number;
  mean: number;
  percentiles: Record<string, number>;
}): string {
  const ms = (ns: number): string => `${(ns / 1e6).toFixed(2)} ms`;
  return [
    `${server} ${values.path}: event-loop delay during ${requests} requests (${connections} connections, ${h.count} samples)`,
    `  mean ${ms(h.mean)}; ${Object.entries(h.percentiles)
      .map(([p, ns]) => `p${p} ${ms(ns)}`)
      .join(', ')}`,
  ].join('\n');
}

interface Usage {
  userMs: number;
  systemMs: number;
  minorFaults: number;
  voluntarySwitches: number;
  involuntarySwitches: number;
  readCalls: number;
  writeCalls: number;
  /** Resident set size and its peak, KiB (a level, not a per-request count). */
  rssKiB: number;
  peakRssKiB: number;
}

/** The kernel's counters of process `pid` (Linux `/proc`). */
function readUsage(pid: number): Usage {
  // Fields after the parenthesised command name (which may hold spaces), 1-based from state.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const num = (text: string, key: string): number =>
    Number(new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    minorFaults: Number(fields[7]),
    userMs: Number(fields[11]) * tick,
    systemMs: Number(fields[12]) * tick,
    voluntarySwitches: num(status, 'voluntary_ctxt_switches'),
    involuntarySwitches: num(status, 'nonvoluntary_ctxt_switches'),
    readCalls: num(io, 'syscr'),
    writeCalls: num(io, 'syscw'),
    rssKiB: num(status, 'VmRSS'),
    peakRssKiB: num(status, 'VmHWM'),
  };
}

function usageReport(before: Usage, after: Usage): string {
  const per = (key: keyof Usage): string => {
    const v = (after[key] - before[key]) / requests;
    return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
  };
  const micro = (key: 'userMs' | 'systemMs'): string =>
    Math.round((1000 * (after[key] - before[key])) / requests).toLocaleString('en-US');
  return [
    `${server} ${values.path}: kernel counters per request (${requests} requests, ${connections} connections)`,
    `  CPU µs: user ${micro('userMs')}, system ${micro('systemMs')} (time: inflated on a loaded machine)`,
    `  minor page faults: ${per('minorFaults')}`,
    `  read-like syscalls: ${per('readCalls')}, write-like syscalls: ${per('writeCalls')}`,
    `  context switches: voluntary ${per('voluntarySwitches')}, involuntary ${per('involuntarySwitches')}`,
    `  resident set after: ${Math.round(after.rssKiB / 1024)} MiB (peak ${Math.round(after.peakRssKiB / 1024)} MiB)`,
  ].join('\n');
}

async function waitForFile(path: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(path); i++) await sleep(50);
  // The file is written in one call; give it a moment to be complete.
  await sleep(100);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
