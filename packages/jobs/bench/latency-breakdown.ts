/**
 * Where add→start latency goes on PostgreSQL with LISTEN/NOTIFY: for each of `SAMPLES` jobs
 * added one at a time into an idle worker, the time from the add call to (a) the NOTIFY reaching
 * a second listener, (b) add() returning, (c) the handler starting; and the statements add() and
 * the worker's wake-up ran. A diagnostic, not a benchmark (`pnpm bench jobs` is the benchmark):
 * on a loaded machine only the order and the statement counts mean anything.
 *
 *   [PAUSE=0] [SAMPLES=200] node --conditions=@rws/source --import tsx packages/jobs/bench/latency-breakdown.ts
 */
import { createDb, sql } from '@rws/orm';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';

const URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SAMPLES = Number(process.env['SAMPLES'] ?? 200);
const PAUSE = Number(process.env['PAUSE'] ?? 20);
const table = `bench_latency_${process.pid}`;

const t = {
  notify: [] as number[],
  added: [] as number[],
  claimBegan: [] as number[],
  claimEnded: [] as number[],
  started: [] as number[],
};

const db = createDb({ dialect: 'postgres', url: URL });
let statements: string[] = [];
const counted = db.kysely.withPlugin({
  transformQuery: (args) => {
    statements.push(args.node.kind);
    return args.node;
  },
  transformResult: async (args) => args.result,
});
// The store runs its SQL on db.kysely; count its statements through a Db whose kysely counts.
const countingDb = { ...db, kysely: counted } as typeof db;
const store = createSqlStore({ db: countingDb, table, listenUrl: URL });
// The worker's claims, timed from the add call: when the claim that took the job began and ended.
let sampleStart = 0;
const claim = store.claim.bind(store);
store.claim = async (o) => {
  const began = performance.now() - sampleStart;
  const jobs = await claim(o);
  if (jobs.length > 0) {
    t.claimBegan.push(began);
    t.claimEnded.push(performance.now() - sampleStart);
  }
  return jobs;
};
const queue = createQueue({ store, name: 'latency' });
let onRun = () => {};
const job = defineJob('latency', () => onRun());
await queue.counts();
const observer = createSqlStore({ db, table, listenUrl: URL });
let onNotify = () => {};
const stopObserving = await observer.subscribe?.('latency', () => onNotify());
queue.worker({ jobs: [job], pollIntervalMs: 1000 });
await new Promise((r) => setTimeout(r, 300));

const addStatements: number[] = [];
const wakeStatements: number[] = [];
for (let i = 0; i < SAMPLES; i++) {
  const a = performance.now();
  sampleStart = a;
  const notified = new Promise<void>((r) => {
    onNotify = () => {
      t.notify.push(performance.now() - a);
      r();
    };
  });
  const started = new Promise<void>((r) => {
    onRun = () => {
      t.started.push(performance.now() - a);
      r();
    };
  });
  statements = [];
  await queue.add(job, {});
  t.added.push(performance.now() - a);
  addStatements.push(statements.length);
  statements = [];
  await Promise.all([notified, started]);
  // PAUSE=0 adds the next job as soon as this one started, as `pnpm bench jobs` does; the
  // default lets the completion and the idle worker's next claim finish first.
  await new Promise((r) => setTimeout(r, PAUSE));
  wakeStatements.push(statements.length);
}
const p = (xs: number[], q: number) =>
  [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
for (const [k, xs] of Object.entries(t))
  console.log(`${k.padEnd(8)} p50 ${p(xs, 0.5).toFixed(2)} ms  p99 ${p(xs, 0.99).toFixed(2)} ms`);
console.log(
  `statements per add: ${p(addStatements, 0.5)}; from the add's return to idle again: ${p(wakeStatements, 0.5)} (median)`,
);
await stopObserving?.();
await queue.close();
await sql.raw(`drop table if exists ${table}`).execute(db.kysely);
await sql.raw(`drop table if exists ${table}_groups`).execute(db.kysely);
await db.close();
