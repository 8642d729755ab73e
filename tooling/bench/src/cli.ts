/**
 * `pnpm bench [<suite>] [--duration s] [--rounds n] [--warmup s] [--connections n]
 *  [--only a,b] [--case x,y]` — without a suite name, lists the suites.
 * Flags fall back to BENCH_DURATION, BENCH_ROUNDS, BENCH_WARMUP, BENCH_CONNECTIONS.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatComparison, loadBaseline, saveBaseline } from './compare.js';
import { formatReport, type RunOptions, runSuite, stopAll, writeResults } from './run.js';
import { SUITES } from './suites/index.js';
import type { Stat } from './table.js';
import { REPO_ROOT } from './targets.js';
import { ensureTools } from './tools.js';

const USAGE = `usage: pnpm bench <suite> [--duration 10] [--rounds 2] [--warmup 2] [--connections N]
                        [--only target,target] [--case name,name] [--stat median|best] [--nice=-10]
                        [--baseline] [--compare]`;

/** Baselines live beside the results JSON (gitignored). */
const RESULTS_DIR = join(REPO_ROOT, 'bench-results');

function positiveNumber(name: string, flag: string | undefined, env: string, fallback: number) {
  const raw = flag ?? process.env[env];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${name} must be a non-negative number, got ${raw}`);
  return n;
}

function parseStat(raw: string | undefined): Stat {
  if (raw === undefined || raw === '' || raw === 'median') return 'median';
  if (raw === 'best') return 'best';
  throw new Error(`--stat must be median or best, got ${raw}`);
}

function parseNice(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < -20 || n > 19)
    throw new Error(`--nice must be -20..19, got ${raw}`);
  return n;
}

/**
 * Suites that are programs of their own rather than a load generator against a server (job
 * queues measure jobs, not requests): run with tsx, given the flags after the suite name.
 */
const SCRIPT_SUITES: Readonly<Record<string, { path: string; description: string }>> = {
  jobs: {
    path: 'packages/jobs/bench/jobs-vs-peers.ts',
    description:
      '@rws/jobs vs graphile-worker and pg-boss on PostgreSQL: jobs/s and add→start latency',
  },
  quic: {
    path: 'packages/h3/bench/quic.ts',
    description:
      '@rws/h3 QUIC client ↔ server and quiche client → @rws/h3 server over loopback vs node:tls over TCP: bulk MB/s, packets/s, CPU per MB, handshakes/s',
  },
};

function runScriptSuite(name: string, path: string): never {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const rest = process.argv.slice(process.argv.indexOf(name) + 1);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@rws/source', path, ...rest],
    { cwd: root, stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}

const list = (s: string | undefined) =>
  s === undefined ? undefined : s.split(',').filter(Boolean);

async function main(): Promise<void> {
  const script = SCRIPT_SUITES[process.argv[2] ?? ''];
  if (script !== undefined) runScriptSuite(process.argv[2] as string, script.path);
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      only: { type: 'string' },
      case: { type: 'string' },
      stat: { type: 'string' },
      nice: { type: 'string' },
      baseline: { type: 'boolean' },
      compare: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const name = positionals[0];
  if (values.help === true || name === undefined) {
    console.log(`${USAGE}\n\nsuites:`);
    for (const [key, load] of Object.entries(SUITES)) {
      const suite = (await load()).default;
      console.log(`  ${key.padEnd(14)} ${suite.description}`);
    }
    for (const [key, s] of Object.entries(SCRIPT_SUITES))
      console.log(`  ${key.padEnd(14)} ${s.description}`);
    return;
  }
  const loader = SUITES[name];
  if (loader === undefined) {
    throw new Error(`unknown suite ${name}; known: ${Object.keys(SUITES).join(', ')}`);
  }
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    console.error(
      `warning: running on Node ${process.version}; the workspace pins Node 24 (use pnpm bench)`,
    );
  }
  const connections = positiveNumber('connections', values.connections, 'BENCH_CONNECTIONS', 0);
  const opts: RunOptions = {
    durationSec: Math.max(
      1,
      Math.round(positiveNumber('duration', values.duration, 'BENCH_DURATION', 10)),
    ),
    rounds: Math.max(1, Math.round(positiveNumber('rounds', values.rounds, 'BENCH_ROUNDS', 2))),
    warmupSec: Math.round(positiveNumber('warmup', values.warmup, 'BENCH_WARMUP', 2)),
    connections: connections > 0 ? connections : undefined,
    only: list(values.only),
    cases: list(values.case),
    stat: parseStat(values.stat ?? process.env['BENCH_STAT']),
    nice: parseNice(values.nice ?? process.env['BENCH_NICE']),
  };
  // Fail before a long run, not after it, when there is nothing to compare with.
  const baseline = values.compare === true ? await loadBaseline(RESULTS_DIR, name) : null;
  ensureTools();
  const suite = (await loader()).default;
  const stop = () => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const result = await runSuite(suite, opts);
  console.log(`\n${formatReport(result)}\n`);
  console.log(`results: ${await writeResults(result)}`);
  if (values.baseline === true) console.log(`baseline: ${await saveBaseline(RESULTS_DIR, result)}`);
  if (baseline !== null) console.log(`\n${formatComparison(baseline, result)}\n`);
}

main().catch(async (err: unknown) => {
  await stopAll();
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
