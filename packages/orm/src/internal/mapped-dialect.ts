import {
  type AbortableOperationOptions,
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { ERROR_CODES, OrmError } from '../errors.js';

/** Where a database lives, for connection-failure messages (never the password). */
export interface DbTarget {
  readonly dialect: 'postgres' | 'mysql' | 'sqlite';
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly database?: string | undefined;
}

/** The options a networked dialect is configured with: a URL, or host/port/database. */
interface TargetOptions {
  readonly url?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly database?: string | undefined;
}

/** The `DbTarget` of a networked dialect's options; `defaultPort` when none is given. */
export function networkTarget(
  dialect: 'postgres' | 'mysql',
  defaultPort: number,
  o: TargetOptions,
): DbTarget {
  if (o.url !== undefined) {
    const u = new URL(o.url);
    return {
      dialect,
      host: u.hostname,
      port: u.port === '' ? defaultPort : Number(u.port),
      database: decodeURIComponent(u.pathname.slice(1)),
    };
  }
  return {
    dialect,
    host: o.host ?? 'localhost',
    port: o.port ?? defaultPort,
    database: o.database,
  };
}

/** Turns a driver error into an OrmError, or returns undefined to rethrow it unchanged. */
export type ErrorMapper = (
  err: unknown,
  run: (sql: string, params?: readonly unknown[]) => Promise<QueryResult<Record<string, unknown>>>,
) => Promise<OrmError | undefined>;

const kMapped = Symbol('rws.orm.mapped');

/** The text that names a database in messages: `postgres database "test" at 127.0.0.1:5432`. */
function describeTarget(t: DbTarget): string {
  if (t.dialect === 'sqlite') return `sqlite database "${t.database ?? ':memory:'}"`;
  const at = t.host === undefined ? '' : ` at ${t.host}${t.port === undefined ? '' : `:${t.port}`}`;
  return `${t.dialect} database "${t.database ?? ''}"${at}`;
}

function connectionFailed(t: DbTarget, err: unknown): OrmError {
  if (err instanceof OrmError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new OrmError(
    ERROR_CODES.CONNECTION_FAILED,
    `cannot connect to ${describeTarget(t)}: ${reason}`,
    { cause: err, status: 503 },
  );
}

/**
 * Wraps a kysely Dialect so that its connections map constraint violations to OrmErrors and
 * connection failures name the host and database. The result is still a kysely Dialect: the
 * contract is used as it is (CONVENTIONS #10), only the connection's executeQuery is patched.
 */
export function mappedDialect(
  inner: Dialect,
  target: DbTarget,
  mapError: ErrorMapper,
  beforeQuery?: (query: CompiledQuery) => void,
): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createDriver: () => new MappedDriver(inner.createDriver(), target, mapError, beforeQuery),
  };
}

class MappedDriver implements Driver {
  readonly #inner: Driver;
  readonly #target: DbTarget;
  readonly #mapError: ErrorMapper;
  readonly #beforeQuery: ((query: CompiledQuery) => void) | undefined;

  constructor(
    inner: Driver,
    target: DbTarget,
    mapError: ErrorMapper,
    beforeQuery: ((query: CompiledQuery) => void) | undefined,
  ) {
    this.#inner = inner;
    this.#target = target;
    this.#mapError = mapError;
    this.#beforeQuery = beforeQuery;
  }

  async init(options?: AbortableOperationOptions): Promise<void> {
    try {
      await this.#inner.init(options);
    } catch (err) {
      throw connectionFailed(this.#target, err);
    }
  }

  // Per statement: kysely acquires and releases a connection around every query, so this and
  // the patched executeQuery below stay free of per-call closures and async frames (#16).
  acquireConnection(options?: AbortableOperationOptions): Promise<DatabaseConnection> {
    let acquired: Promise<DatabaseConnection>;
    try {
      acquired = this.#inner.acquireConnection(options);
    } catch (err) {
      return Promise.reject(connectionFailed(this.#target, err));
    }
    return acquired.then(this.#patch, this.#failed);
  }

  readonly #failed = (err: unknown): never => {
    throw connectionFailed(this.#target, err);
  };

  /** Patches a connection's executeQuery once (kysely's drivers reuse connection objects). */
  readonly #patch = (conn: DatabaseConnection): DatabaseConnection => {
    const patched = conn as DatabaseConnection & { [kMapped]?: true };
    if (patched[kMapped] === true) return conn;
    const execute = conn.executeQuery.bind(conn);
    const mapError = this.#mapError;
    const beforeQuery = this.#beforeQuery;
    const run = (sql: string, params: readonly unknown[] = []) =>
      execute<Record<string, unknown>>(CompiledQuery.raw(sql, [...params]));
    const mapped = async (err: unknown): Promise<never> => {
      throw (await mapError(err, run).catch(() => undefined)) ?? err;
    };
    patched.executeQuery = <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
      try {
        beforeQuery?.(query);
        return execute<R>(query).catch(mapped);
      } catch (err) {
        return mapped(err);
      }
    };
    patched[kMapped] = true;
    return conn;
  };

  beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#inner.beginTransaction(conn, settings);
  }
  commitTransaction(conn: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(conn);
  }
  rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(conn);
  }
  async savepoint(
    conn: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['savepoint']>>[2],
  ): Promise<void> {
    await this.#inner.savepoint?.(conn, name, compile);
  }
  async rollbackToSavepoint(
    conn: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['rollbackToSavepoint']>>[2],
  ): Promise<void> {
    await this.#inner.rollbackToSavepoint?.(conn, name, compile);
  }
  async releaseSavepoint(
    conn: DatabaseConnection,
    name: string,
    compile: Parameters<NonNullable<Driver['releaseSavepoint']>>[2],
  ): Promise<void> {
    await this.#inner.releaseSavepoint?.(conn, name, compile);
  }
  releaseConnection(conn: DatabaseConnection, options?: AbortableOperationOptions): Promise<void> {
    return this.#inner.releaseConnection(conn, options);
  }
  destroy(options?: AbortableOperationOptions): Promise<void> {
    return this.#inner.destroy(options);
  }
}
