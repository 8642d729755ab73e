/**
 * `pnpm bench jobs`: @rws/jobs against graphile-worker and pg-boss on one PostgreSQL database,
 * in one run. Two numbers per system:
 * - jobs/s: N no-op jobs enqueued in bulk (not timed), then a worker with `--concurrency`
 *   slots starts; the time until its handler has run N times;
 * - add→start latency, in a phase of its own on a freshly created schema: with the worker
 *   idle, one job added at a time, the next as soon as the previous one's handler started;
 *   the time from the add call to the handler starting, over `--samples` jobs after `--warmup`
 *   unrecorded ones (p50, p90, p99 and max; a p99 needs thousands of samples to mean much).
 * Every system uses LISTEN/NOTIFY and its own schema or table, dropped first. pg-boss fetches
 * batches of concurrency/2 jobs in two local slots, back to back while batches come back full
 * (one job per fetch waits a poll interval per job).
 *
 * Flags: --url (default postgres://postgres@127.0.0.1:5432/test), --jobs 20000 (0: no
 * throughput phase), --samples 2000 (0: no latency phase), --warmup 100, --gap-ms 0 (a pause
 * between latency samples), --concurrency 16, --rounds 1 (the systems run interleaved per
 * round), --only rws,graphile-worker,pg-boss.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createDb, sql } from '@rws/orm';
import { Logger, makeWorkerUtils, run as runGraphile } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    jobs: { type: 'string', default: '20000' },
    samples: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '100' },
    'gap-ms': { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const url = values.url;
const N = Number(values.jobs);
const SAMPLES = Number(values.samples);
const WARMUP = Number(values.warmup);
const GAP_MS = Number(values['gap-ms']);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const BATCH = 1000;

/** One system under test. `onRun` is called at the start of every handler. */
interface System {
  readonly name: string;
  setup(): Promise<void>;
  enqueueBulk(n: number): Promise<void>;
  startWorker(onRun: () => void): Promise<void>;
  addOne(): Promise<void>;
  stop(): Promise<void>;
}

async function dropSchema(schema: string): Promise<void> {
  const db = createDb({ dialect: 'postgres', url });
  await sql.raw(`drop schema if exists ${schema} cascade`).execute(db.kysely);
  await db.close();
}

function rwsJobs(): System {
  const db = createDb({ dialect: 'postgres', url });
  const table = 'bench_rws_jobs';
  const queue = createQueue({
    store: createSqlStore({ db, table, listenUrl: url }),
    name: 'bench',
  });
  let onRun = () => {};
  const job = defineJob('bench', () => onRun());
  return {
    name: '@rws/jobs',
    async setup() {
      for (const t of [table, `${table}_groups`])
        await sql.raw(`drop table if exists ${t}`).execute(db.kysely);
      await queue.counts();
    },
    async enqueueBulk(n) {
      for (let i = 0; i < n; i += BATCH)
        await queue.addMany(
          Array.from({ length: Math.min(BATCH, n - i) }, () => ({ job, payload: {} })),
        );
    },
    async startWorker(f) {
      onRun = f;
      queue.worker({ jobs: [job], concurrency: CONCURRENCY, pollIntervalMs: 1000 });
    },
    addOne: async () => void (await queue.add(job, {})),
    async stop() {
      await queue.close();
      await db.close();
    },
  };
}

function graphileWorker(): System {
  const schema = 'bench_graphile_worker';
  // A silent logger: the benchmark prints only its table.
  const logger = new Logger(() => () => {});
  let utils: Awaited<ReturnType<typeof makeWorkerUtils>> | undefined;
  let runner: Awaited<ReturnType<typeof runGraphile>> | undefined;
  return {
    name: 'graphile-worker',
    async setup() {
      await dropSchema(schema);
      utils = await makeWorkerUtils({ connectionString: url, schema, logger });
      await utils.migrate();
    },
    async enqueueBulk(n) {
      for (let i = 0; i < n; i += BATCH)
        await utils?.addJobs(
          Array.from({ length: Math.min(BATCH, n - i) }, () => ({
            identifier: 'bench',
            payload: {},
          })),
        );
    },
    async startWorker(onRun) {
      runner = await runGraphile({
        connectionString: url,
        schema,
        logger,
        concurrency: CONCURRENCY,
        pollInterval: 1000,
        noHandleSignals: true,
        taskList: { bench: async () => onRun() },
      });
    },
    addOne: async () => void (await utils?.addJob('bench', {})),
    async stop() {
      await runner?.stop();
      await utils?.release();
    },
  };
}

