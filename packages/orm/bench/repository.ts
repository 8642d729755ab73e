/**
 * `pnpm bench orm`: repository operations against raw kysely, the raw driver, drizzle-orm and
 * knex, on PostgreSQL, MySQL/MariaDB and SQLite (a file), in one run. Not part of `test`.
 *
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/orm/bench/repository.ts
 *
 * Operations on a table of 1000 seeded rows: `insert` one row (and get it back), `find` by id,
 * `page` (a keyset page of 20 after a cursor in the middle, ordered by a non-unique column then
 * the id) and `update` by id (and get the row back). Each variant does what a user of that
 * library would write for the same result; where a library cannot return the row from the same
 * statement (MySQL has no RETURNING) it reads it back, as our repository does.
 *
 * Each operation runs BENCH_ITERATIONS times (default 2000) per round, the variants interleaved,
 * for BENCH_ROUNDS rounds (default 5), after BENCH_WARMUP untimed calls (default a tenth of the
 * iterations) per variant; each round starts with the next variant in turn, so no variant is
 * always first. The tables print the median ops/s and the ratio of the repository to kysely,
 * and the client CPU time (this process's user + system) per call of both: the repository's
 * own cost, which the database server sharing the machine disturbs less than wall time.
 * BENCH_DATABASES picks databases (default postgres,mysql,sqlite); one that is down is reported
 * and skipped. Every call awaits the previous one over a pool of one connection, so the numbers
 * are per-operation latency, not throughput under concurrency.
 *
 * Same work on both sides: before timing, the script checks that the repository and kysely
 * send the same statements, text for text, for every operation (counted under the driver
 * through a wrapped kysely Dialect), and that every variant's page holds the same rows. The
 * repository's page also verifies the incoming cursor and signs the next one (HMAC-SHA256),
 * work the kysely variant does not do: it is part of the overhead measured.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { and, eq, gt, or } from 'drizzle-orm';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  sql,
} from 'kysely';
import { createMysqlDialect } from '../src/dialects/mysql.js';
import { createPostgresDialect } from '../src/dialects/postgres.js';
import { createSqliteDialect } from '../src/dialects/sqlite.js';
import { column, createDb, defineModel } from '../src/index.js';
import { createBenchTable, kyselyOps } from './kysely-ops.js';

const ITERATIONS = Number(process.env['BENCH_ITERATIONS'] ?? 2000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const WARMUP = Number(process.env['BENCH_WARMUP'] ?? Math.ceil(ITERATIONS / 10));
const DATABASES = (process.env['BENCH_DATABASES'] ?? 'postgres,mysql,sqlite').split(',');
const SEED = 1000;
const PAGE = 20;

const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';

type Dialect = 'postgres' | 'mysql' | 'sqlite';
type Op = 'insert' | 'find' | 'page' | 'update';
const VARIANTS = ['repository', 'kysely', 'driver', 'drizzle', 'knex'] as const;
type Variant = (typeof VARIANTS)[number];
type Fn = (i: number) => Promise<unknown>;
type Ops = Record<Op, Fn>;
type Row = { id: number; email: string; score: number };
/** Everything one variant needs: its operations and how to let go of its connections. */
type Runner = { ops: Ops; close(): Promise<void> };
/** The table and the keyset position the page operation starts after. */
type Setup = { dialect: Dialect; table: string; sqliteFile: string; after: Row };

/** better-sqlite3's constructor (a CommonJS `export =`, so the ESM import's `default`). */
async function openSqlite(): Promise<typeof import('better-sqlite3')> {
  const mod = await import('better-sqlite3');
  return (mod as unknown as { default: typeof mod }).default;
}

/** Operations per second (wall time) and client CPU µs per call of ITERATIONS calls. */
async function time(fn: Fn): Promise<{ ops: number; cpuUs: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) await fn(i);
  const ops = ITERATIONS / (Number(process.hrtime.bigint() - start) / 1e9);
  const used = process.cpuUsage(cpu);
  return { ops, cpuUs: (used.user + used.system) / ITERATIONS };
}

