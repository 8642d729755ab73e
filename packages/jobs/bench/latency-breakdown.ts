/**
 * Where add→start latency goes on PostgreSQL with LISTEN/NOTIFY: for each of `SAMPLES` jobs
 * added one at a time into an idle worker, the time from the add call to (a) the NOTIFY reaching
 * a second listener, (b) add() returning, (c) the worker's claim that took the job beginning
 * and ending, (d) the handler starting, and (e) when the worker's previous next-run-time query,
 * if one was still running as the job was added, ended (nextRunAtEnded: its sample count is
 * how many adds found one running); and the statements add() and the worker's wake-up ran.
 * The slowest 1% of samples are listed with each stage's time, and whether the worker's
 * completion of the previous job was still being written when the add was sent (and when it
 * ended). A diagnostic, not a benchmark (`pnpm bench jobs` is the benchmark):
 * on a loaded machine only the order and the statement counts mean anything.
 *
 * PREPARED=off runs the store's statements unnamed (the Db's `postgres.preparedStatements`), to
 * compare with the default, where the add, the claim and the completion are named prepared
 * statements.
 *
 *   [PAUSE=0] [SAMPLES=200] [CONCURRENCY=16] [PREPARED=off] node --conditions=@rws/source --import tsx packages/jobs/bench/latency-breakdown.ts
 */
import { createRequire } from 'node:module';
import { createDb, sql } from '@rws/orm';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';

const URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const SAMPLES = Number(process.env['SAMPLES'] ?? 200);
const PAUSE = Number(process.env['PAUSE'] ?? 20);
const CONCURRENCY = Number(process.env['CONCURRENCY'] ?? 16);
const table = `bench_latency_${process.pid}`;

const t = {
  notify: [] as number[],
  added: [] as number[],
  claimBegan: [] as number[],
  nextRunAtEnded: [] as number[],
  claimSent: [] as number[],
  claimAnswered: [] as number[],
  claimEnded: [] as number[],
  started: [] as number[],
};

const PREPARED = process.env['PREPARED'] === 'off' ? 'off' : 'marked';
const db = createDb({
  dialect: 'postgres',
  url: URL,
  postgres: { preparedStatements: PREPARED },
});
// The statements pg was handed (counted at pg: the store runs its SQL past kysely's plugins).
let statements: string[] = [];
const store = createSqlStore({ db, table, listenUrl: URL });
// The worker's claims, timed from the add call: when the claim that took the job began and ended.
let sampleStart = 0;
// pg's Client.query, timed for the claim statement: when pg was handed it, and when its answer
// came back (the rest of the claim is the store's own work before and after).
let claimQuery: { sent: number; answered: number } | undefined;
let namedClaims = 0;
const pg = createRequire(import.meta.url)('pg') as {
  Client: { prototype: { query(...args: unknown[]): unknown } };
};
const pgQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
  // A named statement comes as a query config ({ name, text, values }).
  const config = args[0] as { name?: string; text?: string } | string;
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  const result = pgQuery.apply(this, args);
  statements.push(text);
  if (text.startsWith('with due as') && result instanceof Promise) {
    if (typeof config !== 'string' && config.name !== undefined) namedClaims++;
    const timing = { sent: performance.now() - sampleStart, answered: 0 };
    claimQuery = timing;
    void result.then(
      () => {
        timing.answered = performance.now() - sampleStart;
      },
      () => {},
    );
  }
  return result;
};
const claim = store.claim.bind(store);
let claims = 0;
store.claim = async (o) => {
  claims++;
  const began = performance.now() - sampleStart;
  const jobs = await claim(o);
  if (jobs.length > 0) {
    t.claimBegan.push(began);
    if (claimQuery !== undefined) {
      t.claimSent.push(claimQuery.sent);
      t.claimAnswered.push(claimQuery.answered);
    }
    t.claimEnded.push(performance.now() - sampleStart);
  }
  return jobs;
};
// The worker's next-run-time query after a claim: whether one was still running when this
// sample's job was added (a claim for the new job could not start before it ended).
let nextRunAtInFlight: Promise<unknown> | undefined;
const nextRunAt = store.nextRunAt.bind(store);
store.nextRunAt = (q, o) => {
  const p = nextRunAt(q, o);
  nextRunAtInFlight = p;
  const clear = () => {
    if (nextRunAtInFlight === p) nextRunAtInFlight = undefined;
  };
  p.then(clear, clear);
  return p;
};
// The worker's completion of the previous job (a synchronous commit): whether one was still
// being written when this sample's add was sent (both commits then wait for WAL flushes).
let completionInFlight: Promise<unknown> | undefined;
const trackCompletion = <T>(p: Promise<T>): Promise<T> => {
  completionInFlight = p;
  const clear = () => {
    if (completionInFlight === p) completionInFlight = undefined;
  };
  p.then(clear, clear);
  return p;
};
const completeMany = store.completeMany?.bind(store);
if (completeMany !== undefined)
  store.completeMany = (items, w, o) => trackCompletion(Promise.resolve(completeMany(items, w, o)));
