import { type Dialect, PostgresDialect, type PostgresPool } from 'kysely';
import { ERROR_CODES, OrmError } from '../errors.js';
import { type ErrorMapper, mappedDialect, networkTarget } from '../internal/mapped-dialect.js';

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
}

/**
 * A kysely Dialect for PostgreSQL through `pg`, loaded on first connection (an optional peer).
 * Constraint violations become OrmErrors; connection failures name host and database.
 */
export function createPostgresDialect(options: PostgresDialectOptions): Dialect {
  const target = networkTarget('postgres', 5432, options);
  const inner = new PostgresDialect({
    pool:
      options.pool ??
      (async () => {
        const pg = await import('pg');
        const Pool = pg.default.Pool;
        return new Pool({
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
        }) as unknown as PostgresPool;
      }),
  });
  return mappedDialect(inner, target, mapPostgresError);
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
    default:
      return undefined;
  }
};
