import { isRwsError } from '@rws/core';
import { requireCapability } from '@rws/test-helpers';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb, type Db, type OrmError, type TransactionOptions } from '../src/index.js';
import { runPrefix } from './run-orm-conformance.js';
import { MYSQL_URL, POSTGRES_URL } from './targets.js';

/**
 * Two transactions lock two rows in opposite orders, so the database must kill one of them
 * with a deadlock error (PostgreSQL 40P01 after deadlock_timeout, InnoDB 1213 at once).
 */
async function crossLocks(db: Db, table: string, options: TransactionOptions): Promise<unknown[]> {
  let arrived = 0;
  let release: () => void = () => {};
  const bothHoldOne = new Promise<void>((r) => {
    release = r;
  });
  const run = (first: number, second: number) => {
    let attempt = 0;
    return db.transaction(async (tx) => {
      attempt++;
      await sql`update ${sql.table(table)} set n = n + 1 where id = ${first}`.execute(tx.kysely);
      if (attempt === 1) {
        if (++arrived === 2) release();
        await bothHoldOne;
      }
      await sql`update ${sql.table(table)} set n = n + 1 where id = ${second}`.execute(tx.kysely);
    }, options);
  };
  return Promise.allSettled([run(1, 2), run(2, 1)]).then((r) =>
    r.map((x) => (x.status === 'rejected' ? x.reason : 'ok')),
  );
}

const TARGETS = [
  { name: 'postgres', url: POSTGRES_URL, dialect: 'postgres' as const },
  { name: 'mariadb', url: MYSQL_URL, dialect: 'mysql' as const },
];

describe.each(TARGETS)('$name: a real deadlock (issue #15)', ({ url, dialect }) => {
  async function open(ctx: Parameters<typeof requireCapability>[0]) {
    const db = createDb({ dialect, url, pool: { size: 4 } });
    const isUp = await sql`select 1`.execute(db.kysely).then(
      () => true,
      () => false,
    );
    if (!isUp) await db.close();
    requireCapability(ctx, isUp, `${dialect} at ${url}`);
    const table = `${runPrefix()}_dl`;
    await sql
      .raw(`create table ${table} (id integer primary key, n integer not null)`)
      .execute(db.kysely);
    await sql.raw(`insert into ${table} (id, n) values (1, 0), (2, 0)`).execute(db.kysely);
    return { db, table };
  }

  it('without retry one side fails with RWS_ORM_SERIALIZATION_FAILURE', async (ctx) => {
    const { db, table } = await open(ctx);
    try {
      const results = await crossLocks(db, table, {});
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.some((r) => isRwsError(r, 'RWS_ORM_SERIALIZATION_FAILURE'))).toBe(true);
      expect(results.filter((r) => r !== 'ok').map((r) => (r as OrmError).conflict)).toEqual([
        'deadlock',
      ]);
    } finally {
      await sql.raw(`drop table ${table}`).execute(db.kysely);
      await db.close();
    }
  });

  it('with retry both transactions commit', async (ctx) => {
    const { db, table } = await open(ctx);
    try {
      // The loser's retry must come after the winner took the row the loser released, or the
      // two deadlock again: a 5 ms pause did not last on a loaded CI machine (the winner's
      // backend was not scheduled in time, three times in a row). Pauses up to 200·2^n ms
      // (full jitter) leave it time; a retry that never happens still fails the test.
      expect(await crossLocks(db, table, { retry: { attempts: 5, delayMs: 200 } })).toEqual([
        'ok',
        'ok',
      ]);
      const rows = await sql<{ n: number }>`select n from ${sql.table(table)} order by id`.execute(
        db.kysely,
      );
      expect(rows.rows.map((r) => Number(r.n))).toEqual([2, 2]);
    } finally {
      await sql.raw(`drop table ${table}`).execute(db.kysely);
      await db.close();
    }
  });

  it('retryOn without deadlock leaves a deadlock to the caller', async (ctx) => {
    const { db, table } = await open(ctx);
    try {
      const results = await crossLocks(db, table, {
        retry: { attempts: 3, delayMs: 5, retryOn: ['serialization', 'lock-timeout'] },
      });
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r !== 'ok').map((r) => (r as OrmError).conflict)).toEqual([
        'deadlock',
      ]);
    } finally {
      await sql.raw(`drop table ${table}`).execute(db.kysely);
      await db.close();
    }
  });
});
