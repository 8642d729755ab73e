/**
 * The database of `rws db` and `rws jobs`, resolved one way for both: `--url`, else the RWS_DB_*
 * environment variables, else `url` in the `[database]` table of rws.config.toml. The server's
 * config parser checks `[database]` with the same `checkDatabaseTable`, so a file that `rws`
 * accepts is one these commands can read.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type CreateDbOptions, dbConfigFromEnv, dialectOfUrl } from '@rws/orm';
import { parse } from 'smol-toml';
import { didYouMean } from './internal/did-you-mean.js';
import type { CliIo } from './main.js';

/** A database that cannot be resolved from the command line, env or file (exit code 2). */
export class DatabaseUsageError extends Error {
  override name = 'DatabaseUsageError';
}

/** The `--url` and `--config` lines of the help of every command that opens the database. */
export const DATABASE_OPTIONS_HELP = `  --url <url>         database URL (postgres://, mysql://, mariadb://, sqlite:path); default:
                      env RWS_DB_URL (or RWS_DB_BACKEND with RWS_DB_HOST, RWS_DB_PORT,
                      RWS_DB_USER, RWS_DB_PASSWORD, RWS_DB_NAME, RWS_DB_POOL_SIZE), then url
                      in the [database] table of the config file
  --config <file>     the config file to read [database] from (default: rws.config.toml)
`;

/** The keys `[database]` may hold. */
const DATABASE_KEYS = ['url'] as const;

/** A problem in `[database]`: its key path below the table and what is wrong. */
export interface DatabaseTableProblem {
  key: readonly string[];
  message: string;
  hint?: string | undefined;
}

/**
 * Checks the value of the `[database]` table: a table whose only key is `url`, a string with a
 * scheme @rws/orm knows. Returns the url (or undefined) and every problem found.
 */
export function checkDatabaseTable(value: unknown): {
  url: string | undefined;
  problems: DatabaseTableProblem[];
} {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date)
    return { url: undefined, problems: [{ key: [], message: 'must be a table ([database])' }] };
  const table = value as Record<string, unknown>;
  const problems: DatabaseTableProblem[] = [];
  for (const name of Object.keys(table)) {
    if ((DATABASE_KEYS as readonly string[]).includes(name)) continue;
    const suggestion = didYouMean(name, DATABASE_KEYS);
    problems.push({
      key: [name],
      message: 'unknown key',
      hint: suggestion === null ? undefined : `did you mean "${suggestion}"?`,
    });
  }
  const url = table['url'];
  if (url === undefined) return { url: undefined, problems };
  if (typeof url !== 'string' || url === '') {
    problems.push({ key: ['url'], message: 'must be a database URL string' });
    return { url: undefined, problems };
  }
  try {
    dialectOfUrl(url);
  } catch (err) {
    problems.push({ key: ['url'], message: err instanceof Error ? err.message : String(err) });
    return { url: undefined, problems };
  }
  return { url, problems };
}

/** The JSON Schema of `[database]`, for the generated rws.config.schema.json. */
export const DATABASE_JSON_SCHEMA: Readonly<Record<string, unknown>> = {
  type: 'object',
  description:
    'The database of `rws db` and `rws jobs` when neither --url nor RWS_DB_URL / RWS_DB_BACKEND is set.',
  additionalProperties: false,
  properties: {
    url: {
      type: 'string',
      pattern: '^(postgres|postgresql|mysql|mariadb|sqlite):',
      description:
        'postgres://, mysql://, mariadb:// or sqlite:path (a relative SQLite path is relative to the config file).',
      examples: ['postgres://app@127.0.0.1:5432/app', 'sqlite:data/app.db'],
    },
  },
};

/**
 * The database from `url` (the --url flag), then `io.env`, then `[database] url` of `config`
 * (default rws.config.toml in `io.cwd`). Throws `DatabaseUsageError` naming what is missing or
 * wrong.
 */
export function resolveDatabase(
  options: { url?: string | undefined; config?: string | undefined },
  io: Pick<CliIo, 'env' | 'cwd' | 'readFile'>,
): CreateDbOptions {
  try {
    if (options.url !== undefined) return { dialect: dialectOfUrl(options.url), url: options.url };
    const fromEnv = dbConfigFromEnv(io.env);
    if (fromEnv !== undefined) return fromEnv;
  } catch (err) {
    throw new DatabaseUsageError(err instanceof Error ? err.message : String(err));
  }
  const file = resolve(io.cwd, options.config ?? 'rws.config.toml');
  let text: string;
  try {
    text = (io.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(file);
  } catch {
    if (options.config !== undefined)
      throw new DatabaseUsageError(`cannot read the config file ${file}`);
    throw new DatabaseUsageError(
      'no database: pass --url, set RWS_DB_URL (or RWS_DB_BACKEND), or set url in [database] of rws.config.toml',
    );
  }
  let database: unknown;
  try {
    database = (parse(text) as Record<string, unknown>)['database'];
  } catch (err) {
    throw new DatabaseUsageError(
      `${file}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
    );
  }
  if (database === undefined)
    throw new DatabaseUsageError(`no database: ${file} has no url in [database]`);
  const { url, problems } = checkDatabaseTable(database);
  const first = problems[0];
  if (first !== undefined)
    throw new DatabaseUsageError(
      `${file}: ${['database', ...first.key].join('.')}: ${first.message}${first.hint === undefined ? '' : ` (${first.hint})`}`,
    );
  if (url === undefined)
    throw new DatabaseUsageError(`no database: ${file} has no url in [database]`);
  // A relative SQLite path is relative to the config file's folder, as the server's paths are.
  const isRelativeSqlite =
    url.startsWith('sqlite:') && !url.startsWith('sqlite:/') && url !== 'sqlite::memory:';
  const full = isRelativeSqlite ? `sqlite:${resolve(file, '..', url.slice(7))}` : url;
  return { dialect: dialectOfUrl(full), url: full };
}
