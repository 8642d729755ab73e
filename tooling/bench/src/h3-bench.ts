/**
 * The `pnpm bench h3` run (issue #21): the `rws` binary (HTTP/3 from @rws/h3, on by default
 * with a certificate) against caddy (Debian package; HTTP/3 by quic-go), both serving the same
 * folder with the same certificate on one port number (TCP and UDP), pinned to the server CPU;
 * the load tools run pinned to the load CPU.
 *
 * Cases, per server:
 * - `h3-hello`: 10 gtlsclient connections at once, BENCH_H3_REQUESTS (default 2 000) requests
 *   each for a 13-byte file, streams as concurrent as the server allows (Debian's h2load is
 *   built without QUIC);
 * - `h3-download`: one BENCH_H3_MB MiB file (default 100) with gtlsclient (ngtcp2);
 * - `h2-download`, `h1-download`: the same file with curl over HTTP/2 and HTTP/1.1-over-TLS,
 *   as context for what the machine does without QUIC.
 * Reported: req/s or MiB/s, the server process's CPU time per MiB (from /proc), and UDP
 * datagrams sent per second (the machine's /proc/net/snmp counter: meaningful on an idle box).
 * BENCH_H3_PROFILE=1 runs rws with `--cpu-prof` and prints the functions with the most self time
 * over the whole run, i.e. which part of the per-packet path costs most.
 *
 * Flags: --rounds 3 (median); env BENCH_H3_MB=100 (file size), BENCH_H3_REQUESTS=2000.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, LOAD_CPU, type PinnedProcess, SERVER_CPU, spawnPinned } from './process.js';
import { nodeScriptArgs, REPO_ROOT, RWS_CLI } from './targets.js';
import { benchCertificate } from './tls-cert.js';

interface Server {
  readonly name: string;
  readonly proc: PinnedProcess;
  readonly port: number;
}

interface Row {
  server: string;
  case: string;
  value: number;
  unit: string;
  cpuMsPerMib: number | null;
  datagramsPerSec: number | null;
}

/** Runs the whole comparison and prints the table; returns the process exit code. */
export async function runH3Bench(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: false,
    options: { rounds: { type: 'string', default: '3' } },
  });
  const mib = Number(process.env['BENCH_H3_MB'] ?? '100');
  const rounds = Number(values.rounds);
  const isProfiled = process.env['BENCH_H3_PROFILE'] === '1';
  const perConnection = Number(process.env['BENCH_H3_REQUESTS'] ?? '2000');
  const dir = mkdtempSync(join(tmpdir(), 'rws-bench-h3-'));
  const root = join(dir, 'www');
  execFileSync('mkdir', ['-p', root, join(dir, 'prof'), join(dir, 'dl')]);
  writeFileSync(join(root, 'hello.txt'), 'Hello, World!');
  writeFileSync(join(root, 'big.bin'), randomBytes(mib * 1024 * 1024));
  const tls = await benchCertificate();
  const rows: Row[] = [];
  for (const start of [startRws, startCaddy]) {
    const server = await start(root, tls, dir, isProfiled);
    try {
      await waitForHttps(server);
      const url = `https://localhost:${server.port}`;
      rows.push(
        await measure(server, 'h3-hello', 'req/s', rounds, null, async () => {
          // Debian's h2load has no QUIC: 10 gtlsclient connections at once, each sending
          // `perConnection` requests on as many concurrent streams as the server allows.
          const startedAt = performance.now();
          await Promise.all(
            Array.from({ length: 10 }, () =>
              tool('gtlsclient', [
                '--quiet',
                '--exit-on-all-streams-close',
                `-n${perConnection}`,
                '127.0.0.1',
                String(server.port),
                `${url}/hello.txt`,
              ]),
            ),
          );
          return (10 * perConnection) / ((performance.now() - startedAt) / 1000);
        }),
      );
      const download = async (command: string, args: string[]): Promise<number> => {
        const startedAt = performance.now();
        await tool(command, args);
        return mib / ((performance.now() - startedAt) / 1000);
      };
      rows.push(
        await measure(server, 'h3-download', 'MiB/s', rounds, mib, () =>
          download('gtlsclient', [
            '--quiet',
            '--exit-on-all-streams-close',
            `--download=${join(dir, 'dl')}`,
            '127.0.0.1',
            String(server.port),
            `${url}/big.bin`,
          ]),
        ),
      );
      for (const [name, flag] of [
        ['h2-download', '--http2'],
        ['h1-download', '--http1.1'],
      ] as const) {
        rows.push(
          await measure(server, name, 'MiB/s', rounds, mib, () =>
            download('curl', [
              '-sSk',
              flag,
              '--resolve',
              `localhost:${server.port}:127.0.0.1`,
              '-o',
              '/dev/null',
              `${url}/big.bin`,
            ]),
          ),
        );
      }
    } finally {
      await server.proc.stop(10_000);
    }
  }
  printTable(rows);
  if (isProfiled) printProfile(join(dir, 'prof'));
  return 0;
}

