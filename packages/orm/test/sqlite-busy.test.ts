import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRwsError } from '@rws/core';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteDialect } from '../src/dialects/sqlite.js';
import { createDb, type Db, type OrmError } from '../src/index.js';
import { runPrefix } from './run-orm-conformance.js';

const files: string[] = [];
afterAll(() => {
  for (const f of files) for (const s of ['', '-wal', '-shm']) rmSync(`${f}${s}`, { force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Two connections to one SQLite file; the second gives up on a lock after 20 ms. */
async function pair(): Promise<[Db, Db]> {
  const file = join(tmpdir(), `rws-orm-busy-${runPrefix()}.db`);
  files.push(file);
  const a = createDb({ dialect: 'sqlite', options: { filename: file } });
  const b = createDb({
    dialect: 'sqlite',
    kyselyDialect: createSqliteDialect({ filename: file, busyTimeoutMs: 20 }),
  });
  await sql`create table r (id integer primary key)`.execute(a.kysely);
  return [a, b];
}

/** Holds SQLite's write lock on `db` for `ms`. */
function holdWriteLock(db: Db, ms: number): Promise<void> {
  return db.transaction(async (tx) => {
    await sql`insert into r (id) values (1)`.execute(tx.kysely);
    await sleep(ms);
  });
}

// The conformance suite cannot make SQLite fail a transaction on demand; this does it for real
// with a second connection to the same file.
describe('sqlite file: SQLITE_BUSY is a serialization failure (issue #15)', () => {
  it('fails with RWS_ORM_SERIALIZATION_FAILURE without retry', async () => {
    const [a, b] = await pair();
    const holding = holdWriteLock(a, 150);
    await sleep(20);
    const err = await b
      .transaction(async (tx) => {
        await sql`insert into r (id) values (2)`.execute(tx.kysely);
      })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_ORM_SERIALIZATION_FAILURE')).toBe(true);
    expect((err as OrmError).conflict).toBe('busy');
    await holding;
    await a.close();
    await b.close();
  });

  it('retry re-runs the function until the lock is free', async () => {
    const [a, b] = await pair();
    const holding = holdWriteLock(a, 150);
    await sleep(20);
    let calls = 0;
    await b.transaction(
      async (tx) => {
        calls++;
        await sql`insert into r (id) values (${100 + calls})`.execute(tx.kysely);
      },
      { retry: { attempts: 20, delayMs: 10 } },
    );
    await holding;
    expect(calls).toBeGreaterThan(1);
    const rows = await sql<{ id: bigint }>`select id from r order by id`.execute(a.kysely);
    expect(rows.rows.map((r) => Number(r.id))).toEqual([1, 100 + calls]);
    await a.close();
    await b.close();
  });
});
