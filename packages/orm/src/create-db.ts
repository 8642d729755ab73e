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
import { ERROR_CODES, OrmError, type TransactionConflict } from './errors.js';
import { CompiledQueries } from './internal/compiled-queries.js';
import { checkRetry, withRetry } from './internal/transaction-retry.js';
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

/** PostgreSQL-only options of `createDb` (the other dialects ignore them). */
export interface DbPostgresOptions {
  /**
   * Which statements run as named (server-side prepared) statements, which each connection
   * parses and plans once and keeps: `'marked'` (default) only those marked with `prepared()`
   * (the ORM marks none of its own; @rws/jobs marks its claim and completion), `'all'` every
   * statement sent with parameters, `'off'` none. Use `'off'` behind a pooler in transaction
   * mode that does not track prepared statements (PgBouncer before 1.21, or with
   * `max_prepared_statements = 0`): the server connection changes between statements there.
   */
  readonly preparedStatements?: 'off' | 'marked' | 'all' | undefined;
  /**
   * Named statements kept per connection (default 100); the least recently used one is
   * deallocated to make room.
   */
  readonly maxPreparedStatements?: number | undefined;
}

/** Options of `createDb`. */
export interface CreateDbOptions {
  readonly dialect: DialectName;
  /** `postgres://…`, `mysql://…`, `sqlite:path` or `sqlite::memory:`; wins over `options`. */
  readonly url?: string | undefined;
  readonly options?: DbConnectionOptions | undefined;
  /** Pool size for postgres and mysql (default 10). SQLite uses one connection. */
  readonly pool?: { readonly size?: number | undefined } | undefined;
  /** PostgreSQL only: named prepared statements (see DbPostgresOptions). */
  readonly postgres?: DbPostgresOptions | undefined;
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

/** Options of `transaction({ retry })`. */
export interface TransactionRetryOptions {
  /** Attempts in all, the first included (an integer ≥ 1; 1 = no retry). */
  readonly attempts: number;
  /**
   * The pause before the first retry, doubled before each further one up to `maxDelayMs`; each
   * pause is drawn uniformly from zero to that bound (full jitter). Default 10 ms.
   */
  readonly delayMs?: number | undefined;
  /** The largest pause bound (default 1000 ms). */
  readonly maxDelayMs?: number | undefined;
  /**
   * Which transaction conflicts (RWS_ORM_SERIALIZATION_FAILURE, by `conflict`) are retried.
   * Default all: `serialization`, `deadlock`, `lock-timeout` and `busy`.
   */
  readonly retryOn?: readonly TransactionConflict[] | undefined;
  /**
   * Errors of the caller's to retry as well (say, a unique violation from a racing insert that
   * the next attempt will find): true retries `err`. Called with the attempt that failed.
   */
  readonly isRetryable?: ((err: unknown, attempt: number) => boolean) | undefined;
}

/** Options of `db.transaction()`. */
export interface TransactionOptions {
  /**
   * Runs the function again when it fails with a transaction conflict
   * (RWS_ORM_SERIALIZATION_FAILURE: serialization failure, deadlock, lock timeout, SQLite busy;
   * narrowed by `retryOn`) or an error `isRetryable` accepts, after a jittered exponential
   * pause. At the top level the whole transaction is rolled back and run again; nested, only
   * the savepoint's part is (a MySQL deadlock has already ended the whole transaction: give
   * the retry to the outermost call). Off by default: the function must be safe to run again.
   */
  readonly retry?: TransactionRetryOptions | undefined;
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
      return createPostgresDialect({ ...c, ...o.postgres, url: o.url, poolSize });
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
      checkRetry(options.retry);
      if (depth > 0) {
        // A savepoint inside the open transaction: the inner part can fail (and be retried) alone.
        const name = `rws_sp_${depth}`;
        // biome-ignore lint/suspicious/noExplicitAny: savepoint names are tracked in types only.
        const trx = kysely as unknown as ControlledTransaction<any, string[]>;
        let isTransactionGone = false;
        return withRetry(
          options.retry,
          async () => {
            // biome-ignore lint/suspicious/noExplicitAny: as above.
            const sp: ControlledTransaction<any, any> = await trx.savepoint(name).execute();
            try {
              const result = await fn(makeDb(state, sp, depth + 1));
              await sp.releaseSavepoint(name).execute();
              return result;
            } catch (err) {
              // A savepoint that cannot be rolled back to is gone with its transaction (InnoDB
              // ends the whole transaction on a deadlock): the failure is the caller's to see,
              // and running the part again would run it outside any transaction.
              await sp
                .rollbackToSavepoint(name)
                .execute()
                .catch(() => {
                  isTransactionGone = true;
                });
              throw err;
            }
          },
          () => isTransactionGone,
        );
      }
      return withRetry(options.retry, async () => {
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
          throw err;
        }
      });
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
