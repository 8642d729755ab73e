import { RwsError } from '@rws/core';

/**
 * Every error code @rws/orm throws. docs/errors.md lists the same codes; a test keeps the two
 * in step.
 */
export const ERROR_CODES = {
  INVALID_CONFIG: 'RWS_ORM_INVALID_CONFIG',
  CONNECTION_FAILED: 'RWS_ORM_CONNECTION_FAILED',
  UNIQUE_VIOLATION: 'RWS_ORM_UNIQUE_VIOLATION',
  FOREIGN_KEY_VIOLATION: 'RWS_ORM_FOREIGN_KEY_VIOLATION',
  NOT_NULL_VIOLATION: 'RWS_ORM_NOT_NULL_VIOLATION',
  SERIALIZATION_FAILURE: 'RWS_ORM_SERIALIZATION_FAILURE',
  NOT_FOUND: 'RWS_ORM_NOT_FOUND',
  INVALID_CURSOR: 'RWS_ORM_INVALID_CURSOR',
  INVALID_QUERY: 'RWS_ORM_INVALID_QUERY',
  MIGRATION_FAILED: 'RWS_ORM_MIGRATION_FAILED',
  MIGRATION_LOCKED: 'RWS_ORM_MIGRATION_LOCKED',
  PREPARED_STATEMENT_FAILED: 'RWS_ORM_PREPARED_STATEMENT_FAILED',
} as const;

/** A code @rws/orm throws. */
export type OrmErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<OrmErrorCode, string>> = {
  RWS_ORM_INVALID_CONFIG:
    "A database configuration (createDb options, a URL or RWS_DB_* variables) or a transaction's retry options are invalid; the message names the key and the value.",
  RWS_ORM_CONNECTION_FAILED:
    'The database could not be reached; the message names the dialect, host, port and database (never the password).',
  RWS_ORM_UNIQUE_VIOLATION:
    'A write broke a unique constraint; the error carries the constraint, table and columns where the database reports them.',
  RWS_ORM_FOREIGN_KEY_VIOLATION:
    'A write broke a foreign-key constraint; the error carries the constraint name where the database reports it (not SQLite).',
  RWS_ORM_NOT_NULL_VIOLATION:
    'A write left a NOT NULL column empty; the error carries the table and column.',
  RWS_ORM_SERIALIZATION_FAILURE:
    'A transaction failed on a serialization conflict or deadlock (after the configured retries, if any).',
  RWS_ORM_NOT_FOUND: 'findOrFail found no row for the key (status 404).',
  RWS_ORM_INVALID_CURSOR:
    'A keyset pagination cursor is malformed, was tampered with, or belongs to another ordering (status 400).',
  RWS_ORM_INVALID_QUERY:
    'A repository call names an unknown column or relation, or has an invalid limit, page or ordering.',
  RWS_ORM_MIGRATION_FAILED:
    'A migration file failed to run or load, or a rollback has no down step; the message names the migration.',
  RWS_ORM_MIGRATION_LOCKED:
    'Another process holds the migration lock and did not release it within lockTimeoutMs.',
  RWS_ORM_PREPARED_STATEMENT_FAILED:
    "PostgreSQL: a named prepared statement was missing on its connection or no longer fit its table (it is prepared again on the next call); repeated, a pooler in transaction mode is switching server connections: set postgres.preparedStatements to 'off'.",
};

/**
 * What kind of conflict failed a transaction (RWS_ORM_SERIALIZATION_FAILURE):
 * - `serialization`: PostgreSQL 40001, MySQL SQLSTATE 40001;
 * - `deadlock`: PostgreSQL 40P01, MySQL/MariaDB 1213 (InnoDB rolled the whole transaction back);
 * - `lock-timeout`: MySQL/MariaDB 1205 (a lock wait ran past innodb_lock_wait_timeout);
 * - `busy`: SQLite SQLITE_BUSY / SQLITE_LOCKED (another connection holds the write lock).
 */
export type TransactionConflict = 'serialization' | 'deadlock' | 'lock-timeout' | 'busy';

/** Options of an `OrmError`. */
export interface OrmErrorOptions {
  status?: number | undefined;
  cause?: unknown;
  /** The constraint the database named (unique and foreign-key violations). */
  constraint?: string | undefined;
  /** The table the database named. */
  table?: string | undefined;
  /** The columns involved, as the database names them (snake_case). */
  columns?: readonly string[] | undefined;
  /** RWS_ORM_SERIALIZATION_FAILURE: the kind of conflict. */
  conflict?: TransactionConflict | undefined;
}

/**
 * An error from @rws/orm. Constraint violations carry `constraint`, `table` and `columns` as
 * far as the database reports them (docs/orm.md lists what each dialect reports);
 * transaction conflicts carry `conflict`.
 */
export class OrmError extends RwsError {
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly columns: readonly string[];
  /** RWS_ORM_SERIALIZATION_FAILURE: the kind of conflict (which `retry.retryOn` selects by). */
  readonly conflict: TransactionConflict | undefined;

  constructor(code: OrmErrorCode, message: string, options: OrmErrorOptions = {}) {
    super(code, message, { status: options.status, cause: options.cause });
    this.name = 'OrmError';
    this.constraint = options.constraint;
    this.table = options.table;
    this.columns = options.columns ?? [];
    this.conflict = options.conflict;
  }
}
