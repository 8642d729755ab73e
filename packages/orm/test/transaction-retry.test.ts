/**
 * `db.transaction({ retry })` (issue #15, review follow-up): a jittered exponential pause,
 * conflicts chosen by kind, a caller's predicate, and a retry of the inner part only when the
 * transaction is nested (a savepoint). On SQLite in memory, PostgreSQL and MariaDB.
 */
import { isRwsError } from '@rws/core';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb, type Db, OrmError } from '../src/index.js';
import { retryDelayMs } from '../src/internal/transaction-retry.js';
import { runPrefix } from './run-orm-conformance.js';
import { DB_TARGETS, targetTable } from './targets.js';

describe('retry pauses', () => {
  it('are drawn from zero to a bound that doubles from delayMs up to maxDelayMs', () => {
    const retry = { attempts: 10, delayMs: 4, maxDelayMs: 50 };
    const bounds = [4, 8, 16, 32, 50, 50];
    for (const [i, bound] of bounds.entries()) {
      const pauses = Array.from({ length: 200 }, () => retryDelayMs(retry, i + 1));
      expect(Math.min(...pauses)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...pauses)).toBeLessThanOrEqual(bound);
      // Jittered: not one fixed pause that colliding transactions would share.
      expect(new Set(pauses).size).toBeGreaterThan(100);
    }
  });

  it('bad retry options are refused with the option named', async () => {
    await using db = createDb.memory();
    for (const [retry, what] of [
      [{ attempts: 0 }, /retry\.attempts must be an integer >= 1, got 0/],
      [{ attempts: 1.5 }, /retry\.attempts must be an integer >= 1, got 1.5/],
      [{ attempts: 2, delayMs: -1 }, /retry\.delayMs must be a number >= 0, got -1/],
      [{ attempts: 2, maxDelayMs: Number.NaN }, /retry\.maxDelayMs must be a number >= 0, got NaN/],
    ] as const) {
      const err = await db.transaction(async () => 1, { retry }).catch((e: unknown) => e);
      expect(isRwsError(err, 'RWS_ORM_INVALID_CONFIG')).toBe(true);
      expect((err as Error).message).toMatch(what);
    }
  });
});

for (const target of DB_TARGETS) {
  describe(`transaction retry: ${target.name}`, () => {
    const table = `${runPrefix()}_retry`;
    const t = targetTable(
      target,
      table,
      () => `create table ${table} (id integer primary key, tag varchar(40) not null unique)`,
    );
    const up = t.up;
    const insert = (on: Db, id: number, tag: string) =>
      sql`insert into ${sql.table(table)} (id, tag) values (${id}, ${tag})`.execute(on.kysely);
    const tags = async () =>
      (
        await sql<{ tag: string }>`select tag from ${sql.table(table)} order by id`.execute(
          t.db().kysely,
        )
      ).rows.map((r) => r.tag);
    const clear = () => sql`delete from ${sql.table(table)}`.execute(t.db().kysely);

    it("a caller's predicate retries its own errors; others are thrown at once", async (ctx) => {
      const db = up(ctx);
      await clear();
      await insert(db, 1, 'taken');
      const seen: number[] = [];
      const isUnique = (err: unknown, attempt: number) => {
        seen.push(attempt);
        return isRwsError(err, 'RWS_ORM_UNIQUE_VIOLATION');
      };
      let calls = 0;
      const result = await db.transaction(
        async (tx) => {
          calls++;
          await insert(tx, 10 + calls, `attempt ${calls}`);
          // The first two attempts collide with an existing row, as a racing insert would.
          if (calls < 3) await insert(tx, 20 + calls, 'taken');
          return calls;
        },
        { retry: { attempts: 5, delayMs: 1, isRetryable: isUnique } },
      );
      expect([result, seen]).toEqual([3, [1, 2]]);
      expect(await tags()).toEqual(['taken', 'attempt 3']);

      calls = 0;
      const err = await db
        .transaction(
          async () => {
            calls++;
            throw new Error('not a conflict');
          },
          { retry: { attempts: 5, delayMs: 1, isRetryable: isUnique } },
        )
        .catch((e: unknown) => e);
      expect([(err as Error).message, calls]).toEqual(['not a conflict', 1]);
    });

    it('the attempts are a bound: the last error is thrown', async (ctx) => {
      const db = up(ctx);
      await clear();
      await insert(db, 1, 'taken');
      let calls = 0;
      const err = await db
        .transaction(
          async (tx) => {
            calls++;
            await insert(tx, 2, 'taken');
          },
          { retry: { attempts: 3, delayMs: 1, isRetryable: () => true } },
        )
        .catch((e: unknown) => e);
      expect(calls).toBe(3);
      expect(isRwsError(err, 'RWS_ORM_UNIQUE_VIOLATION')).toBe(true);
      expect(await tags()).toEqual(['taken']);
    });

    it('nested, only the savepoint part runs again; the outer work stays', async (ctx) => {
      const db = up(ctx);
      await clear();
      await insert(db, 1, 'taken');
      let inner = 0;
      await db.transaction(async (tx) => {
        await insert(tx, 2, 'outer');
        await tx.transaction(
          async (sp) => {
            inner++;
            await insert(sp, 10 + inner, `inner ${inner}`);
            if (inner === 1) await insert(sp, 20, 'taken');
          },
          { retry: { attempts: 3, delayMs: 1, isRetryable: (e) => e instanceof OrmError } },
        );
      });
      expect(inner).toBe(2);
      expect(await tags()).toEqual(['taken', 'outer', 'inner 2']);
    });
  });
}
