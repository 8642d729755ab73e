import { isRwsError } from '@rws/core';
import { requireCapability } from '@rws/test-helpers';
import { type RawBuilder, sql } from 'kysely';
import { describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import { createDb, type Db, type DbPostgresOptions, prepared } from '../src/index.js';
import { runPrefix } from './run-orm-conformance.js';
import { POSTGRES_URL } from './targets.js';

/** A Db of one connection, so every statement (and pg_prepared_statements) is on the same one. */
async function open(ctx: TestContext, postgres?: DbPostgresOptions): Promise<Db> {
  const db = createDb({ dialect: 'postgres', url: POSTGRES_URL, pool: { size: 1 }, postgres });
  const isUp = await sql`select 1`.execute(db.kysely).then(
    () => true,
    () => false,
  );
  if (!isUp) await db.close();
  requireCapability(ctx, isUp, `PostgreSQL at ${POSTGRES_URL}`);
  onTestFinished(() => db.close());
  return db;
}

async function makeTable(db: Db): Promise<string> {
  const table = `${runPrefix()}_ps`;
  await sql`create table ${sql.table(table)} (id int primary key, label text)`.execute(db.kysely);
  await sql`insert into ${sql.table(table)} values (1, 'one'), (2, 'two'), (3, 'three')`.execute(
    db.kysely,
  );
  onTestFinished(async () => {
    const cleanup = createDb({ dialect: 'postgres', url: POSTGRES_URL, pool: { size: 1 } });
    await sql`drop table if exists ${sql.table(table)}`.execute(cleanup.kysely);
    await cleanup.close();
  });
  return table;
}

const runMarked = <R>(db: Db, q: RawBuilder<R>) =>
  db.kysely.executeQuery(prepared(q.compile(db.kysely)));

/** The named statements of the Db's (only) connection: text → name. */
async function preparedOnConnection(db: Db): Promise<Map<string, string>> {
  const { rows } = await sql<{
    name: string;
    statement: string;
  }>`select name, statement from pg_prepared_statements where name like 'rws\\_%'`.execute(
    db.kysely,
  );
  return new Map(rows.map((r) => [r.statement, r.name]));
}

const byId = (table: string, id: number) =>
  sql<{ id: number; label: string }>`select id, label from ${sql.table(table)} where id = ${id}`;

describe('postgres: named prepared statements (issue #16)', () => {
  it("'marked' (the default) prepares marked statements only, with the same results", async (ctx) => {
    const db = await open(ctx);
    const table = await makeTable(db);
    const plain = await byId(table, 2).execute(db.kysely);
    const first = await runMarked(db, byId(table, 2));
    const again = await runMarked(db, byId(table, 3));
    expect(first.rows).toEqual(plain.rows);
    expect(again.rows).toEqual([{ id: 3, label: 'three' }]);
    const text = byId(table, 0).compile(db.kysely).sql;
    const names = await preparedOnConnection(db);
    expect([...names.keys()]).toEqual([text]);
    expect(names.get(text)).toMatch(/^rws_\d+_\d+$/);
    // One statement, run twice under its name: the second run was not parsed again.
    const { rows } = await sql<{
      n: number;
    }>`select (generic_plans + custom_plans)::int as n from pg_prepared_statements where name = ${names.get(text)}`.execute(
      db.kysely,
    );
    expect(rows[0]?.n).toBe(2);
  });

  it("'all' prepares every statement with parameters; 'off' none, marked or not", async (ctx) => {
    const all = await open(ctx, { preparedStatements: 'all' });
    const table = await makeTable(all);
    await byId(table, 1).execute(all.kysely);
    await sql`select count(*) from ${sql.table(table)}`.execute(all.kysely);
    expect([...(await preparedOnConnection(all)).keys()]).toEqual([
      byId(table, 0).compile(all.kysely).sql,
    ]);
    const off = await open(ctx, { preparedStatements: 'off' });
    expect((await runMarked(off, byId(table, 1))).rows).toEqual([{ id: 1, label: 'one' }]);
    expect((await preparedOnConnection(off)).size).toBe(0);
  });

  it('keeps at most maxPreparedStatements per connection, deallocating the least recent', async (ctx) => {
    const db = await open(ctx, { maxPreparedStatements: 2 });
    const table = await makeTable(db);
    const shapes = [1, 2, 3, 4].map(
      (k) => sql`select id, ${sql.lit(k)}::int as k from ${sql.table(table)} where id = ${k % 3}`,
    );
    const texts = shapes.map((q) => q.compile(db.kysely).sql);
    await runMarked(db, shapes[0] as RawBuilder<unknown>);
    await runMarked(db, shapes[1] as RawBuilder<unknown>);
    await runMarked(db, shapes[0] as RawBuilder<unknown>); // 0 is now the most recent
    await runMarked(db, shapes[2] as RawBuilder<unknown>); // evicts 1
    expect(new Set((await preparedOnConnection(db)).keys())).toEqual(new Set([texts[0], texts[2]]));
    // An evicted statement is prepared again under a new name and still answers right.
    const before = await preparedOnConnection(db);
    const r = await runMarked(db, shapes[1] as RawBuilder<unknown>);
    expect(r.rows).toEqual([{ id: 2, k: 2 }]);
    const after = await preparedOnConnection(db);
    expect(new Set(after.keys())).toEqual(new Set([texts[2], texts[1]]));
    expect([...before.values()]).not.toContain(after.get(texts[1] as string));
  });

  it('an eviction inside a transaction leaves the transaction working', async (ctx) => {
    const db = await open(ctx, { maxPreparedStatements: 1 });
    const table = await makeTable(db);
    const result = await db.transaction(async (tx) => {
      await runMarked(tx, sql`update ${sql.table(table)} set label = 'x' where id = ${1}`);
      await runMarked(tx, byId(table, 1)); // evicts the update
      return (
        await runMarked(
          tx,
          sql`select count(*)::int as n from ${sql.table(table)} where label = ${'x'}`,
        )
      ).rows;
    });
    expect(result).toEqual([{ n: 1 }]);
    expect((await byId(table, 1).execute(db.kysely)).rows).toEqual([{ id: 1, label: 'x' }]);
  });

  it('a replaced connection prepares its statements anew', async (ctx) => {
    const db = await open(ctx);
    const table = await makeTable(db);
    await runMarked(db, byId(table, 1));
    const pid = async () =>
      (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db.kysely)).rows[0]?.pid;
    const first = await pid();
    const admin = createDb({ dialect: 'postgres', url: POSTGRES_URL, pool: { size: 1 } });
    onTestFinished(() => admin.close());
    await sql`select pg_terminate_backend(${first})`.execute(admin.kysely);
    // The pool drops the dead client (at once when idle, or after one failed statement).
    let rows: unknown[] = [];
    for (let i = 0; i < 20 && rows.length === 0; i++) {
      rows = await runMarked(db, byId(table, 1)).then(
        (r) => r.rows,
        () => [],
      );
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(rows).toEqual([{ id: 1, label: 'one' }]);
    expect(await pid()).not.toBe(first);
    expect([...(await preparedOnConnection(db)).keys()]).toEqual([
      byId(table, 0).compile(db.kysely).sql,
    ]);
  });

  it('a statement gone from the server fails with a clear error once, then is prepared again', async (ctx) => {
    const db = await open(ctx);
    const table = await makeTable(db);
    await runMarked(db, byId(table, 1));
    // What a pooler in transaction mode does: the next server connection lacks the statement.
    await sql`deallocate all`.execute(db.kysely);
    const err = await runMarked(db, byId(table, 1)).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_ORM_PREPARED_STATEMENT_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/does not exist.*preparedStatements to 'off'/);
    expect((await runMarked(db, byId(table, 1))).rows).toEqual([{ id: 1, label: 'one' }]);
  });

  it('a statement whose result columns changed fails once, then is prepared again', async (ctx) => {
    const db = await open(ctx);
    const table = await makeTable(db);
    const all = sql`select * from ${sql.table(table)} where id = ${1}`;
    await runMarked(db, all);
    await sql`alter table ${sql.table(table)} add column extra int default 7`.execute(db.kysely);
    const err = await runMarked(db, all).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_ORM_PREPARED_STATEMENT_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/cached plan/);
    expect((await runMarked(db, all)).rows).toEqual([{ id: 1, label: 'one', extra: 7 }]);
  });

  it('rejects bad options naming them', () => {
    const make = (postgres: unknown) => () =>
      createDb({ dialect: 'postgres', url: POSTGRES_URL, postgres: postgres as DbPostgresOptions });
    expect(make({ preparedStatements: true })).toThrow(
      /postgres\.preparedStatements must be 'off', 'marked' or 'all', got true/,
    );
    expect(make({ maxPreparedStatements: 0 })).toThrow(
      /postgres\.maxPreparedStatements must be an integer ≥ 1, got 0/,
    );
    expect(make({ maxPreparedStatements: 1.5 })).toThrow(/RWS_ORM|maxPreparedStatements/);
  });
});
