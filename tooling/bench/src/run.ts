/**
 * Runs a suite: for each case, `rounds` times, each target in turn (A B C, A B C, …): start it
 * pinned to SERVER_CPU, warm up, measure with the load generator pinned to LOAD_CPU, stop it.
 * Interleaving spreads slow drift of the machine (thermal, noisy neighbours) over all targets.
 */

import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { connect as connectH2 } from 'node:http2';
import { get as getHttps } from 'node:https';
import { cpus, hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { h2loadArgs, parseH2load, parseH2loadLog } from './h2load.js';
import { LOAD_CPU, runPinned, setNiceness } from './process.js';
import {
  describeLoad,
  formatMiBps,
  formatMs,
  formatRps,
  formatTable,
  type Stat,
  summarize,
} from './table.js';
import { REPO_ROOT } from './targets.js';
import { benchCertificate } from './tls-cert.js';
import { toolVersion } from './tools.js';
import type {
  Load,
  Measurement,
  RunningTarget,
  Suite,
  TargetContext,
  TargetSummary,
} from './types.js';
import { parseWrk, wrkArgs } from './wrk.js';

export interface RunOptions {
  readonly durationSec: number;
  readonly rounds: number;
  readonly warmupSec: number;
  /** Overrides every case's connection count. */
  readonly connections?: number | undefined;
  /** Only these targets (the subject is always kept). */
  readonly only?: readonly string[] | undefined;
  /** Only these cases. */
  readonly cases?: readonly string[] | undefined;
  /** How rounds fold into one number. Default `median`. */
  readonly stat?: Stat;
  /** `nice` level of servers and load generators (negative needs root). Default 0. */
  readonly nice?: number;
  /** Progress lines go here (stderr by default). */
  readonly log?: (line: string) => void;
}

interface CaseResult {
  readonly name: string;
  readonly load: Load;
  readonly description: string;
  readonly summaries: readonly TargetSummary[];
  readonly table: string;
}

export interface SuiteResult {
  readonly suite: string;
  readonly subject: string;
  readonly date: string;
  readonly machine: Readonly<Record<string, unknown>>;
  readonly options: Omit<RunOptions, 'log'>;
  readonly cases: readonly CaseResult[];
}

/**
 * A directory for a logging case's access logs, inside the run's scratch dir (removed with it).
 * World-writable: nginx's master opens its log as root, but a server started as another user
 * must be able to create its file too.
 */
async function logDir(scratch: string, name: string): Promise<string> {
  const dir = join(scratch, `logs-${name}`);
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o777);
  return dir;
}

/** Targets still running, so an interrupt can stop them. */
const running = new Set<RunningTarget>();

/** Stops every server the harness started (used on SIGINT/SIGTERM). */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((t) => t.stop()));
  running.clear();
}

async function measure(
  load: Load,
  url: string,
  opts: RunOptions,
  scratch: string,
): Promise<Measurement> {
  if (load.tool === 'wrk') {
    if (opts.warmupSec > 0) {
      await runPinned(LOAD_CPU, 'wrk', await wrkArgs(load, url, opts.warmupSec, scratch));
    }
    return parseWrk(
      await runPinned(LOAD_CPU, 'wrk', await wrkArgs(load, url, opts.durationSec, scratch)),
    );
  }
  const { args, logFile } = h2loadArgs(load, url, opts.durationSec, opts.warmupSec, scratch);
  const out = await runPinned(LOAD_CPU, 'h2load', args);
  const latencies = parseH2loadLog(await readFile(logFile, 'utf8'));
  await rm(logFile, { force: true });
  return parseH2load(out, latencies);
}

/**
 * One request before measuring, so a broken server fails loudly instead of scoring errors.
 * `agent: false` sends `Connection: close`, so no idle socket lingers during the measurement.
 */