/** SQL texts sent through the Dbs of `orm()` while `statements.isOn`, in order. */
const statements = { isOn: false, sent: [] as string[] };

/** `inner` with every connection's executeQuery recorded while `statements.isOn`. */
function recording(inner: KyselyDialect): KyselyDialect {
  const kDone = Symbol('recorded');
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver: () => {
      const driver = inner.createDriver();
      const acquire = driver.acquireConnection.bind(driver);
      driver.acquireConnection = async (options) => {
        const conn = (await acquire(options)) as DatabaseConnection & { [kDone]?: true };
        if (conn[kDone] !== true) {
          const execute = conn.executeQuery.bind(conn);
          conn.executeQuery = (q: CompiledQuery) => {
            if (statements.isOn) statements.sent.push(q.sql);
            return execute(q);
          };
          conn[kDone] = true;
        }
        return conn;
      };
      return driver;
    },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const idOf = (i: number) => (i % SEED) + 1;

/** A Db as createDb makes it (the same dialect), its statements recorded for the check. */
function orm(s: Setup) {
  const dialect =
    s.dialect === 'sqlite'
      ? createSqliteDialect({ filename: s.sqliteFile })
      : s.dialect === 'postgres'
        ? createPostgresDialect({ url: POSTGRES_URL, poolSize: 1 })
        : createMysqlDialect({ url: MYSQL_URL, poolSize: 1 });
  return createDb({ dialect: s.dialect, kyselyDialect: recording(dialect) });
}

async function repositoryRunner(s: Setup): Promise<Runner> {
  const db = orm(s);
  const Model = defineModel(s.table, {
    columns: { id: column.id(), email: column.text(), score: column.integer() },
  });
  const repo = db.repo(Model);
  // The cursor of the row the other variants start after: the last row of a page ending there.
  const before = await repo.paginate({ limit: SEED, orderBy: ['score'] });
  const at = before.items.findIndex((r) => String(r.id) === String(s.after.id));
  if (at < 0) throw new Error(`row ${s.after.id} not found in ${s.table}`);
  const first = await repo.paginate({ limit: at + 1, orderBy: ['score'] });
  const after = first.nextCursor;
  return {
    ops: {
      insert: (i) => repo.insert({ email: `r${i}@bench`, score: i % 10 }),
      find: (i) => repo.find(idOf(i)),
      page: () => repo.paginate({ after, limit: PAGE, orderBy: ['score'] }),
      update: (i) => repo.update(idOf(i), { score: i % 10 }),
    },
    close: () => db.close(),
  };
}

async function kyselyRunner(s: Setup): Promise<Runner> {
  const db = orm(s);
  const ops = kyselyOps(db.kysely, {
    table: s.table,
    isMysql: s.dialect === 'mysql',
    after: s.after,
    pageRows: PAGE + 1,
    idOf,
  });
  return { ops, close: () => db.close() };
}

/** The same statements as SQL text through pg's pool, mysql2's pool or better-sqlite3. */
async function driverRunner(s: Setup): Promise<Runner> {
  const t = s.table;
  const page = `select * from ${t} where score > ? or (score = ? and id > ?) order by score, id limit ${PAGE + 1}`;
  const pageArgs = [s.after.score, s.after.score, s.after.id];
  if (s.dialect === 'postgres') {
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    const one = async (text: string, args: unknown[]) => (await pool.query(text, args)).rows[0];
    return {
      ops: {
        insert: (i) =>
          one(`insert into ${t} (email, score) values ($1, $2) returning *`, [
            `d${i}@bench`,
            i % 10,
          ]),
        find: (i) => one(`select * from ${t} where id = $1`, [idOf(i)]),
        page: async () =>
          (
            await pool.query(
              page.replace('?', '$1').replace('?', '$2').replace('?', '$3'),
              pageArgs,
            )
          ).rows,
        update: (i) =>
          one(`update ${t} set score = $1 where id = $2 returning *`, [i % 10, idOf(i)]),
      },
      close: () => pool.end(),
    };
  }
  if (s.dialect === 'mysql') {
    const mysql = await import('mysql2/promise');
    const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 });
    const find = async (id: number) =>
      ((await pool.execute(`select * from ${t} where id = ?`, [id]))[0] as Row[])[0];
    return {
      ops: {
        insert: async (i) => {
          const [r] = await pool.execute(`insert into ${t} (email, score) values (?, ?)`, [
            `d${i}@bench`,
            i % 10,
          ]);
          return find((r as { insertId: number }).insertId);
        },
        find: (i) => find(idOf(i)),
        page: async () => (await pool.execute(page, pageArgs))[0],
        update: async (i) => {
          await pool.execute(`update ${t} set score = ? where id = ?`, [i % 10, idOf(i)]);
          return find(idOf(i));
        },
      },
      close: () => pool.end(),
    };
  }
  const Database = await openSqlite();
  const conn = new Database(s.sqliteFile);
  // Prepared once, as a better-sqlite3 user would.
  const insert = conn.prepare(`insert into ${t} (email, score) values (?, ?) returning *`);
  const find = conn.prepare(`select * from ${t} where id = ?`);
  const pageStmt = conn.prepare(page);
  const update = conn.prepare(`update ${t} set score = ? where id = ? returning *`);
  return {
    ops: {
      insert: async (i) => insert.get(`d${i}@bench`, i % 10),
      find: async (i) => find.get(idOf(i)),
      page: async () => pageStmt.all(...pageArgs),
      update: async (i) => update.get(i % 10, idOf(i)),
    },
    close: async () => {
      conn.close();
    },
  };
}