async function startRws(
  root: string,
  tls: { certFile: string; keyFile: string },
  dir: string,
  profile: boolean,
): Promise<Server> {
  const port = await freePort();
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'prof')}`] : [];
  const proc = spawnPinned(
    SERVER_CPU,
    process.execPath,
    [
      ...nodeScriptArgs(RWS_CLI, nodeArgs),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--root',
      root,
      '--tls-cert-file',
      tls.certFile,
      '--tls-key-file',
      tls.keyFile,
    ],
    { env: { ...process.env, NODE_ENV: 'production' }, cwd: REPO_ROOT },
  );
  return { name: 'rws', proc, port };
}

async function startCaddy(
  root: string,
  tls: { certFile: string; keyFile: string },
  dir: string,
  _profile?: boolean,
): Promise<Server> {
  const port = await freePort();
  const config = [
    '{',
    '  admin off',
    '  auto_https off',
    `  storage file_system ${dir}`,
    '  servers {',
    '    protocols h1 h2 h3',
    '  }',
    '}',
    `https://localhost:${port} {`,
    '  bind 127.0.0.1',
    `  tls ${tls.certFile} ${tls.keyFile}`,
    `  root * ${root}`,
    '  file_server',
    '}',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'Caddyfile'), config);
  const proc = spawnPinned(
    SERVER_CPU,
    'caddy',
    ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'],
    { env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } },
  );
  return { name: 'caddy', proc, port };
}

/** Waits until the server answers over TLS (its UDP socket is bound by then too). */
async function waitForHttps(server: Server): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (server.proc.child.exitCode !== null) {
      throw new Error(`${server.name} exited:\n${server.proc.output()}`);
    }
    try {
      execFileSync('curl', ['-sfk', `https://127.0.0.1:${server.port}/hello.txt`], {
        stdio: 'ignore',
      });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${server.name} did not start:\n${server.proc.output()}`);
}

/** Runs a load tool pinned to the load CPU; resolves with its output. */
async function tool(command: string, args: readonly string[]): Promise<string> {
  const proc = spawnPinned(LOAD_CPU, command, args);
  const [code] = (await once(proc.child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${command} exited with ${code}:\n${proc.output()}`);
  return proc.output();
}

/** The median of `rounds` runs, with the server's CPU per MiB and datagrams per second. */
async function measure(
  server: Server,
  name: string,
  unit: string,
  rounds: number,
  mib: number | null,
  run: () => Promise<number>,
): Promise<Row> {
  const results: { value: number; cpuMs: number; datagrams: number; seconds: number }[] = [];
  for (let i = 0; i < rounds; i++) {
    const cpu = processCpuMs(server.proc.child.pid!);
    const datagrams = udpDatagramsSent();
    const startedAt = performance.now();
    const value = await run();
    results.push({
      value,
      cpuMs: processCpuMs(server.proc.child.pid!) - cpu,
      datagrams: udpDatagramsSent() - datagrams,
      seconds: (performance.now() - startedAt) / 1000,
    });
  }
  results.sort((a, b) => a.value - b.value);
  const median = results[Math.floor(results.length / 2)]!;
  console.error(`${server.name} ${name}: ${median.value.toFixed(1)} ${unit}`);
  return {
    server: server.name,
    case: name,
    value: median.value,
    unit,
    cpuMsPerMib: mib === null ? null : median.cpuMs / mib,
    datagramsPerSec: name.startsWith('h3') ? median.datagrams / median.seconds : null,
  };
}

/** User + system CPU time of a process, from /proc/<pid>/stat (clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** UDP datagrams the machine sent so far (/proc/net/snmp `Udp: OutDatagrams`). */
function udpDatagramsSent(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n');
  const header = lines.findIndex((l) => l.startsWith('Udp:'));
  const names = lines[header]!.split(/\s+/);
  const numbers = lines[header + 1]!.split(/\s+/);
  return Number(numbers[names.indexOf('OutDatagrams')]);
}

function printTable(rows: readonly Row[]): void {
  console.log('| case | server | result | vs caddy | server CPU ms/MiB | UDP datagrams/s |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) {
    const caddy = rows.find((r) => r.server === 'caddy' && r.case === row.case);
    const ratio = caddy === undefined ? '-' : `${(row.value / caddy.value).toFixed(2)}x`;
    console.log(
      `| ${row.case} | ${row.server} | ${row.value.toFixed(1)} ${row.unit} | ${ratio} | ${
        row.cpuMsPerMib?.toFixed(1) ?? '-'
      } | ${row.datagramsPerSec === null ? '-' : Math.round(row.datagramsPerSec)} |`,
    );
  }
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly hitCount?: number;
}

/** The 20 functions with the most self time in rws's CPU profile. */
function printProfile(dir: string): void {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) {
    console.log(`no CPU profile in ${dir}`);
    return;
  }
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
  const self = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/packages\//, '')}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (node.hitCount ?? 0));
    total += node.hitCount ?? 0;
  }
  console.log(`\nrws CPU profile (${join(dir, file)}), self time:`);
  // Idle time and start-up (tsx compiling the sources) are not the per-packet path.
  const busy = [...self].filter(([key]) => !/^\((idle|program)\)|esbuild|tsx/.test(key));
  for (const [key, hits] of busy.sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`${((100 * hits) / total).toFixed(1).padStart(5)} %  ${key}`);
  }
}
