import { requireCapability } from '@rws/test-helpers';
import { sql } from 'kysely';
import { afterAll, beforeAll, type TestContext } from 'vitest';
import { createDb, type Db, type Model, Repository } from '../src/index.js';

/** The real databases the tests use (see the issue: trust auth on 127.0.0.1). */
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

/** Runs `select 1` on `db`: undefined when the database answers, else the reason it does not. */
export async function whyDown(db: Db): Promise<string | undefined> {
  try {
    await sql`select 1`.execute(db.kysely);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * A repository of `model` on `db`'s kysely with a plugin that counts the statements it builds
 * (a Repository on the caller's kysely builds every statement through it).
 */
export function countingRepository<M extends Model>(
  db: Db,
  model: M,
): { repo: Repository<M>; statements: () => number } {
  let statements = 0;
  const counted = db.kysely.withPlugin({
    transformQuery: (args) => {
      statements++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  const repo = new Repository(model, {
    kysely: counted,
    dialect: db.dialect,
    secret: new Uint8Array(32),
  });
  return { repo, statements: () => statements };
}

/** SQLite in memory, PostgreSQL and MariaDB: a Db of each, with what it needs to run. */
export const DB_TARGETS: ReadonlyArray<{
  readonly name: string;
  readonly requires: string;
  readonly create: () => Db;
}> = [
  { name: 'sqlite memory', requires: 'better-sqlite3', create: () => createDb.memory() },
  {
    name: 'postgres',
    requires: 'PostgreSQL on 127.0.0.1:5432 (database test)',
    create: () => createDb({ dialect: 'postgres', url: POSTGRES_URL }),
  },
  {
    name: 'mariadb',
    requires: 'MariaDB/MySQL on 127.0.0.1:3306 (database test)',
    create: () => createDb({ dialect: 'mysql', url: MYSQL_URL }),
  },
];

/**
 * In a describe block: opens `target` before its tests and creates `table` with the statement
 * `ddl` gives for the dialect; drops it and closes the Db after them. `up(ctx)` returns the Db,
 * or skips the test with the reason when the database is down; `db()` is the Db.
 */
export function targetTable(
  target: (typeof DB_TARGETS)[number],
  table: string,
  ddl: (dialect: Db['dialect']) => string,
): { db: () => Db; up: (ctx: TestContext) => Db } {
  let db: Db | undefined;
  let isUp = false;
  let why = '';
  beforeAll(async () => {
    const opened = target.create();
    db = opened;
    const down = await whyDown(opened);
    isUp = down === undefined;
    if (!isUp) return void (why = down ?? '');
    await sql.raw(ddl(opened.dialect)).execute(opened.kysely);
  });
  afterAll(async () => {
    if (isUp && db !== undefined) await sql.raw(`drop table ${table}`).execute(db.kysely);
    await db?.close();
  });
  return {
    db: () => db as Db,
    up: (ctx) => {
      requireCapability(ctx, isUp, `${target.requires} (${why})`);
      return db as Db;
    },
  };
}