/** drizzle-orm with its node-postgres and better-sqlite3 drivers; none for MySQL here. */
async function drizzleRunner(s: Setup): Promise<Runner | null> {
  if (s.dialect === 'mysql') return null;
  if (s.dialect === 'postgres') {
    const { integer, pgTable, serial, varchar } = await import('drizzle-orm/pg-core');
    const { drizzle } = await import('drizzle-orm/node-postgres');
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    const t = pgTable(s.table, {
      id: serial('id').primaryKey(),
      email: varchar('email', { length: 255 }).notNull(),
      score: integer('score').notNull(),
    });
    const db = drizzle(pool);
    return {
      ops: {
        insert: (i) =>
          db
            .insert(t)
            .values({ email: `z${i}@bench`, score: i % 10 })
            .returning(),
        find: (i) =>
          db
            .select()
            .from(t)
            .where(eq(t.id, idOf(i)))
            .limit(1),
        page: () =>
          db
            .select()
            .from(t)
            .where(
              or(gt(t.score, s.after.score), and(eq(t.score, s.after.score), gt(t.id, s.after.id))),
            )
            .orderBy(t.score, t.id)
            .limit(PAGE + 1),
        update: (i) =>
          db
            .update(t)
            .set({ score: i % 10 })
            .where(eq(t.id, idOf(i)))
            .returning(),
      },
      close: () => pool.end(),
    };
  }
  const { integer, sqliteTable, text } = await import('drizzle-orm/sqlite-core');
  const { drizzle } = await import('drizzle-orm/better-sqlite3');
  const Database = await openSqlite();
  const conn = new Database(s.sqliteFile);
  const t = sqliteTable(s.table, {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    score: integer('score').notNull(),
  });
  const db = drizzle(conn);
  return {
    ops: {
      insert: async (i) =>
        db
          .insert(t)
          .values({ email: `z${i}@bench`, score: i % 10 })
          .returning()
          .get(),
      find: async (i) =>
        db
          .select()
          .from(t)
          .where(eq(t.id, idOf(i)))
          .get(),
      page: async () =>
        db
          .select()
          .from(t)
          .where(
            or(gt(t.score, s.after.score), and(eq(t.score, s.after.score), gt(t.id, s.after.id))),
          )
          .orderBy(t.score, t.id)
          .limit(PAGE + 1)
          .all(),
      update: async (i) =>
        db
          .update(t)
          .set({ score: i % 10 })
          .where(eq(t.id, idOf(i)))
          .returning()
          .get(),
    },
    close: async () => {
      conn.close();
    },
  };
}

