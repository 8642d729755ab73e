/**
 * Bytes allocated per job on the add→start path, @rws/jobs against graphile-worker, on
 * PostgreSQL with LISTEN/NOTIFY: jobs added one at a time into an idle worker (16 slots), as
 * `pnpm bench jobs` measures latency, with V8's sampling heap profiler counting objects that
 * were collected too. Allocation decides how often garbage collection pauses the worker, and
 * unlike times it barely moves on a loaded machine. Prints the total per job and the frames
 * that allocated most.
 *
 *   [N=2000] node --conditions=@rws/source --import tsx packages/jobs/bench/allocations.ts [rws|graphile-worker]
 */
import { createDb, sql } from '@rws/orm';
import { Logger, makeWorkerUtils, run as runGraphile } from 'graphile-worker';
import { measureAllocations } from '../../../tooling/bench/src/profile/sample-allocations.js';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';

const URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = Number(process.env['N'] ?? 2000);
const WARMUP = 200;
const system = process.argv[2] ?? 'rws';

let onRun = () => {};
let addOne: () => Promise<unknown>;
let stop: () => Promise<void>;
if (system === 'rws') {
  const db = createDb({ dialect: 'postgres', url: URL });
  const table = `bench_alloc_${process.pid}`;
  const queue = createQueue({ store: createSqlStore({ db, table, listenUrl: URL }), name: 'a' });
  const job = defineJob('a', () => onRun());
  await queue.counts();
  queue.worker({ jobs: [job], concurrency: 16, pollIntervalMs: 1000 });
  addOne = () => queue.add(job, {});
  stop = async () => {
    await queue.close();
    for (const t of [table, `${table}_groups`])
      await sql.raw(`drop table if exists ${t}`).execute(db.kysely);
    await db.close();
  };
} else if (system === 'graphile-worker') {
  const schema = `bench_alloc_gw_${process.pid}`;
  const logger = new Logger(() => () => {});
  const utils = await makeWorkerUtils({ connectionString: URL, schema, logger });
  await utils.migrate();
  const runner = await runGraphile({
    connectionString: URL,
    schema,
    logger,
    concurrency: 16,
    pollInterval: 1000,
    noHandleSignals: true,
    taskList: { a: async () => onRun() },
  });
  addOne = () => utils.addJob('a', {});
  stop = async () => {
    await runner.stop();
    await utils.release();
    const db = createDb({ dialect: 'postgres', url: URL });
    await sql.raw(`drop schema if exists ${schema} cascade`).execute(db.kysely);
    await db.close();
  };
} else throw new Error(`unknown system ${system} (rws or graphile-worker)`);

const addAndStart = async () => {
  const started = new Promise<void>((r) => {
    onRun = r;
  });
  await addOne();
  await started;
};
await new Promise((r) => setTimeout(r, 500));
for (let i = 0; i < WARMUP; i++) await addAndStart();

const report = await measureAllocations(addAndStart, {
  count: N,
  unit: 'job',
  samplingInterval: 512,
});
await stop();
console.log(`${system}: ${report}`);