const queue = createQueue({ store, name: 'latency' });
let onRun = () => {};
const job = defineJob('latency', () => onRun());
await queue.counts();
const observer = createSqlStore({ db, table, listenUrl: URL });
let onNotify = () => {};
const stopObserving = await observer.subscribe?.('latency', () => onNotify());
// As `pnpm bench jobs` runs it: 16 slots, so a job's completion never frees a slot the worker
// lacked (with 1 slot, each completion would wake the worker for one more claim).
queue.worker({ jobs: [job], pollIntervalMs: 1000, concurrency: CONCURRENCY });
await new Promise((r) => setTimeout(r, 300));

const addStatements: number[] = [];
const claimsPerJob: number[] = [];
const wakeStatements: number[] = [];
/** Per sample: when the completion in flight at the add ended (NaN: none was in flight). */
const completionEnded: number[] = [];
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
  claims = 0;
  const inFlight = nextRunAtInFlight;
  if (inFlight !== undefined)
    void inFlight.finally(() => t.nextRunAtEnded.push(performance.now() - a)).catch(() => {});
  const completing = completionInFlight;
  completionEnded.push(NaN);
  if (completing !== undefined)
    void completing.finally(() => {
      completionEnded[i] = performance.now() - a;
    });
  await queue.add(job, {});
  t.added.push(performance.now() - a);
  addStatements.push(statements.length);
  statements = [];
  await Promise.all([notified, started]);
  // PAUSE=0 adds the next job as soon as this one started, as `pnpm bench jobs` does; the
  // default lets the completion and the idle worker's next claim finish first.
  await new Promise((r) => setTimeout(r, PAUSE));
  wakeStatements.push(statements.length);
  claimsPerJob.push(claims);
}
const p = (xs: number[], q: number) =>
  [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
for (const [k, xs] of Object.entries(t))
  console.log(
    `${k.padEnd(14)} p50 ${p(xs, 0.5).toFixed(2)} ms  p99 ${p(xs, 0.99).toFixed(2)} ms  (${xs.length} samples)`,
  );
// Per-sample stage durations (each sample's own differences, then their percentiles).
const path = [
  'added',
  'claimBegan',
  'claimSent',
  'claimAnswered',
  'claimEnded',
  'started',
] as const;
if (path.every((k) => t[k].length === SAMPLES))
  for (let i = 1; i < path.length; i++) {
    const from = path[i - 1] as (typeof path)[number];
    const to = path[i] as (typeof path)[number];
    const d = t[to].map((v, j) => v - (t[from][j] as number));
    console.log(
      `${`${from} → ${to}`.padEnd(28)} p50 ${p(d, 0.5).toFixed(2)} ms  p90 ${p(d, 0.9).toFixed(2)} ms`,
    );
  }
// The slowest samples, each stage as a timestamp from the add call (ms), and what overlapped.
if (path.every((k) => t[k].length === SAMPLES)) {
  const order = t.started.map((v, i) => [v, i] as const).sort((x, y) => y[0] - x[0]);
  const slow = order.slice(0, Math.max(3, Math.ceil(SAMPLES / 100)));
  console.log(`slowest ${slow.length} samples (ms from the add call):`);
  for (const [, i] of slow)
    console.log(
      `  ${([...path, 'notify'] as const).map((k) => `${k} ${(t[k][i] as number).toFixed(2)}`).join('  ')}  completionInFlightEnded ${completionEnded[i]?.toFixed(2)}`,
    );
  const share = (idx: readonly number[]) =>
    idx.filter((i) => !Number.isNaN(completionEnded[i] as number)).length / idx.length;
  console.log(
    `adds sent while a completion was being written: ${(100 * share(order.map(([, i]) => i))).toFixed(0)}% of all samples, ${(100 * share(slow.map(([, i]) => i))).toFixed(0)}% of the slowest`,
  );
}
console.log(
  `claims per job (from its add to the next add): p50 ${p(claimsPerJob, 0.5)}, p90 ${p(claimsPerJob, 0.9)}, total ${claimsPerJob.reduce((x, y) => x + y, 0)} for ${SAMPLES} jobs`,
);
console.log(`claims sent as named prepared statements: ${namedClaims} (PREPARED=${PREPARED})`);
console.log(
  `statements per add: ${p(addStatements, 0.5)}; from the add's return to idle again: ${p(wakeStatements, 0.5)} (median)`,
);
await stopObserving?.();
await queue.close();
await sql.raw(`drop table if exists ${table}`).execute(db.kysely);
await sql.raw(`drop table if exists ${table}_groups`).execute(db.kysely);
await db.close();