async function knexRunner(s: Setup): Promise<Runner> {
  const { default: createKnex } = await import('knex');
  const knex = createKnex(
    s.dialect === 'sqlite'
      ? { client: 'better-sqlite3', connection: { filename: s.sqliteFile }, useNullAsDefault: true }
      : {
          client: s.dialect === 'postgres' ? 'pg' : 'mysql2',
          connection: s.dialect === 'postgres' ? POSTGRES_URL : MYSQL_URL,
          pool: { min: 0, max: 1 },
        },
  );
  const t = s.table;
  const isMysql = s.dialect === 'mysql';
  return {
    ops: {
      insert: async (i) => {
        const q = knex(t).insert({ email: `n${i}@bench`, score: i % 10 });
        if (!isMysql) return (await q.returning('*'))[0];
        const [id] = await q;
        return knex(t).where({ id }).first();
      },
      find: (i) =>
        knex(t)
          .where({ id: idOf(i) })
          .first(),
      page: () =>
        knex(t)
          .where('score', '>', s.after.score)
          .orWhere((w) => w.where('score', '=', s.after.score).andWhere('id', '>', s.after.id))
          .orderBy([{ column: 'score' }, { column: 'id' }])
          .limit(PAGE + 1),
      update: async (i) => {
        const q = knex(t)
          .where({ id: idOf(i) })
          .update({ score: i % 10 });
        if (!isMysql) return (await q.returning('*'))[0];
        await q;
        return knex(t)
          .where({ id: idOf(i) })
          .first();
      },
    },
    close: () => knex.destroy(),
  };
}

async function setUp(dialect: Dialect): Promise<Setup> {
  const table = `bench_${randomBytes(4).toString('hex')}`;
  const sqliteFile = join(tmpdir(), `rws-orm-bench-${randomBytes(4).toString('hex')}.db`);
  const s: Setup = { dialect, table, sqliteFile, after: { id: 0, email: '', score: 0 } };
  const db = orm(s);
  try {
    await createBenchTable(db.kysely, dialect, table, SEED);
    // Start the page in the middle: score 4, at a row with later rows of the same score.
    s.after = (await db.kysely
      .selectFrom(table)
      .selectAll()
      .where('score', '=', 4)
      .orderBy('id')
      .offset(SEED / 20)
      .limit(1)
      .executeTakeFirstOrThrow()) as Row;
    return s;
  } finally {
    await db.close();
  }
}

async function tearDown(s: Setup): Promise<void> {
  const db = orm(s);
  try {
    await sql.raw(`drop table if exists ${s.table}`).execute(db.kysely);
  } finally {
    await db.close();
  }
  for (const f of [s.sqliteFile, `${s.sqliteFile}-wal`, `${s.sqliteFile}-shm`])
    rmSync(f, { force: true });
}

/**
 * The repository and kysely send the same SQL for every operation (same statements, same
 * count: no extra round trip on either side), so their comparison is of equal work.
 */
async function checkSameStatements(runners: Partial<Record<Variant, Runner>>): Promise<void> {
  for (const op of ['insert', 'find', 'page', 'update'] as const) {
    const sent: Partial<Record<Variant, string[]>> = {};
    for (const v of ['repository', 'kysely'] as const) {
      statements.sent = [];
      statements.isOn = true;
      try {
        await runners[v]?.ops[op](0);
      } finally {
        statements.isOn = false;
      }
      sent[v] = statements.sent;
    }
    const [r, k] = [JSON.stringify(sent.repository), JSON.stringify(sent.kysely)];
    if (r !== k) throw new Error(`${op}: the repository sends ${r}, kysely ${k}`);
    console.error(
      `orm bench: ${op}: repository and kysely send the same ${sent.kysely?.length} statement(s)`,
    );
  }
}

