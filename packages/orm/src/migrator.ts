import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { bindDb, type Db } from './create-db.js';
import { ERROR_CODES, OrmError } from './errors.js';
import { splitSql } from './internal/split-sql.js';

/** Options of `createMigrator`. */
export interface MigratorOptions {
  /** The folder of migration files. */
  readonly dir: string;
  /** The table that records applied migrations (default `rws_migrations`). */
  readonly table?: string | undefined;
  /** How long to wait for another process's migration lock (default 60000 ms). */
  readonly lockTimeoutMs?: number | undefined;
}

/** One migration as `status()` reports it. */
export interface MigrationStatus {
  readonly name: string;
  readonly isApplied: boolean;
  /** When it was applied (ISO 8601), or null. */
  readonly appliedAt: string | null;
  /** True when a `.down.sql` file or a `down()` export exists. */
  readonly hasDown: boolean;
  /** True when the table records it but its file is gone. */
  readonly isMissing: boolean;
}

/** A migration module (`*.ts`, `*.js`, `*.mjs`). */
export interface MigrationModule {
  up(db: Db): Promise<void>;
  down?(db: Db): Promise<void>;
}

/** Runs migrations against one Db. */
export interface Migrator {
  /** Applies every pending migration in name order; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Reverts the last `steps` applied migrations (default 1); returns the names reverted. */
  rollback(steps?: number): Promise<string[]>;
  /** Every migration, applied or pending, in name order. */
  status(): Promise<MigrationStatus[]>;
}

interface MigrationFile {
  readonly name: string;
  readonly up: (db: Db) => Promise<void>;
  readonly down: ((db: Db) => Promise<void>) | undefined;
}

const SCRIPT_EXT = ['.ts', '.mts', '.js', '.mjs'];

async function runScript(db: Db, file: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  for (const statement of splitSql(text)) await sql.raw(statement).execute(db.kysely);
}

async function loadMigrations(dir: string): Promise<MigrationFile[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new OrmError(ERROR_CODES.MIGRATION_FAILED, `cannot read migrations folder ${dir}`, {
      cause: err,
    });
  }
  const set = new Set(names);
  const out: MigrationFile[] = [];
  for (const file of names.sort()) {
    if (file.endsWith('.down.sql') || file.endsWith('.d.ts')) continue;
    if (file.endsWith('.sql')) {
      const name = file.slice(0, -4);
      const downFile = `${name}.down.sql`;
      out.push({
        name,
        up: (db) => runScript(db, join(dir, file)),
        down: set.has(downFile) ? (db) => runScript(db, join(dir, downFile)) : undefined,
      });
      continue;
    }
    const ext = SCRIPT_EXT.find((e) => file.endsWith(e));
    if (ext === undefined) continue;
    const path = join(dir, file);
    let mod: Partial<MigrationModule>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Partial<MigrationModule>;
    } catch (err) {
      throw new OrmError(ERROR_CODES.MIGRATION_FAILED, `cannot load migration ${file}`, {
        cause: err,
      });
    }
    if (typeof mod.up !== 'function')
      throw new OrmError(
        ERROR_CODES.MIGRATION_FAILED,
        `migration ${file} exports no up(db) function`,
      );
    const { up, down } = mod;
    out.push({
      name: file.slice(0, -ext.length),
      up: (db) => up(db),
      down: typeof down === 'function' ? (db) => down(db) : undefined,
    });
  }
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.name))
      throw new OrmError(ERROR_CODES.MIGRATION_FAILED, `two migration files are named ${m.name}`);
    seen.add(m.name);
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Migrations from a folder: `*.sql` (with an optional `<name>.down.sql`) or `*.ts`/`*.js`
 * modules exporting `up(db)` and optionally `down(db)`, applied in lexicographic order of
 * their names. Each migration runs in its own transaction on PostgreSQL and SQLite; MySQL
 * commits DDL implicitly, so there a failed migration can leave partial changes. A lock
 * (advisory on PostgreSQL and MySQL, a lock row on SQLite) keeps two processes from migrating
 * at once: the second waits, then finds nothing left to apply.
 *
 * @example
 * ```ts
 * const migrator = createMigrator(db, { dir: 'migrations' });
 * await migrator.migrate();
 * console.table(await migrator.status());
 * ```
 */
