/**
 * The statements on the add→start path (the add, the claim, the completion) run as named
 * prepared statements on PostgreSQL, so the server plans them once per connection (issue #16);
 * with the Db's `postgres.preparedStatements: 'off'` (a pooler in transaction mode) none is,
 * and jobs run the same.
 */
import { type DbPostgresOptions, sql } from '@rws/orm';
import { describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import { createQueue, createSqlStore, defineJob } from '../src/index.js';
import { openTestDb, POSTGRES_REQUIRES, POSTGRES_URL } from './test-db.js';

const until = async (what: string, isDone: () => boolean, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** Runs three jobs through a queue on a one-connection Db; returns that connection's statements. */
async function runJobs(ctx: TestContext, postgres: DbPostgresOptions | undefined) {
  const { db, table } = await openTestDb(
    ctx,
    { dialect: 'postgres', url: POSTGRES_URL, pool: { size: 1 }, postgres },
    POSTGRES_REQUIRES,
    'jobs_prep',
  );
  const queue = createQueue({ store: createSqlStore({ db, table }), name: 'p' });
  const done: number[] = [];
  const job = defineJob('j', (n: number) => {
    done.push(n);
    return n * 2;
  });
  const worker = queue.worker({ jobs: [job], concurrency: 4, pollIntervalMs: 50 });
  onTestFinished(() => worker.close());
  const ids = [];
  for (const n of [1, 2, 3]) ids.push((await queue.add(job, n)).job.id);
  await until('three jobs to run', () => done.length === 3);
  // The completions are written after the handlers return: close waits for them.
  await worker.close();
  const results = await Promise.all(ids.map((id) => queue.get(id)));
  const { rows } = await sql<{
    statement: string;
    runs: number;
  }>`select statement, (generic_plans + custom_plans)::int as runs from pg_prepared_statements`.execute(
    db.kysely,
  );
  return { results, statements: rows, table };
}

describe('PostgreSQL: prepared statements on the add→start path (issue #16)', () => {
  it('the add, the claim and the completion are prepared, each once per connection', async (ctx) => {
    const { results, statements, table } = await runJobs(ctx, undefined);
    expect(results.map((r) => [r?.state, r?.result])).toEqual([
      ['completed', 2],
      ['completed', 4],
      ['completed', 6],
    ]);
    const find = (re: RegExp) => statements.filter((s) => re.test(s.statement));
    const adds = find(new RegExp(`^with ins as \\(insert into ${table} `));
    const claims = find(/for update skip locked/);
    const completions = find(/set state = 'completed'/);
    expect(adds).toHaveLength(1);
    expect(adds[0]?.runs).toBe(3);
    expect(claims.length).toBeGreaterThanOrEqual(1);
    expect(claims.reduce((n, s) => n + s.runs, 0)).toBeGreaterThanOrEqual(3);
    expect(completions.length).toBeGreaterThanOrEqual(1);
    // Statements off the hot path (counts, reads) stay unnamed.
    expect(find(/count\(\*\)/)).toHaveLength(0);
  });

  it("with postgres.preparedStatements 'off' nothing is prepared and jobs run the same", async (ctx) => {
    const { results, statements } = await runJobs(ctx, { preparedStatements: 'off' });
    expect(results.map((r) => r?.result)).toEqual([2, 4, 6]);
    expect(statements).toEqual([]);
  });
});