function pgBoss(): System {
  const schema = 'bench_pgboss';
  const boss = new PgBoss({ connectionString: url, schema, useListenNotify: true });
  // The class's declared type omits its EventEmitter side.
  (boss as unknown as NodeJS.EventEmitter).on('error', (err) => console.error('pg-boss:', err));
  return {
    name: 'pg-boss',
    async setup() {
      await dropSchema(schema);
      await boss.start();
      await boss.createQueue('bench', { notify: true });
    },
    async enqueueBulk(n) {
      for (let i = 0; i < n; i += BATCH)
        await boss.insert(
          'bench',
          Array.from({ length: Math.min(BATCH, n - i) }, () => ({ data: {} })),
        );
    },
    async startWorker(onRun) {
      // One job per fetch polls once per job; pg-boss's own advice for throughput is batches
      // fetched back to back while they come back full.
      const batchSize = Math.max(1, Math.floor(CONCURRENCY / 2));
      await boss.work(
        'bench',
        { batchSize, localConcurrency: 2, burstWhenBatchFull: true, pollingIntervalSeconds: 1 },
        async (jobs) => {
          for (const _ of jobs) onRun();
        },
      );
    },
    addOne: async () => void (await boss.send('bench', {})),
    stop: () => boss.stop({ graceful: false, timeout: 1000 }),
  };
}

const SYSTEMS: Record<string, () => System> = {
  rws: rwsJobs,
  'graphile-worker': graphileWorker,
  'pg-boss': pgBoss,
};

const percentile = (xs: readonly number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

/** Runs `system`'s worker with `onRun` as the start of every handler; returns the worker's runs. */
async function startCounting(system: System) {
  let ran = 0;
  let target = Number.POSITIVE_INFINITY;
  let reached = () => {};
  await system.startWorker(() => {
    ran++;
    if (ran >= target) reached();
  });
  return {
    /** Resolves when the handler has started `n` more times from now. */
    runs(n: number): Promise<void> {
      target = ran + n;
      return new Promise((resolve) => {
        reached = resolve;
      });
    },
  };
}

async function measureThroughput(make: () => System): Promise<number> {
  const system = make();
  await system.setup();
  await system.enqueueBulk(N);
  const t0 = performance.now();
  const counting = await startCounting(system);
  await counting.runs(N);
  const jobsPerSec = N / ((performance.now() - t0) / 1000);
  await system.stop();
  return jobsPerSec;
}

/**
 * Add→start latency on a fresh schema (not the throughput phase's, whose table holds N
 * finished jobs): one job at a time into an idle worker, the next added as soon as the handler
 * of the previous one started (its completion may still be in flight, as in any busy system).
 */
async function measureLatency(make: () => System): Promise<{ ms: number[]; gcHit: number }> {
  const system = make();
  // Garbage collections, to count the samples they paused: a pause stops this process (the
  // adds, the worker and the timing alike), so a system that allocates more per job has more
  // samples with a pause in them.
  const pauses: Array<{ from: number; to: number }> = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      pauses.push({ from: e.startTime, to: e.startTime + e.duration });
  });
  gc.observe({ entryTypes: ['gc'] });
  const spans: Array<{ from: number; to: number }> = [];
  await system.setup();
  const counting = await startCounting(system);
  // Let the worker finish starting (LISTEN, first poll) so it is idle.
  await new Promise((r) => setTimeout(r, 500));
  const latencies: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const started = counting.runs(1);
    const a = performance.now();
    await system.addOne();
    await started;
    const b = performance.now();
    if (i >= WARMUP) {
      latencies.push(b - a);
      spans.push({ from: a, to: b });
    }
    if (GAP_MS > 0) await new Promise((r) => setTimeout(r, GAP_MS));
  }
  // Let the observer's callback deliver the last entries.
  await new Promise((r) => setTimeout(r, 50));
  gc.disconnect();
  const gcHit = spans.filter((s) => pauses.some((p) => p.from < s.to && p.to > s.from)).length;
  await system.stop();
  return { ms: latencies, gcHit };
}