/** Every variant's page holds the same rows, so the comparison is of equal work. */
async function checkSamePage(runners: Partial<Record<Variant, Runner>>): Promise<void> {
  const ids = new Map<string, string>();
  for (const [v, runner] of Object.entries(runners)) {
    const page = (await runner.ops.page(0)) as Row[] | { items: Row[] };
    const rows = Array.isArray(page) ? page.slice(0, PAGE) : page.items;
    ids.set(v, rows.map((r) => String(r.id)).join(','));
  }
  if (new Set(ids.values()).size !== 1)
    throw new Error(`the variants' pages differ: ${JSON.stringify(Object.fromEntries(ids))}`);
}

async function bench(dialect: Dialect): Promise<void> {
  let s: Setup;
  try {
    s = await setUp(dialect);
  } catch (err) {
    console.error(`orm bench: ${dialect} skipped: ${err instanceof Error ? err.message : err}`);
    return;
  }
  const runners: Partial<Record<Variant, Runner>> = {};
  try {
    runners.repository = await repositoryRunner(s);
    runners.kysely = await kyselyRunner(s);
    runners.driver = await driverRunner(s);
    const drizzle = await drizzleRunner(s);
    if (drizzle !== null) runners.drizzle = drizzle;
    runners.knex = await knexRunner(s);
    await checkSamePage(runners);
    await checkSameStatements(runners);
    console.error(
      `orm bench: ${dialect}, ${ROUNDS} rounds of ${ITERATIONS} calls per operation and variant`,
    );
    console.log(
      `\n| ${dialect} | ${VARIANTS.map((v) => `${v} ops/s`).join(' | ')} | repository / kysely | CPU µs/call repository | CPU µs/call kysely |`,
    );
    console.log(`| --- |${' --- |'.repeat(VARIANTS.length + 3)}`);
    const present = VARIANTS.filter((v) => runners[v] !== undefined);
    for (const op of ['insert', 'find', 'page', 'update'] as const) {
      for (const v of present)
        for (let i = 0; i < WARMUP; i++) await (runners[v] as Runner).ops[op](i);
      const ops: Partial<Record<Variant, number[]>> = {};
      const cpu: Partial<Record<Variant, number[]>> = {};
      for (let r = 0; r < ROUNDS; r++)
        for (let j = 0; j < present.length; j++) {
          // Round r starts with variant r: none is always first (JIT, caches, the server's state).
          const v = present[(r + j) % present.length] as Variant;
          const t = await time((runners[v] as Runner).ops[op]);
          (ops[v] ??= []).push(t.ops);
          (cpu[v] ??= []).push(t.cpuUs);
        }
      const m = (xs: number[] | undefined) => (xs === undefined ? Number.NaN : median(xs));
      const fmt = (n: number) => (Number.isNaN(n) ? 'n/a' : Math.round(n).toString());
      console.log(
        `| ${op} | ${VARIANTS.map((v) => fmt(m(ops[v]))).join(' | ')} | ${(m(ops.repository) / m(ops.kysely)).toFixed(3)} | ${m(cpu.repository).toFixed(1)} | ${m(cpu.kysely).toFixed(1)} |`,
      );
    }
  } finally {
    for (const runner of Object.values(runners)) await runner.close();
    await tearDown(s);
  }
}

for (const d of DATABASES) {
  if (d !== 'postgres' && d !== 'mysql' && d !== 'sqlite')
    throw new Error(`BENCH_DATABASES: unknown database "${d}" (postgres, mysql, sqlite)`);
  await bench(d);
}
