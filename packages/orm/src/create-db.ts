import { randomBytes } from 'node:crypto';
import {
  CamelCasePlugin,
  type ControlledTransaction,
  type Dialect,
  type IsolationLevel,
  Kysely,
} from 'kysely';
import type { DialectName } from './column.js';
import { dialectOfUrl } from './db-config-from-env.js';
import { createMysqlDialect } from './dialects/mysql.js';
import { createPostgresDialect } from './dialects/postgres.js';
import { createSqliteDialect } from './dialects/sqlite.js';
import { ERROR_CODES, OrmError } from './errors.js';
import { CompiledQueries } from './internal/compiled-queries.js';
import type { Model } from './model.js';
import { Repository } from './repository.js';

/** Connection fields for `createDb` when no URL is given. */
export interface DbConnectionOptions {
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly database?: string | undefined;
  /** SQLite only: a file path or `:memory:`. */
  readonly filename?: string | undefined;
}

/** Options of `createDb`. */
export interface CreateDbOptions {
  readonly dialect: DialectName;
  /** `postgres://…`, `mysql://…`, `sqlite:path` or `sqlite::memory:`; wins over `options`. */
  readonly url?: string | undefined;
  readonly options?: DbConnectionOptions | undefined;
  /** Pool size for postgres and mysql (default 10). SQLite uses one connection. */
  readonly pool?: { readonly size?: number | undefined } | undefined;
  /**
   * Key that signs keyset pagination cursors (HMAC-SHA256). Give a stable secret when cursors
   * must survive a restart or be shared between processes; the default is random per Db.
   */
  readonly cursorSecret?: string | Uint8Array | undefined;
  /**
   * A kysely Dialect of your own (then `url`/`options` are ignored). Errors are mapped to
   * OrmErrors only by the dialects of `@rws/orm/dialects/*`.
   */
  readonly kyselyDialect?: Dialect | undefined;
}

/** Options of `db.transaction()`. */
export interface TransactionOptions {
  /**
   * Retries the whole function when the database reports a serialization failure or deadlock
   * (RWS_ORM_SERIALIZATION_FAILURE). Off by default: the function must be safe to run again.
   */
  readonly retry?: { readonly attempts: number; readonly delayMs?: number | undefined } | undefined;
  /** Isolation level of a top-level transaction. */
  readonly isolationLevel?: IsolationLevel | undefined;
}

