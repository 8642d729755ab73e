import { type Dialect, MysqlDialect, type MysqlPool } from 'kysely';
import { ERROR_CODES, OrmError } from '../errors.js';
import { type ErrorMapper, mappedDialect, networkTarget } from '../internal/mapped-dialect.js';

/** Options of `createMysqlDialect` (MySQL 8 and MariaDB 10.6+). */
export interface MysqlDialectOptions {
  /** `mysql://user:password@host:port/database`; wins over the separate fields. */
  readonly url?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly database?: string | undefined;
  /** Pool size (default 10). */
  readonly poolSize?: number | undefined;
  /** A mysql2 pool you built yourself. */
  readonly pool?: MysqlPool | undefined;
}

/**
 * A kysely Dialect for MySQL/MariaDB through `mysql2`, loaded on first connection (an optional
 * peer). Dates are read and written as UTC; BIGINT and DECIMAL come back as strings so no
 * precision is lost (the model columns turn them into bigint and decimal strings).
 */
export function createMysqlDialect(options: MysqlDialectOptions): Dialect {
  const target = networkTarget('mysql', 3306, options);
  const inner = new MysqlDialect({
    pool:
      options.pool ??
      (async () => {
        const mysql = await import('mysql2');
        const fields =
          options.url === undefined
            ? {
                host: options.host,
                port: options.port,
                user: options.user,
                password: options.password,
                database: options.database,
              }
            : { uri: options.url };
        return mysql.createPool({
          ...(Object.fromEntries(
            Object.entries(fields).filter(([, v]) => v !== undefined),
          ) as Record<string, string>),
          connectionLimit: options.poolSize ?? 10,
          timezone: 'Z',
          supportBigNumbers: true,
          bigNumberStrings: true,
          dateStrings: false,
        }) as unknown as MysqlPool;
      }),
  });
  return mappedDialect(inner, target, mapMysqlError);
}

interface MysqlError {
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
  message?: string;
}

const FK_RE = /\(`[^`]*`\.`([^`]*)`, CONSTRAINT `([^`]*)` FOREIGN KEY \(([^)]*)\)/;

const mapMysqlError: ErrorMapper = async (err, run) => {
  const e = err as MysqlError;
  if (typeof e !== 'object' || e === null || typeof e.errno !== 'number') return undefined;
  const msg = e.sqlMessage ?? e.message ?? '';
  switch (e.errno) {
    case 1062: {
      // "Duplicate entry 'x' for key 'name'" (MariaDB) or 'table.name' (MySQL 8).
      const key = /for key '([^']*)'$/.exec(msg)?.[1] ?? '';
      const constraint = key.includes('.') ? key.slice(key.lastIndexOf('.') + 1) : key;
      // The message names neither table nor columns; the index does.
      const rows = await run(
        'select table_name as t, column_name as c from information_schema.statistics where table_schema = database() and index_name = ? order by seq_in_index',
        [constraint],
      );
      const first = rows.rows[0];
      return new OrmError(
        ERROR_CODES.UNIQUE_VIOLATION,
        `unique constraint "${constraint}" violated${first === undefined ? '' : ` on table "${String(first['t'])}"`}`,
        {
          cause: err,
          status: 409,
          constraint,
          table: first === undefined ? undefined : String(first['t']),
          columns: rows.rows.map((r) => String(r['c'])),
        },
      );
    }
    case 1451:
    case 1452: {
      const m = FK_RE.exec(msg);
      return new OrmError(
        ERROR_CODES.FOREIGN_KEY_VIOLATION,
        `foreign key constraint "${m?.[2] ?? ''}" violated on table "${m?.[1] ?? ''}"`,
        {
          cause: err,
          status: 409,
          constraint: m?.[2],
          table: m?.[1],
          columns:
            m?.[3] === undefined ? [] : m[3].split(',').map((c) => c.trim().replace(/`/g, '')),
        },
      );
    }
    case 1048:
    case 1364: {
      const column = /^(?:Column|Field) '([^']*)'/.exec(msg)?.[1];
      return new OrmError(ERROR_CODES.NOT_NULL_VIOLATION, `column "${column}" cannot be null`, {
        cause: err,
        status: 400,
        columns: column === undefined ? [] : [column],
      });
    }
    case 1213:
    case 1205:
      return new OrmError(ERROR_CODES.SERIALIZATION_FAILURE, `transaction failed: ${msg}`, {
        cause: err,
        status: 503,
        conflict: e.errno === 1213 ? 'deadlock' : 'lock-timeout',
      });
    default:
      if (e.sqlState === '40001')
        return new OrmError(ERROR_CODES.SERIALIZATION_FAILURE, `transaction failed: ${msg}`, {
          cause: err,
          status: 503,
          conflict: 'serialization',
        });
      return undefined;
  }
};