const QUANTILES = [50, 90, 99] as const;
const summary = (xs: readonly number[]) => ({
  p50: percentile(xs, 50),
  p90: percentile(xs, 90),
  p99: percentile(xs, 99),
  max: Math.max(...xs),
});
const ms = (v: number) => `${v.toFixed(1)} ms`;

const chosen = values.only === undefined ? Object.keys(SYSTEMS) : values.only.split(',');
for (const c of chosen) if (SYSTEMS[c] === undefined) throw new Error(`unknown system ${c}`);
const rates = new Map<string, number[]>();
const latencies = new Map<string, number[][]>();
const gcHits = new Map<string, number>();
const names = new Map<string, string>();
for (let round = 0; round < ROUNDS; round++)
  for (const key of chosen) {
    const make = () => {
      const system = (SYSTEMS[key] as () => System)();
      names.set(key, system.name);
      return system;
    };
    const parts: string[] = [];
    if (N > 0) {
      const r = await measureThroughput(make);
      rates.set(key, [...(rates.get(key) ?? []), r]);
      parts.push(`${r.toFixed(0)} jobs/s`);
    }
    if (SAMPLES > 0) {
      const { ms: l, gcHit } = await measureLatency(make);
      latencies.set(key, [...(latencies.get(key) ?? []), l]);
      gcHits.set(key, (gcHits.get(key) ?? 0) + gcHit);
      const s = summary(l);
      parts.push(
        `add→start p50 ${ms(s.p50)}, p90 ${ms(s.p90)}, p99 ${ms(s.p99)}, max ${ms(s.max)}, ${gcHit} samples with a GC`,
      );
    }
    console.error(`round ${round + 1}: ${names.get(key)} ${parts.join('; ')}`);
  }

const median = (xs: number[]) => percentile(xs, 50);
const base = N > 0 ? median(rates.get('graphile-worker') ?? []) : Number.NaN;
console.log(
  `\n${N} jobs, concurrency ${CONCURRENCY}; ${SAMPLES} latency samples per round (after ${WARMUP} unrecorded), ${GAP_MS} ms apart; ${ROUNDS} round(s)\n`,
);
console.log(
  "jobs/s: median of rounds. Latency: percentiles of all rounds' samples together, then the spread of the per-round p99s.\n",
);
console.log(
  '| system | jobs/s | vs graphile-worker | add→start p50 | p90 | p99 | max | p99 per round | samples with a GC |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const key of chosen) {
  const rate = median(rates.get(key) ?? []);
  const rounds = latencies.get(key) ?? [];
  const s = summary(rounds.flat());
  const perRound = rounds.map((l) => percentile(l, 99).toFixed(1)).join(', ');
  const cells = [
    names.get(key),
    Number.isNaN(rate) ? '–' : rate.toFixed(0),
    Number.isNaN(base) ? '–' : `${(rate / base).toFixed(2)}x`,
    ...QUANTILES.map((q) => (rounds.length === 0 ? '–' : ms(percentile(rounds.flat(), q)))),
    rounds.length === 0 ? '–' : ms(s.max),
    perRound === '' ? '–' : perRound,
    rounds.length === 0
      ? '–'
      : `${(((gcHits.get(key) ?? 0) / rounds.flat().length) * 100).toFixed(1)}%`,
  ];
  console.log(`| ${cells.join(' | ')} |`);
}
