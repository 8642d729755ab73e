/**
 * How much of the PostgreSQL claim is planning, unnamed against prepared: `EXPLAIN (ANALYZE,
 * SUMMARY)` of the store's own claim statement (captured from pg as the worker sends it) run
 * `RUNS` times each way, every run in a transaction that is rolled back so each claims the same
 * job. Unnamed (as kysely sends statements), PostgreSQL plans it on every call; prepared, after
 * five custom plans it may keep a generic plan and skip planning. A diagnostic of server time,
 * not a benchmark.
 *
 *   [RUNS=50] node --conditions=@rws/source --import tsx packages/jobs/bench/claim-planning.ts
 */
import { createRequire } from 'node:module';
import { createDb, sql } from '@rws/orm';
import { createSqlStore } from '../src/index.js';

const URL = process.env['PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUNS = Number(process.env['RUNS'] ?? 50);
const table = `bench_planning_${process.pid}`;

interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  escapeLiteral(s: string): string;
  end(): Promise<void>;
}
const pg = createRequire(import.meta.url)('pg') as {
  Client: { new (o: { connectionString: string }): PgClient; prototype: PgClient };
};
// The claim's text and values as the store hands them to pg (named or not).
let claim: { text: string; values: unknown[] } | undefined;
const pgQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: PgClient, ...args: unknown[]) {
  const c = args[0] as { text?: string; values?: unknown[] } | string;
  const text = typeof c === 'string' ? c : (c.text ?? '');
  if (text.startsWith('with due as'))
    claim = { text, values: (typeof c === 'string' ? args[1] : c.values) as unknown[] };
  return (pgQuery as (...a: unknown[]) => ReturnType<PgClient['query']>).apply(this, args);
} as PgClient['query'];

const db = createDb({ dialect: 'postgres', url: URL });
const store = createSqlStore({ db, table });
await store.init?.();
const now = Date.now();
await store.add({
  id: 'j1',
  queue: 'q',
  name: 'n',
  payload: {},
  priority: 0,
  runAt: now,
  maxAttempts: 1,
  backoff: null,
  timeoutMs: null,
  now,
});
// One claim through the store, rolled back, to capture its statement.
await db
  .transaction(async (tx) => {
    await createSqlStore({ db: tx, table }).claim({
      queue: 'q',
      workerId: 'w',
      limit: 16,
      leaseMs: 30_000,
      now,
    });
    throw new Error('rollback');
  })
  .catch(() => undefined);
if (claim === undefined) throw new Error('no claim statement was captured');
const { text, values } = claim;

const client = new pg.Client({ connectionString: URL });
await client.connect();
const literal = (v: unknown) =>
  typeof v === 'number' ? String(v) : v === null ? 'null' : client.escapeLiteral(String(v));
const explain = async (stmt: string, params?: unknown[]) => {
  await client.query('begin');
  const { rows } = await client.query(
    `explain (analyze, summary, format json) ${stmt}`,
    params ?? [],
  );
  await client.query('rollback');
  const plan = (rows[0]?.['QUERY PLAN'] as Record<string, number>[] | undefined)?.[0] ?? {};
  return { planning: plan['Planning Time'] ?? NaN, execution: plan['Execution Time'] ?? NaN };
};
const series = async (run: () => Promise<{ planning: number; execution: number }>) => {
  const out = [];
  for (let i = 0; i < RUNS; i++) out.push(await run());
  return out;
};
const unnamed = await series(() => explain(text, values));
await client.query(`prepare rws_claim as ${text}`);
const prepared = await series(() =>
  explain(`execute rws_claim(${values.map(literal).join(', ')})`),
);
const plans = await client.query(
  `select generic_plans, custom_plans from pg_prepared_statements where name = 'rws_claim'`,
);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
for (const [name, xs] of [
  ['unnamed', unnamed],
  ['prepared', prepared],
] as const)
  console.log(
    `${name.padEnd(9)} planning p50 ${median(xs.map((x) => x.planning)).toFixed(3)} ms  execution p50 ${median(xs.map((x) => x.execution)).toFixed(3)} ms  (${RUNS} runs)`,
  );
console.log(`prepared claim plans: ${JSON.stringify(plans.rows[0])}`);
await client.end();
await sql.raw(`drop table if exists ${table}`).execute(db.kysely);
await sql.raw(`drop table if exists ${table}_groups`).execute(db.kysely);
await db.close();
