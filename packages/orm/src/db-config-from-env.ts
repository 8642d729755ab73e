import type { DialectName } from './column.js';
import type { CreateDbOptions } from './create-db.js';
import { ERROR_CODES, OrmError } from './errors.js';

const BACKENDS: Readonly<Record<string, DialectName>> = {
  sqlite: 'sqlite',
  sqlite3: 'sqlite',
  postgres: 'postgres',
  postgresql: 'postgres',
  pg: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
};

/** The dialect a URL's scheme names: postgres://, postgresql://, mysql://, mariadb://, sqlite:. */
export function dialectOfUrl(url: string): DialectName {
  const scheme = url.slice(0, Math.max(0, url.indexOf(':'))).toLowerCase();
  const dialect = BACKENDS[scheme];
  if (dialect === undefined)
    throw new OrmError(
      ERROR_CODES.INVALID_CONFIG,
      `database URL scheme "${scheme}" is not one of postgres, postgresql, mysql, mariadb, sqlite`,
    );
  return dialect;
}

/**
 * Reads a database configuration from an environment object (pass `process.env`: libraries
 * never read it themselves). `RWS_DB_URL` wins; otherwise `RWS_DB_BACKEND` (sqlite, postgres,
 * mysql, mariadb) with `RWS_DB_HOST`, `RWS_DB_PORT`, `RWS_DB_USER`, `RWS_DB_PASSWORD`,
 * `RWS_DB_NAME` (the file for sqlite) and `RWS_DB_POOL_SIZE`. Returns undefined when neither
 * `RWS_DB_URL` nor `RWS_DB_BACKEND` is set.
 *
 * @example
 * ```ts
 * const config = dbConfigFromEnv(process.env);
 * const db = config === undefined ? createDb.memory() : createDb(config);
 * ```
 */
export function dbConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): CreateDbOptions | undefined {
  const poolRaw = env['RWS_DB_POOL_SIZE'];
  let poolSize: number | undefined;
  if (poolRaw !== undefined && poolRaw !== '') {
    poolSize = Number(poolRaw);
    if (!Number.isInteger(poolSize) || poolSize < 1)
      throw new OrmError(
        ERROR_CODES.INVALID_CONFIG,
        `RWS_DB_POOL_SIZE must be a positive integer, got "${poolRaw}"`,
      );
  }
  const pool = poolSize === undefined ? {} : { pool: { size: poolSize } };
  const url = env['RWS_DB_URL'];
  if (url !== undefined && url !== '') return { dialect: dialectOfUrl(url), url, ...pool };
  const backend = env['RWS_DB_BACKEND'];
  if (backend === undefined || backend === '') return undefined;
  const dialect = BACKENDS[backend.toLowerCase()];
  if (dialect === undefined)
    throw new OrmError(
      ERROR_CODES.INVALID_CONFIG,
      `RWS_DB_BACKEND must be sqlite, postgres or mysql (or mariadb), got "${backend}"`,
    );
  const portRaw = env['RWS_DB_PORT'];
  const port = portRaw === undefined || portRaw === '' ? undefined : Number(portRaw);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535))
    throw new OrmError(
      ERROR_CODES.INVALID_CONFIG,
      `RWS_DB_PORT must be a port number, got "${portRaw}"`,
    );
  const pick = (k: string) => {
    const v = env[k];
    return v === undefined || v === '' ? undefined : v;
  };
  if (dialect === 'sqlite')
    return { dialect, options: { filename: pick('RWS_DB_NAME') ?? ':memory:' }, ...pool };
  return {
    dialect,
    options: {
      host: pick('RWS_DB_HOST'),
      port,
      user: pick('RWS_DB_USER'),
      password: env['RWS_DB_PASSWORD'],
      database: pick('RWS_DB_NAME'),
    },
    ...pool,
  };
}
