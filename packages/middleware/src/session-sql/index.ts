/**
 * `createSqlSessionStore()`: a `SessionStore` in one table of an @rws/orm database
 * (PostgreSQL, MySQL/MariaDB or SQLite), for `session()` of `@rws/middleware/session`. A
 * subpath of its own because it needs `@rws/orm` (an optional peer dependency), which the
 * other middlewares do not.
 *
 * @module
 */
import { RwsError } from '@rws/core';
import { type Db, sql } from '@rws/orm';
import { ERROR_CODES } from '../errors.js';
import { failOptions, isPositiveInteger } from '../internal/fail.js';
import type { SessionData, SessionStore } from '../session/session-store.js';

/** Options of `createSqlSessionStore()`. */
export interface SqlSessionStoreOptions {
  /** An @rws/orm database. The store creates its table on first use (`create table if not exists`). */
  db: Db;
  /** Table name: letters, digits and `_`, starting with a letter. Default `rws_sessions`. */
  table?: string | undefined;
  /**
   * How often expired rows are deleted, in ms (default 600000; 0 turns the sweep off, for
   * when a database job does it). Expired rows are never returned either way.
   */
  sweepIntervalMs?: number | undefined;
  /** Close `db` when the store closes. Default false: the caller owns the Db. */
  ownsDb?: boolean | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: rows of raw SQL are untyped.
type Row = Record<string, any>;

function storeFailed(what: string, cause: unknown): RwsError {
  return new RwsError(ERROR_CODES.SESSION_STORE_FAILED, `session store: ${what} failed`, {
    status: 500,
    cause,
  });
}

/**
 * Creates a session store on a database table `(id, data, expires)`: `data` is the JSON of
 * the session, `expires` a Unix time in ms. Writes are one upsert (`ON CONFLICT` on
 * PostgreSQL and SQLite, `ON DUPLICATE KEY` on MySQL), so several app instances on one
 * database share sessions. Database errors surface as `RWS_MIDDLEWARE_SESSION_STORE_FAILED`
 * (500), never as an empty session that would log the user out silently.
 *
 * @example
 * ```ts
 * import { createDb } from '@rws/orm';
 * import { session } from '@rws/middleware/session';
 * import { createSqlSessionStore } from '@rws/middleware/session-sql';
 * const db = createDb({ dialect: 'postgres', url: process.env.DATABASE_URL! });
 * const sessions = session({
 *   keys: [process.env.SESSION_SECRET!],
 *   store: createSqlSessionStore({ db }),
 * });
 * ```
 */
export function createSqlSessionStore(options: SqlSessionStoreOptions): SessionStore {
  const fail = (message: string): never =>
    failOptions(ERROR_CODES.SESSION_INVALID_OPTIONS, 'createSqlSessionStore', message);
  const db = options?.db;
  if (db === undefined || db === null || typeof db.kysely !== 'object') {
    fail('db must be an @rws/orm Db (createDb())');
  }
  const table = options.table ?? 'rws_sessions';
  if (typeof table !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,50}$/.test(table)) {
    fail(
      `table must be letters, digits and _ starting with a letter (got ${JSON.stringify(table)})`,
    );
  }
  const sweepMs = options.sweepIntervalMs ?? 600_000;
  if (sweepMs !== 0 && !isPositiveInteger(sweepMs)) {
    fail('sweepIntervalMs must be 0 or a positive integer');
  }
  const T = sql.raw(table);
  const k = db.kysely;
  const dialect = db.dialect;

  let ready: Promise<void> | undefined;
  const ensureTable = (): Promise<void> => {
    ready ??= (async () => {
      const id = dialect === 'sqlite' ? 'text' : 'varchar(191)';
      const data = dialect === 'mysql' ? 'mediumtext' : 'text';
      await sql
        .raw(
          `create table if not exists ${table} (id ${id} primary key, data ${data} not null, expires bigint not null)`,
        )
        .execute(k);
    })().catch((cause) => {
      ready = undefined; // the next call tries again (the database may come back)
      throw storeFailed(`creating table ${table}`, cause);
    });
    return ready;
  };
  const run = async (what: string, query: ReturnType<typeof sql>): Promise<Row[]> => {
    await ensureTable();
    try {
      return (await query.execute(k)).rows as Row[];
    } catch (cause) {
      throw storeFailed(what, cause);
    }
  };
  const expiry = (ttlMs: number): number => Date.now() + Math.max(1, Math.ceil(ttlMs));

  const sweep = (): Promise<unknown> =>
    run('sweep', sql`delete from ${T} where expires <= ${Date.now()}`).catch(() => undefined);
  const timer = sweepMs === 0 ? undefined : setInterval(sweep, sweepMs);
  timer?.unref();

  return {
    name: `sql:${dialect}`,
    async get(id) {
      const rows = await run(
        'select',
        sql`select data, expires from ${T} where id = ${id} and expires > ${Date.now()}`,
      );
      const row = rows[0];
      if (row === undefined) return null;
      try {
        return JSON.parse(String(row['data'])) as SessionData;
      } catch (cause) {
        throw storeFailed('reading a record (not JSON)', cause);
      }
    },
    async set(id, data, ttlMs) {
      const json = JSON.stringify(data);
      const expires = expiry(ttlMs);
      await run(
        'upsert',
        dialect === 'mysql'
          ? sql`insert into ${T} (id, data, expires) values (${id}, ${json}, ${expires})
                on duplicate key update data = values(data), expires = values(expires)`
          : sql`insert into ${T} (id, data, expires) values (${id}, ${json}, ${expires})
                on conflict (id) do update set data = excluded.data, expires = excluded.expires`,
      );
    },
    async destroy(id) {
      await run('delete', sql`delete from ${T} where id = ${id}`);
    },
    async touch(id, ttlMs) {
      await run(
        'touch',
        sql`update ${T} set expires = ${expiry(ttlMs)} where id = ${id} and expires > ${Date.now()}`,
      );
    },
    async close() {
      if (timer !== undefined) clearInterval(timer);
      if (options.ownsDb === true) await db.close();
    },
  };
}
