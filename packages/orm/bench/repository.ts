/**
 * Repository overhead against raw kysely and the raw driver, per database, in one run:
 * `find` by key, `insert` one row, and a keyset `paginate` page of 20. Not part of `test`.
 *
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/orm/bench/repository.ts [postgres|mysql|sqlite]
 *
 * Each operation runs ITERATIONS times per round, the three variants interleaved, ROUNDS
 * rounds; the table prints the median ops/s and the ratio of the repository to kysely.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { column, createDb, type Db, type DbConnectionOptions, defineModel } from '../src/index.js';

const ITERATIONS = 2000;
const ROUNDS = 5;

const SQLITE_FILE = join(tmpdir(), `rws-orm-bench-${randomBytes(4).toString('hex')}.db`);

const TARGETS = {
  postgres: { dialect: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' },
  mysql: { dialect: 'mysql', url: 'mysql://root@127.0.0.1:3306/test' },
  sqlite: { dialect: 'sqlite', options: { filename: SQLITE_FILE } satisfies DbConnectionOptions },
} as const;

type Variant = 'repository' | 'kysely' | 'driver';
type Op = 'find' | 'insert' | 'paginate';

async function time(fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await fn(i);
  return ITERATIONS / (Number(process.hrtime.bigint() - start) / 1e9);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** The raw driver call for a statement: pg's pool, mysql2's pool, better-sqlite3's prepare. */
async function rawRunner(db: Db): Promise<(text: string, params: unknown[]) => Promise<unknown>> {
  if (db.dialect === 'postgres') {
    const pg = await import('pg');
    const pool = new pg.default.Pool({ connectionString: TARGETS.postgres.url, max: 1 });
    return (text, params) => pool.query(text, params);
  }
  if (db.dialect === 'mysql') {
    const mysql = await import('mysql2/promise');
    const pool = mysql.createPool({ uri: TARGETS.mysql.url, connectionLimit: 1 });
    return (text, params) => pool.query(text, params);
  }
  const mod = await import('better-sqlite3');
  const Database = (mod as unknown as { default: typeof mod }).default;
  const conn = new Database(SQLITE_FILE);
  return async (text, params) => {
    const stmt = conn.prepare(text);
    return stmt.reader ? stmt.all(...params) : stmt.run(...params);
  };
}

async function main(): Promise<void> {
  const which = (process.argv[2] ?? 'sqlite') as keyof typeof TARGETS;
  const target = TARGETS[which];
  if (target === undefined) throw new Error(`unknown target ${which}`);
  const db = createDb({ ...target, pool: { size: 1 } });
  const table = `bench_${randomBytes(4).toString('hex')}`;
  const id =
    db.dialect === 'postgres'
      ? 'serial primary key'
      : db.dialect === 'mysql'
        ? 'integer auto_increment primary key'
        : 'integer primary key autoincrement';
  await sql
    .raw(`create table ${table} (id ${id}, email varchar(255) not null, score integer not null)`)
    .execute(db.kysely);
  const Model = defineModel(table, {
    columns: { id: column.id(), email: column.text(), score: column.integer() },
  });
  const repo = db.repo(Model);
  for (let i = 0; i < 1000; i++) await repo.insert({ email: `seed${i}@bench`, score: i % 10 });
  const raw = await rawRunner(db);
  const p = (n: number) => (db.dialect === 'postgres' ? `$${n}` : '?');

  const ops: Record<Op, Partial<Record<Variant, (i: number) => Promise<unknown>>>> = {
    find: {
      repository: (i) => repo.find((i % 1000) + 1),
      kysely: (i) =>
        db.kysely
          .selectFrom(table)
          .selectAll()
          .where('id', '=', (i % 1000) + 1)
          .executeTakeFirst(),
      driver: (i) => raw(`select * from ${table} where id = ${p(1)}`, [(i % 1000) + 1]),
    },
    insert: {
      repository: (i) => repo.insert({ email: `r${i}@bench`, score: 1 }),
      kysely: (i) =>
        db.kysely
          .insertInto(table)
          .values({ email: `k${i}@bench`, score: 1 })
          .execute(),
      driver: (i) =>
        raw(`insert into ${table} (email, score) values (${p(1)}, ${p(2)})`, [`d${i}@bench`, 1]),
    },
    paginate: {
      repository: () => repo.paginate({ limit: 20, orderBy: ['score'] }),
      kysely: () =>
        db.kysely.selectFrom(table).selectAll().orderBy('score').orderBy('id').limit(21).execute(),
      driver: () => raw(`select * from ${table} order by score, id limit 21`, []),
    },
  };

  console.log(
    `| ${which} | repository ops/s | kysely ops/s | driver ops/s | repository / kysely |`,
  );
  console.log('| --- | --- | --- | --- | --- |');
  for (const [op, variants] of Object.entries(ops)) {
    const results: Partial<Record<Variant, number[]>> = {};
    for (let r = 0; r < ROUNDS; r++)
      for (const [v, fn] of Object.entries(variants)) {
        if (fn === undefined) continue;
        const list = results[v as Variant] ?? [];
        list.push(await time(fn));
        results[v as Variant] = list;
      }
    const m = (v: Variant) => (results[v] === undefined ? Number.NaN : median(results[v]));
    const fmt = (n: number) => (Number.isNaN(n) ? 'n/a' : Math.round(n).toString());
    console.log(
      `| ${op} | ${fmt(m('repository'))} | ${fmt(m('kysely'))} | ${fmt(m('driver'))} | ${(m('repository') / m('kysely')).toFixed(3)} |`,
    );
  }
  await sql.raw(`drop table ${table}`).execute(db.kysely);
  await db.close();
  for (const f of [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`])
    rmSync(f, { force: true });
  // The raw pools stay open; exit rather than wait for them.
  process.exit(0);
}

await main();