export function createMigrator(db: Db, options: MigratorOptions): Migrator {
  const table = options.table ?? 'rws_migrations';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,50}$/.test(table))
    throw new OrmError(
      ERROR_CODES.INVALID_CONFIG,
      `migrations table name "${table}" is not a plain identifier`,
    );
  const lockTable = `${table}_lock`;
  const lockTimeoutMs = options.lockTimeoutMs ?? 60_000;
  const k = db.kysely;

  /**
   * Creates the bookkeeping tables. On PostgreSQL and MySQL this runs while holding the lock:
   * two `CREATE TABLE IF NOT EXISTS` at once can still collide there (PostgreSQL's pg_type
   * unique index), so only the lock holder creates them.
   */
  async function ensureTables(on: typeof k = k): Promise<void> {
    await on.schema
      .createTable(table)
      .ifNotExists()
      .addColumn('name', 'varchar(255)', (c) => c.primaryKey())
      .addColumn('appliedAt', 'varchar(32)', (c) => c.notNull())
      .execute();
    if (db.dialect === 'sqlite')
      await on.schema
        .createTable(lockTable)
        .ifNotExists()
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('owner', 'varchar(64)', (c) => c.notNull())
        .execute();
  }

  async function applied(on: Db = db): Promise<Map<string, string>> {
    const rows = await on.kysely.selectFrom(table).select(['name', 'appliedAt']).execute();
    return new Map(rows.map((r) => [String(r['name']), String(r['appliedAt'])]));
  }

  const locked = () =>
    new OrmError(
      ERROR_CODES.MIGRATION_LOCKED,
      `another process holds the migration lock on "${table}" (waited ${lockTimeoutMs} ms)`,
      { status: 503 },
    );

  /** Runs `fn` holding the migration lock, with the Db to migrate through. */
  async function withLock<T>(fn: (d: Db) => Promise<T>): Promise<T> {
    if (db.isTransaction)
      throw new OrmError(
        ERROR_CODES.MIGRATION_FAILED,
        'migrations cannot run inside db.transaction()',
      );
    const deadline = Date.now() + lockTimeoutMs;
    if (db.dialect === 'sqlite') {
      // SQLite serialises schema changes through its file lock; the lock table must exist first.
      await ensureTables();
      const owner = randomUUID();
      for (;;) {
        try {
          await k.insertInto(lockTable).values({ id: 1, owner }).execute();
          break;
        } catch (err) {
          if (!(err instanceof OrmError && err.code === ERROR_CODES.UNIQUE_VIOLATION)) throw err;
          if (Date.now() > deadline) throw locked();
          await sleep(50);
        }
      }
      try {
        return await fn(db);
      } finally {
        await k.deleteFrom(lockTable).where('owner', '=', owner).execute();
      }
    }
    // Advisory locks belong to a session: hold one pooled connection for the whole run and
    // migrate through it (the lock goes away with the connection if the process dies).
    return k.connection().execute(async (conn) => {
      const key = `rws_migrate:${table}`;
      for (;;) {
        const r =
          db.dialect === 'postgres'
            ? await sql<{
                ok: boolean;
              }>`select pg_try_advisory_lock(hashtext(${key})) as ok`.execute(conn)
            : await sql<{
                ok: number;
              }>`select get_lock(concat(database(), ':', ${key}), 0) as ok`.execute(conn);
        const ok = r.rows[0]?.ok;
        if (ok === true || Number(ok) === 1) break;
        if (Date.now() > deadline) throw locked();
        await sleep(50);
      }
      try {
        await ensureTables(conn);
        return await fn(bindDb(db, conn));
      } finally {
        if (db.dialect === 'postgres')
          await sql`select pg_advisory_unlock(hashtext(${key}))`.execute(conn);
        else await sql`select release_lock(concat(database(), ':', ${key}))`.execute(conn);
      }
    });
  }

  async function step(
    on: Db,
    name: string,
    run: (d: Db) => Promise<void>,
    record: (d: Db) => Promise<void>,
  ) {
    const body = async (d: Db) => {
      await run(d);
      await record(d);
    };
    try {
      if (on.dialect === 'mysql') await body(on);
      else await on.transaction(body);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new OrmError(ERROR_CODES.MIGRATION_FAILED, `migration ${name} failed: ${why}`, {
        cause: err,
      });
    }
  }

  return {
    migrate: () =>
      withLock(async (on) => {
        const files = await loadMigrations(options.dir);
        const done = await applied(on);
        const ran: string[] = [];
        for (const m of files) {
          if (done.has(m.name)) continue;
          await step(on, m.name, m.up, (d) =>
            d.kysely
              .insertInto(table)
              .values({ name: m.name, appliedAt: new Date().toISOString() })
              .execute()
              .then(() => undefined),
          );
          ran.push(m.name);
        }
        return ran;
      }),
    rollback: (steps = 1) =>
      withLock(async (on) => {
        if (!Number.isInteger(steps) || steps < 1)
          throw new OrmError(
            ERROR_CODES.INVALID_QUERY,
            `rollback steps must be an integer >= 1, got ${String(steps)}`,
          );
        const files = new Map((await loadMigrations(options.dir)).map((m) => [m.name, m]));
        const names = [...(await applied(on)).keys()].sort().reverse().slice(0, steps);
        for (const name of names) {
          const down = files.get(name)?.down;
          if (down === undefined)
            throw new OrmError(
              ERROR_CODES.MIGRATION_FAILED,
              `migration ${name} has no ${name}.down.sql or down() to roll back with`,
            );
        }
        for (const name of names)
          await step(on, name, files.get(name)?.down as (d: Db) => Promise<void>, (d) =>
            d.kysely
              .deleteFrom(table)
              .where('name', '=', name)
              .execute()
              .then(() => undefined),
          );
        return names;
      }),
    async status() {
      await ensureTables();
      const files = await loadMigrations(options.dir);
      const done = await applied();
      const out: MigrationStatus[] = files.map((m) => ({
        name: m.name,
        isApplied: done.has(m.name),
        appliedAt: done.get(m.name) ?? null,
        hasDown: m.down !== undefined,
        isMissing: false,
      }));
      const known = new Set(files.map((m) => m.name));
      for (const [name, at] of done)
        if (!known.has(name))
          out.push({ name, isApplied: true, appliedAt: at, hasDown: false, isMissing: true });
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
  };
}
