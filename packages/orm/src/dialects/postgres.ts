import { type Dialect, PostgresDialect, type PostgresPool } from 'kysely';
import { ERROR_CODES, OrmError } from '../errors.js';
import { type ErrorMapper, mappedDialect, networkTarget } from '../internal/mapped-dialect.js';
import {
  type PreparedStatementsMode,
  preparedStatementsConfig,
  StatementNames,
} from '../internal/pg-statement-names.js';

/** Options of `createPostgresDialect`. */
export interface PostgresDialectOptions {
  /** `postgres://user:password@host:port/database`; wins over the separate fields. */
  readonly url?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly database?: string | undefined;
  /** Pool size (default 10). */
  readonly poolSize?: number | undefined;
  /** A pg Pool you built yourself (then the other fields are only used in messages). */
  readonly pool?: PostgresPool | undefined;
  /**
   * Which statements run as named (server-side prepared) statements, parsed and planned once
   * per connection: `'marked'` (default) only those marked with `prepared()` (the ORM itself
   * marks none; @rws/jobs marks its claim and completion), `'all'` every statement sent with
   * parameters, `'off'` none. Use `'off'` behind a pooler in transaction mode that does not
   * track prepared statements (PgBouncer before 1.21, or with `max_prepared_statements = 0`).
   */
  readonly preparedStatements?: PreparedStatementsMode | undefined;
  /**
   * Named statements kept per connection (default 100); the least recently used one is
   * deallocated to make room.
   */
  readonly maxPreparedStatements?: number | undefined;
}

/**
 * A kysely Dialect for PostgreSQL through `pg`, loaded on first connection (an optional peer).
 * Constraint violations become OrmErrors; connection failures name host and database.
 */
export function createPostgresDialect(options: PostgresDialectOptions): Dialect {
  const target = networkTarget('postgres', 5432, options);
  const config = preparedStatementsConfig(
    options.preparedStatements,
    options.maxPreparedStatements,
  );
  const names = config.mode === 'off' ? undefined : new StatementNames(config);
  const given = options.pool;
  const inner = new PostgresDialect({
    pool:
      given !== undefined
        ? (names?.wrapPool(given) ?? given)
        : async () => {
            const pg = await import('pg');
            const Pool = pg.default.Pool;
            const pool = new Pool({
              ...(options.url === undefined
                ? {
                    host: options.host,
                    port: options.port,
                    user: options.user,
                    password: options.password,
                    database: options.database,
                  }
                : { connectionString: options.url }),
              max: options.poolSize ?? 10,
            });
            // An idle client whose server connection dies (a restart, pg_terminate_backend)
            // is dropped by the pool, which then emits 'error': unheard, that would end the
            // process. The next statement simply gets a new connection.
            pool.on('error', () => undefined);
            const kyselyPool = pool as unknown as PostgresPool;
            return names?.wrapPool(kyselyPool) ?? kyselyPool;
          },
  });
  return mappedDialect(inner, target, mapPostgresError, names && ((q) => names.noteQuery(q)));
}

interface PgError {
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  detail?: string;
  message?: string;
}

/** "Key (a, b)=(1, 2) already exists." → ['a', 'b'] */
function keyColumns(detail: string | undefined): string[] {
  const m = detail === undefined ? null : /^Key \(([^)]*)\)=/.exec(detail);
  return m?.[1] === undefined ? [] : m[1].split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
}

const mapPostgresError: ErrorMapper = async (err) => {
  const e = err as PgError;
  if (typeof e !== 'object' || e === null || typeof e.code !== 'string') return undefined;
  const base = { cause: err, constraint: e.constraint, table: e.table };
  switch (e.code) {
    case '23505':
      return new OrmError(
        ERROR_CODES.UNIQUE_VIOLATION,
        `unique constraint "${e.constraint}" violated on table "${e.table}"`,
        { ...base, status: 409, columns: keyColumns(e.detail) },
      );
    case '23503':
      return new OrmError(
        ERROR_CODES.FOREIGN_KEY_VIOLATION,
        `foreign key constraint "${e.constraint}" violated on table "${e.table}"`,
        { ...base, status: 409, columns: keyColumns(e.detail) },
      );
    case '23502':
      return new OrmError(
        ERROR_CODES.NOT_NULL_VIOLATION,
        `column "${e.column}" of table "${e.table}" cannot be null`,
        { ...base, status: 400, columns: e.column === undefined ? [] : [e.column] },
      );
    case '40001':
    case '40P01':
      return new OrmError(
        ERROR_CODES.SERIALIZATION_FAILURE,
        `transaction failed: ${e.code === '40P01' ? 'deadlock detected' : 'serialization failure'}`,
        { ...base, status: 503, conflict: e.code === '40P01' ? 'deadlock' : 'serialization' },
      );
    case '26000':
    case '42P05':
      return new OrmError(
        ERROR_CODES.PREPARED_STATEMENT_FAILED,
        `${e.message ?? 'prepared statement error'}: the connection's named statements are not what this client prepared; behind a pooler in transaction mode (PgBouncer before 1.21 or max_prepared_statements = 0) set postgres.preparedStatements to 'off'`,
        { ...base, status: 503 },
      );
    case '0A000':
      return e.message?.includes('cached plan') === true
        ? new OrmError(
            ERROR_CODES.PREPARED_STATEMENT_FAILED,
            `${e.message}: a prepared statement's table changed since it was prepared; it is prepared again on the next call`,
            { ...base, status: 503 },
          )
        : undefined;
    default:
      return undefined;
  }
};
