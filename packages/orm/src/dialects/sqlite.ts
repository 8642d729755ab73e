import { type Dialect, type SqliteDatabase, SqliteDialect } from 'kysely';
import { ERROR_CODES, OrmError } from '../errors.js';
import { type ErrorMapper, mappedDialect } from '../internal/mapped-dialect.js';
import { cachingStatements } from '../internal/statement-cache.js';

/** Options of `createSqliteDialect`. */
export interface SqliteDialectOptions {
  /** A file path, or `:memory:` (default) for a private in-memory database. */
  readonly filename?: string | undefined;
  /** How long a write waits for another connection's lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number | undefined;
}

/**
 * A kysely Dialect for SQLite through `better-sqlite3`, loaded on first use (an optional
 * peer). Foreign keys are switched on, integers are read as bigint (no silent precision
 * loss; model columns convert), a file database uses WAL journaling, and prepared statements
 * are kept per SQL text (a bounded LRU of 256) instead of prepared for every query.
 */
export function createSqliteDialect(options: SqliteDialectOptions = {}): Dialect {
  const filename = options.filename ?? ':memory:';
  const inner = new SqliteDialect({
    database: async () => {
      const mod = await import('better-sqlite3');
      // The package is CommonJS (`module.exports = Database`): ESM sees it as the default.
      const Database = (mod as unknown as { default: typeof mod }).default;
      const db = new Database(filename, { timeout: options.busyTimeoutMs ?? 5000 });
      db.pragma('foreign_keys = ON');
      if (filename !== ':memory:') db.pragma('journal_mode = WAL');
      db.defaultSafeIntegers(true);
      // kysely prepares every query afresh; the same SQL text reuses its prepared statement.
      return cachingStatements(db as unknown as SqliteDatabase);
    },
  });
  return mappedDialect(inner, { dialect: 'sqlite', database: filename }, mapSqliteError);
}

interface SqliteError {
  code?: string;
  message?: string;
}

/** "UNIQUE constraint failed: users.email, users.x" → { table, columns } */
function failedColumns(message: string): { table?: string; columns: string[] } {
  const i = message.indexOf('failed: ');
  if (i < 0) return { columns: [] };
  const parts = message
    .slice(i + 8)
    .split(',')
    .map((p) => p.trim());
  const table = parts[0]?.split('.')[0];
  return {
    ...(table === undefined ? {} : { table }),
    columns: parts.map((p) => p.split('.')[1] ?? p),
  };
}

const mapSqliteError: ErrorMapper = async (err, run) => {
  const e = err as SqliteError;
  if (typeof e !== 'object' || e === null || typeof e.code !== 'string') return undefined;
  const msg = e.message ?? '';
  switch (e.code) {
    case 'SQLITE_CONSTRAINT_UNIQUE':
    case 'SQLITE_CONSTRAINT_PRIMARYKEY': {
      const { table, columns } = failedColumns(msg);
      // SQLite names the columns, not the index: find the unique index over exactly them.
      let constraint: string | undefined;
      if (table !== undefined) {
        const idx = await run(`select name from pragma_index_list(?) where "unique" = 1`, [table]);
        for (const row of idx.rows) {
          const name = String(row['name']);
          const cols = await run('select name from pragma_index_info(?) order by seqno', [name]);
          const names = cols.rows.map((r) => String(r['name']));
          if (names.length === columns.length && names.every((n, k) => n === columns[k])) {
            constraint = name;
            break;
          }
        }
      }
      return new OrmError(
        ERROR_CODES.UNIQUE_VIOLATION,
        `unique constraint ${constraint === undefined ? '' : `"${constraint}" `}violated on table "${table}"`,
        { cause: err, status: 409, constraint, table, columns },
      );
    }
    case 'SQLITE_CONSTRAINT_FOREIGNKEY':
      // SQLite reports no constraint, table or column for foreign-key failures.
      return new OrmError(ERROR_CODES.FOREIGN_KEY_VIOLATION, 'foreign key constraint violated', {
        cause: err,
        status: 409,
      });
    case 'SQLITE_CONSTRAINT_NOTNULL': {
      const { table, columns } = failedColumns(msg);
      return new OrmError(
        ERROR_CODES.NOT_NULL_VIOLATION,
        `column "${columns[0]}" of table "${table}" cannot be null`,
        { cause: err, status: 400, table, columns },
      );
    }
    default:
      if (e.code.startsWith('SQLITE_BUSY') || e.code.startsWith('SQLITE_LOCKED'))
        return new OrmError(ERROR_CODES.SERIALIZATION_FAILURE, `transaction failed: ${msg}`, {
          cause: err,
          status: 503,
          conflict: 'busy',
        });
      return undefined;
  }
};
