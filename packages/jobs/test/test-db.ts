/** The real databases of the process tests, and a Db on a fresh table of one of them. */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CreateDbOptions, createDb, type Db, sql } from '@rws/orm';
import { requireCapability } from '@rws/test-helpers';
import { onTestFinished, type TestContext } from 'vitest';

export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const POSTGRES_REQUIRES = 'PostgreSQL on 127.0.0.1:5432 (database test)';

/** [name, what it needs, options]: PostgreSQL, MariaDB, and a SQLite file named after `prefix`. */
export function dbTargets(prefix: string): ReadonlyArray<[string, string, CreateDbOptions]> {
  const file = join(tmpdir(), `rws-${prefix}-${randomBytes(4).toString('hex')}.db`);
  return [
    ['postgres', POSTGRES_REQUIRES, { dialect: 'postgres', url: POSTGRES_URL }],
    [
      'mariadb',
      'MariaDB/MySQL on 127.0.0.1:3306 (database test)',
      { dialect: 'mysql', url: 'mysql://root@127.0.0.1:3306/test' },
    ],
    ['sqlite file', 'better-sqlite3', { dialect: 'sqlite', options: { filename: file } }],
  ];
}

/**
 * Opens `options` for the running test, with a fresh table name: a database that is down skips
 * the test with the reason (fails it under CI=true). When the test ends the jobs tables are
 * dropped, the Db closed and a SQLite file removed.
 */
export async function openTestDb(
  ctx: TestContext,
  options: CreateDbOptions,
  requires: string,
  prefix: string,
): Promise<{ db: Db; table: string }> {
  const db = createDb(options);
  const table = `${prefix}_${randomBytes(4).toString('hex')}`;
  onTestFinished(async () => {
    for (const t of [table, `${table}_groups`])
      await sql
        .raw(`drop table if exists ${t}`)
        .execute(db.kysely)
        .catch(() => undefined);
    await db.close();
    const file =
      options.dialect === 'sqlite'
        ? (options.options as { filename?: string } | undefined)?.filename
        : undefined;
    if (file !== undefined && file !== ':memory:')
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  });
  let why = '';
  const isUp = await sql`select 1`.execute(db.kysely).then(
    () => true,
    (err: Error) => {
      why = err.message;
      return false;
    },
  );
  requireCapability(ctx, isUp, `${requires} (${why})`);
  return { db, table };
}
