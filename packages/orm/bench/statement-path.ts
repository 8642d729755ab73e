/**
 * The client-side cost of ONE precompiled statement through a Db on PostgreSQL (issue #16):
 * `db.kysely.withoutPlugins().executeQuery(prepared(q))`, the path every hot @rws/jobs statement takes
 * (kysely's executor, @rws/orm's driver wrapper, its named-statement pool wrapper, pg). Not a
 * benchmark: it counts what a loaded machine does not disturb.
 *
 *   node --conditions=@rws/source --import tsx packages/orm/bench/statement-path.ts
 *     MODE=alloc (default): V8's sampling heap profiler, collected objects included, over N
 *       statements (default 5000): bytes allocated per statement and the frames that did it.
 *     MODE=callgrind: run under `valgrind --tool=callgrind --instr-atstart=no` with
 *       `node --single-threaded`; after the warm-up the script writes READY_FILE and waits for
 *       GO_FILE (the caller switches instrumentation on with `callgrind_control -i on` in
 *       between), runs N statements, writes DONE_FILE and waits for END_FILE. See
 *       bench/statement-path-callgrind.sh, which prints instructions per statement.
 *     NAMED=0: unmarked statements (unnamed, as kysely sends them), instead of prepared().
 */
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { measureAllocations } from '../../../tooling/bench/src/profile/sample-allocations.js';
import { createDb, prepared } from '../src/index.js';

const URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const N = Number(process.env['N'] ?? 5000);
const WARMUP = Number(process.env['WARMUP'] ?? 3000);
const MODE = process.env['MODE'] ?? 'alloc';
const isNamed = process.env['NAMED'] !== '0';

const db = createDb({ dialect: 'postgres', url: URL, pool: { size: 1 } });
const table = `bench_stmt_${process.pid}`;
await sql
  .raw(`create table ${table} (id bigint primary key, n int not null, name text)`)
  .execute(db.kysely);
await sql.raw(`insert into ${table} values (1, 0, 'a')`).execute(db.kysely);
// One row back with three columns, like the jobs claim's smallest answer.
const compiled =
  sql`update ${sql.raw(table)} set n = n + 1 where id = ${1} returning id, n, name`.compile(
    db.kysely,
  );
const query = isNamed ? prepared(compiled) : compiled;
// Without the Db's CamelCasePlugin, as @rws/jobs runs its statements.
const plain = db.kysely.withoutPlugins();
const one = () => plain.executeQuery(query);

const waitFor = async (file: string) => {
  while (!existsSync(file)) await sleep(20);
};

try {
  for (let i = 0; i < WARMUP; i++) await one();
  if (MODE === 'callgrind') {
    // A full collection now, so that the measured window is less likely to hold a major GC
    // (whose cost depends on the whole heap, not on the statements measured).
    (globalThis as { gc?: () => void }).gc?.();
    writeFileSync(process.env['READY_FILE'] ?? '/tmp/stmt-ready', '');
    await waitFor(process.env['GO_FILE'] ?? '/tmp/stmt-go');
    for (let i = 0; i < N; i++) await one();
    writeFileSync(process.env['DONE_FILE'] ?? '/tmp/stmt-done', '');
    await waitFor(process.env['END_FILE'] ?? '/tmp/stmt-end');
  } else {
    const report = await measureAllocations(one, { count: N, unit: 'statement', top: 25 });
    console.log(`${isNamed ? 'named' : 'unnamed'}: ${report}`);
  }
} finally {
  await sql.raw(`drop table if exists ${table}`).execute(db.kysely);
  await db.close();
}
