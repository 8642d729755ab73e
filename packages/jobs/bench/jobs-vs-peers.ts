/**
 * `pnpm bench jobs`: @rws/jobs against graphile-worker and pg-boss on one PostgreSQL database,
 * in one run. Two numbers per system:
 * - jobs/s: N no-op jobs enqueued in bulk (not timed), then a worker with `--concurrency`
 *   slots starts; the time until its handler has run N times;
 * - add→start latency: with the worker idle, one job added at a time; the time from the add
 *   call to the handler starting (p50 and p99 over `--samples`).
 * Every system uses LISTEN/NOTIFY and its own schema or table, dropped first. pg-boss fetches
 * batches of concurrency/2 jobs in two local slots, back to back while batches come back full
 * (one job per fetch waits a poll interval per job).
 *
 * Flags: --url (default postgres://postgres@127.0.0.1:5432/test), --jobs 20000,
 * --samples 200, --concurrency 16, --rounds 1 (the systems run interleaved per round),
 * --only rws,graphile-worker,pg-boss.
 */
import { parseArgs } from 'node:util';
import { createDb, sql } from '@rws/orm';
import { Logger, makeWorkerUtils, run as runGraphile } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    jobs: { type: 'string', default: '20000' },
    samples: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string' },
  },
});
const url = values.url;
const N = Number(values.jobs);
const SAMPLES = Number(values.samples);
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

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

async function measure(make: () => System) {
  const system = make();
  await system.setup();
  await system.enqueueBulk(N);
  let ran = 0;
  let wake: (() => void) | undefined;
  let target = N;
  const t0 = performance.now();
  const allRan = new Promise<void>((resolve) => {
    wake = resolve;
  });
  await system.startWorker(() => {
    ran++;
    if (ran === target) wake?.();
  });
  await allRan;
  const jobsPerSec = N / ((performance.now() - t0) / 1000);
  // Let the last completions settle so the worker is idle.
  await new Promise((r) => setTimeout(r, 500));
  const latencies: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    target = ran + 1;
    const started = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const a = performance.now();
    await system.addOne();
    await started;
    latencies.push(performance.now() - a);
  }
  await system.stop();
  return {
    name: system.name,
    jobsPerSec,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

const chosen = values.only === undefined ? Object.keys(SYSTEMS) : values.only.split(',');
for (const c of chosen) if (SYSTEMS[c] === undefined) throw new Error(`unknown system ${c}`);
const results = new Map<string, Array<Awaited<ReturnType<typeof measure>>>>();
for (let round = 0; round < ROUNDS; round++)
  for (const key of chosen) {
    const r = await measure(SYSTEMS[key] as () => System);
    results.set(key, [...(results.get(key) ?? []), r]);
    console.error(
      `round ${round + 1}: ${r.name} ${r.jobsPerSec.toFixed(0)} jobs/s, p50 ${r.p50.toFixed(1)} ms`,
    );
  }

const median = (xs: number[]) => percentile(xs, 50);
const rows = chosen.map((key) => {
  const rs = results.get(key) ?? [];
  return {
    name: rs[0]?.name ?? key,
    jobsPerSec: median(rs.map((r) => r.jobsPerSec)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
  };
});
const base = rows.find((r) => r.name === 'graphile-worker')?.jobsPerSec;
console.log(
  `\n${N} jobs, concurrency ${CONCURRENCY}, ${SAMPLES} latency samples, ${ROUNDS} round(s), median of rounds\n`,
);
console.log('| system | jobs/s | vs graphile-worker | add→start p50 | add→start p99 |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.jobsPerSec.toFixed(0)} | ${base === undefined ? '–' : `${(r.jobsPerSec / base).toFixed(2)}x`} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms |`,
  );
