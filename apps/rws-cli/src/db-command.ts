/**
 * `rws db migrate|rollback|status|new <name>`: runs @rws/orm migrations against the database
 * named by `--url`, else the RWS_DB_* environment variables, else `url` in the `[database]`
 * table of rws.config.toml (database-config.ts, shared with `rws jobs`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isRwsError } from '@rws/core';
import { type CreateDbOptions, createDb, createMigrator } from '@rws/orm';
import { DATABASE_OPTIONS_HELP, DatabaseUsageError, resolveDatabase } from './database-config.js';
import type { CliIo } from './main.js';

const DB_HELP = `Usage: rws db <command> [options]

Commands:
  migrate            apply every pending migration, in name order
  rollback [n]       revert the last n applied migrations (default 1)
  status             list migrations: applied (with time) or pending
  new <name>         create <dir>/<UTC timestamp>_<name>.sql and .down.sql

Options:
${DATABASE_OPTIONS_HELP}  --dir <path>        migrations folder (default: migrations)
  --table <name>      migrations table (default: rws_migrations)
  -h, --help          show this help

Exit codes: 0 success, 1 a database or migration failure, 2 a usage error.
`;

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,99}$/;

function stamp(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Runs `rws db …` (argv without `db`); returns the exit code. */
export async function runDbCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        config: { type: 'string' },
        dir: { type: 'string' },
        table: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  try {
    parsed = parse();
  } catch (err) {
    io.stderr(
      `rws db: ${err instanceof Error ? err.message : String(err)}\nRun rws db --help for usage.\n`,
    );
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, arg, ...extra] = positionals;
  if (values.help === true || command === undefined) {
    (command === undefined && values.help !== true ? io.stderr : io.stdout)(DB_HELP);
    return values.help === true ? 0 : 2;
  }
  const usage = (message: string) => {
    io.stderr(`rws db: ${message}\nRun rws db --help for usage.\n`);
    return 2;
  };
  if (extra.length > 0) return usage(`unexpected argument "${extra[0]}"`);
  const dir = resolve(io.cwd, values.dir ?? 'migrations');

  if (command === 'new') {
    if (arg === undefined || !NAME_RE.test(arg))
      return usage(
        'new needs a name of lower-case letters, digits, "_" or "-" (e.g. create_users)',
      );
    mkdirSync(dir, { recursive: true });
    const base = `${stamp(new Date())}_${arg}`;
    const up = join(dir, `${base}.sql`);
    const down = join(dir, `${base}.down.sql`);
    writeFileSync(up, `-- ${base}: up\n`, { flag: 'wx' });
    writeFileSync(down, `-- ${base}: down (undoes ${base}.sql)\n`, { flag: 'wx' });
    const show = (p: string) => {
      const rel = relative(io.cwd, p);
      return rel.startsWith('..') || isAbsolute(rel) ? p : rel;
    };
    io.stdout(`created ${show(up)}\ncreated ${show(down)}\n`);
    return 0;
  }
  if (command !== 'migrate' && command !== 'rollback' && command !== 'status')
    return usage(`unknown command "${command}" (migrate, rollback, status, new)`);
  let steps = 1;
  if (command === 'rollback' && arg !== undefined) {
    steps = Number(arg);
    if (!Number.isInteger(steps) || steps < 1)
      return usage(`rollback needs a positive integer, got "${arg}"`);
  } else if (arg !== undefined) return usage(`unexpected argument "${arg}"`);

  let config: CreateDbOptions;
  try {
    config = resolveDatabase(values, io);
  } catch (err) {
    if (err instanceof DatabaseUsageError) return usage(err.message);
    throw err;
  }

  const db = createDb(config);
  try {
    const migrator = createMigrator(db, { dir, table: values.table });
    if (command === 'migrate') {
      const applied = await migrator.migrate();
      io.stdout(
        applied.length === 0
          ? 'nothing to migrate\n'
          : applied.map((n) => `applied ${n}\n`).join(''),
      );
    } else if (command === 'rollback') {
      const reverted = await migrator.rollback(steps);
      io.stdout(
        reverted.length === 0
          ? 'nothing to roll back\n'
          : reverted.map((n) => `reverted ${n}\n`).join(''),
      );
    } else {
      const rows = await migrator.status();
      if (rows.length === 0) io.stdout(`no migrations in ${dir}\n`);
      for (const r of rows) {
        const state = r.isMissing ? 'missing' : r.isApplied ? 'applied' : 'pending';
        io.stdout(
          `${state.padEnd(8)} ${r.name}${r.appliedAt === null ? '' : `  ${r.appliedAt}`}\n`,
        );
      }
    }
    return 0;
  } catch (err) {
    const code = isRwsError(err) ? ` [${err.code}]` : '';
    io.stderr(`rws db ${command}: ${err instanceof Error ? err.message : String(err)}${code}\n`);
    return 1;
  } finally {
    await db.close();
  }
}