async function checkResponds(load: Load, url: string, target: string): Promise<void> {
  if (load.tool === 'wrk' && (load.method ?? 'GET') !== 'GET') return;
  // The bench certificate is self-signed; the load generators do not verify it either.
  const once = () =>
    new Promise<number>((resolve, reject) => {
      if (load.tool === 'h2load') {
        // HTTP/2 as h2load will speak it: h2 by ALPN on https, prior knowledge (h2c) on http.
        const session = connectH2(url, { rejectUnauthorized: false });
        session.once('error', reject);
        const req = session.request({ ':path': load.path, ...load.headers });
        req.once('response', (headers) => {
          req.resume();
          req.once('end', () => {
            session.close();
            resolve(Number(headers[':status'] ?? 0));
          });
        });
        req.once('error', reject);
        return;
      }
      const options = { agent: false, headers: load.headers ?? {}, rejectUnauthorized: false };
      const onResponse = (res: IncomingMessage): void => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      };
      const req = url.startsWith('https:')
        ? getHttps(url + load.path, options, onResponse)
        : get(url + load.path, options, onResponse);
      req.once('error', reject);
    });
  let status = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      status = await once();
      break;
    } catch (err) {
      // A server may accept before it is fully ready; a second try tells a hiccup from a bug.
      if (attempt === 3) {
        throw new Error(`${target}: GET ${load.path} failed: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (status >= 400) throw new Error(`${target}: GET ${load.path} answered ${status}`);
}

/** Runs every case of `suite` and returns the summaries (also logging progress and tables). */
export async function runSuite(suite: Suite, opts: RunOptions): Promise<SuiteResult> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const subject = suite.subject ?? suite.targets[0]!.name;
  const targets = suite.targets.filter(
    (t) => opts.only === undefined || t.name === subject || opts.only.includes(t.name),
  );
  const cases = suite.cases.filter((c) => opts.cases === undefined || opts.cases.includes(c.name));
  if (cases.length === 0)
    throw new Error(`no case of ${suite.name} matches ${opts.cases?.join(',')}`);
  const load1 = loadavg()[0]!;
  if (load1 > 0.5) {
    log(`warning: load average ${load1.toFixed(2)} before the run; results will be noisy`);
  }
  setNiceness(opts.nice ?? 0);
  const machineBefore = machineInfo();
  const scratch = await mkdtemp(join(tmpdir(), 'rws-bench-'));
  const results: CaseResult[] = [];
  try {
    for (const c of cases) {
      const load: Load =
        opts.connections === undefined ? c.load : { ...c.load, connections: opts.connections };
      const caseTargets = targets.filter(
        (t) => c.targets === undefined || t.name === subject || c.targets.includes(t.name),
      );
      const perTarget = new Map<string, Measurement[]>(caseTargets.map((t) => [t.name, []]));
      // The case's upstream runs for all its rounds: every target proxies to the same process.
      const upstream = await c.upstream?.start();
      if (upstream !== undefined) running.add(upstream);
      const context: TargetContext = {
        upstream: upstream?.url,
        tls: c.tls === true ? await benchCertificate() : undefined,
        accessLogDir: c.accessLog === true ? await logDir(scratch, c.name) : undefined,
      };
      try {
        for (let round = 1; round <= opts.rounds; round++) {
          for (const target of caseTargets) {
            const server = await target.start(context);
            running.add(server);
            try {
              await checkResponds(load, server.url, target.name);
              const m = await measure(load, server.url, opts, scratch);
              perTarget.get(target.name)!.push(m);
              log(
                `${suite.name}/${c.name} round ${round}/${opts.rounds} ${target.name.padEnd(12)} ` +
                  `${formatRps(m.requestsPerSec).padStart(9)} req/s  p50 ${formatMs(m.p50Ms)}  p99 ${formatMs(m.p99Ms)}` +
                  (m.transferBytesPerSec === undefined
                    ? ''
                    : `  ${formatMiBps(m.transferBytesPerSec)} MiB/s`) +
                  (m.errors > 0 ? `  errors ${m.errors}` : ''),
              );
            } finally {
              running.delete(server);
              await server.stop();
            }
          }
        }
      } finally {
        if (upstream !== undefined) {
          running.delete(upstream);
          await upstream.stop();
        }
      }
      const summaries = caseTargets.map((t) =>
        summarize(t.name, perTarget.get(t.name)!, opts.stat),
      );
      results.push({
        name: c.name,
        load,
        description: describeLoad(load),
        summaries,
        table: formatTable(summaries, subject, c.metric),
      });
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const { log: _log, ...options } = opts;
  return {
    suite: suite.name,
    subject,
    date: new Date().toISOString(),
    machine: { ...machineBefore, loadAverage1mAfter: Number(loadavg()[0]!.toFixed(2)) },
    options,
    cases: results,
  };
}

/** What the results were measured on. */
function machineInfo(): Record<string, unknown> {
  const cpu = cpus();
  return {
    hostname: hostname(),
    cpuModel: cpu[0]?.model ?? 'unknown',
    cpus: cpu.length,
    // Other work on the machine skews results; the 1-minute load average is recorded with them.
    loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
    node: process.version,
    wrk: toolVersion('wrk', ['--version']),
    h2load: toolVersion('h2load', ['--version']),
    nginx: toolVersion('nginx', ['-v']),
  };
}

/** Markdown for a whole run: a heading and table per case. */
export function formatReport(result: SuiteResult): string {
  const m = result.machine;
  const out = [
    `## ${result.suite} — ${result.date.slice(0, 10)}`,
    '',
    `${String(m['cpuModel'])}, ${String(m['cpus'])} CPUs (server on CPU 0, load generator on CPU 1), Node ${String(m['node'])}, load average ${String(m['loadAverage1m'])} before / ${String(m['loadAverage1mAfter'])} after; ` +
      `${result.options.rounds} round(s) × ${result.options.durationSec} s after ${result.options.warmupSec} s warm-up, interleaved; ${result.options.stat === 'best' ? 'best round per target' : 'medians'}` +
      `${result.options.nice ? `; nice ${result.options.nice}` : ''}.`,
  ];
  for (const c of result.cases) {
    out.push('', `### ${c.name}: ${c.description}`, '', c.table);
  }
  return out.join('\n');
}

/** Writes the results JSON under <repo>/bench-results/ and returns its path. */
export async function writeResults(result: SuiteResult): Promise<string> {
  const dir = join(REPO_ROOT, 'bench-results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${result.suite}-${result.date.replaceAll(':', '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}