/** A database handle: a kysely instance plus repositories and transactions. */
export interface Db {
  /** The kysely instance (camelCase identifiers, mapped to snake_case in SQL). */
  // biome-ignore lint/suspicious/noExplicitAny: the schema comes from models, not a DB type.
  readonly kysely: Kysely<any>;
  readonly dialect: DialectName;
  /** True inside `transaction()`. */
  readonly isTransaction: boolean;
  /** The repository of a model on this handle (inside a transaction: in that transaction). */
  repo<M extends Model>(model: M): Repository<M>;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Nested
   * calls use a savepoint, so an inner failure rolls back only the inner part.
   */
  transaction<T>(fn: (db: Db) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Closes the pool. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function sqliteFilename(url: string): string {
  let rest = url.slice(url.indexOf(':') + 1);
  if (rest.startsWith('//')) rest = rest.slice(2);
  return rest === '' ? ':memory:' : rest;
}

function buildDialect(o: CreateDbOptions): Dialect {
  if (o.kyselyDialect !== undefined) return o.kyselyDialect;
  if (o.url !== undefined && dialectOfUrl(o.url) !== o.dialect)
    throw new OrmError(
      ERROR_CODES.INVALID_CONFIG,
      `database URL scheme does not match dialect "${o.dialect}"`,
    );
  const c = o.options ?? {};
  const poolSize = o.pool?.size;
  switch (o.dialect) {
    case 'sqlite':
      return createSqliteDialect({
        filename: o.url === undefined ? c.filename : sqliteFilename(o.url),
      });
    case 'postgres':
      return createPostgresDialect({ ...c, url: o.url, poolSize });
    case 'mysql':
      return createMysqlDialect({ ...c, url: o.url, poolSize });
    default:
      throw new OrmError(
        ERROR_CODES.INVALID_CONFIG,
        `dialect must be sqlite, postgres or mysql, got "${String(o.dialect)}"`,
      );
  }
}

interface DbState {
  readonly dialect: DialectName;
  readonly secret: Uint8Array;
  // biome-ignore lint/suspicious/noExplicitAny: see Db.kysely.
  readonly root: Kysely<any>;
  readonly queries: CompiledQueries;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const STATES = new WeakMap<Db, DbState>();

/**
 * The same Db on another kysely instance of it (a pinned connection): used by the migrator to
 * run migrations on the session that holds the migration lock.
 */
// biome-ignore lint/suspicious/noExplicitAny: see Db.kysely.
export function bindDb(db: Db, kysely: Kysely<any>): Db {
  const state = STATES.get(db);
  if (state === undefined) throw new TypeError('bindDb needs a Db from createDb');
  return makeDb(state, kysely, 0);
}

function makeDb(
  state: DbState,
  // biome-ignore lint/suspicious/noExplicitAny: see Db.kysely.
  kysely: Kysely<any>,
  depth: number,
): Db {
  const db: Db = {
    kysely,
    dialect: state.dialect,
    isTransaction: depth > 0,
    repo: (model) =>
      new Repository(model, {
        kysely,
        dialect: state.dialect,
        secret: state.secret,
        queries: state.queries,
      }),
    async transaction(fn, options = {}) {
      if (depth > 0) {
        // A savepoint inside the open transaction: the inner part can fail alone.
        const name = `rws_sp_${depth}`;
        // biome-ignore lint/suspicious/noExplicitAny: savepoint names are tracked in types only.
        const trx = kysely as unknown as ControlledTransaction<any, string[]>;
        // biome-ignore lint/suspicious/noExplicitAny: as above.
        const sp: ControlledTransaction<any, any> = await trx.savepoint(name).execute();
        try {
          const result = await fn(makeDb(state, sp, depth + 1));
          await sp.releaseSavepoint(name).execute();
          return result;
        } catch (err) {
          await sp.rollbackToSavepoint(name).execute();
          throw err;
        }
      }
      const attempts = Math.max(1, options.retry?.attempts ?? 1);
      for (let attempt = 1; ; attempt++) {
        let builder = kysely.startTransaction();
        if (options.isolationLevel !== undefined)
          builder = builder.setIsolationLevel(options.isolationLevel);
        const trx = await builder.execute();
        try {
          const result = await fn(makeDb(state, trx, 1));
          await trx.commit().execute();
          return result;
        } catch (err) {
          await trx
            .rollback()
            .execute()
            .catch(() => undefined);
          const isRetryable =
            err instanceof OrmError && err.code === ERROR_CODES.SERIALIZATION_FAILURE;
          if (!isRetryable || attempt >= attempts) throw err;
          await sleep((options.retry?.delayMs ?? 10) * attempt);
        }
      }
    },
    close: () => state.root.destroy(),
    [Symbol.asyncDispose]: () => state.root.destroy(),
  };
  STATES.set(db, state);
  return db;
}

/** Builds a Db (see createDb). */
function openDb(options: CreateDbOptions): Db {
  const root = new Kysely({
    dialect: buildDialect(options),
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
  });
  const secret =
    options.cursorSecret === undefined
      ? new Uint8Array(randomBytes(32))
      : typeof options.cursorSecret === 'string'
        ? new TextEncoder().encode(options.cursorSecret)
        : options.cursorSecret;
  return makeDb(
    { dialect: options.dialect, secret, root, queries: new CompiledQueries() },
    root,
    0,
  );
}

/** `createDb` and its `memory()` shortcut. */
export interface CreateDb {
  (options: CreateDbOptions): Db;
  /** A private in-memory SQLite database (one per call), for tests. */
  memory(options?: Omit<CreateDbOptions, 'dialect' | 'url' | 'options'>): Db;
}

/**
 * Opens a database: a kysely instance with the camelCase ↔ snake_case mapping, plus
 * repositories (`db.repo(Model)`) and transactions. The driver (pg, mysql2 or better-sqlite3)
 * loads on the first query. Several Dbs may be open in one process. `createDb.memory()` opens
 * a private in-memory SQLite database.
 *
 * @example
 * ```ts
 * const db = createDb({ dialect: 'postgres', url: 'postgres://postgres@127.0.0.1/test' });
 * const users = db.repo(User);
 * await users.insert({ email: 'a@example.com' });
 * await db.close();
 * ```
 */
export const createDb: CreateDb = Object.assign(openDb, {
  memory: (options: Omit<CreateDbOptions, 'dialect' | 'url' | 'options'> = {}): Db =>
    openDb({ ...options, dialect: 'sqlite', options: { filename: ':memory:' } }),
});
