/**
 * `rws jobs status|failed|show|retry|delete`: inspects and repairs the @rws/jobs queues kept in
 * a database. The database comes from `--url`, else the RWS_DB_* environment variables, else
 * `url` in the `[database]` table of rws.config.toml (database-config.ts, shared with `rws db`).
 */
import { parseArgs } from 'node:util';
import { isRwsError } from '@rws/core';
import { createSqlStore, type JobRecord, type JobStore } from '@rws/jobs';
import { type CreateDbOptions, createDb } from '@rws/orm';
import { DATABASE_OPTIONS_HELP, DatabaseUsageError, resolveDatabase } from './database-config.js';
import type { CliIo } from './main.js';

const JOBS_HELP = `Usage: rws jobs <command> [options]

Commands:
  status              jobs per queue and state (waiting, active, completed, failed, cancelled)
  failed              failed jobs with their attempts and last error, oldest first
  show <id>           one job, as JSON
  retry <id>...       move failed or cancelled jobs back to waiting, attempts reset
  retry --all-failed  every failed job (of --queue, or of every queue)
  delete <id>...      delete jobs that are not running

Options:
${DATABASE_OPTIONS_HELP}  --table <name>      jobs table (default: rws_jobs)
  --queue <name>      only this queue (status, failed, retry --all-failed)
  --limit <n>         at most n failed jobs per queue (default 100)
  --json              print JSON
  -h, --help          show this help

Exit codes: 0 success, 1 a database failure or a job that could not be changed, 2 a usage error.
`;

type Values = {
  url?: string;
  config?: string;
  table?: string;
  queue?: string;
  limit?: string;
  json?: boolean;
  'all-failed'?: boolean;
  help?: boolean;
};

const STATES = ['waiting', 'active', 'completed', 'failed', 'cancelled'] as const;

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
    )
    .join('\n')
    .concat('\n');
}

async function run(
  command: string,
  ids: readonly string[],
  values: Values,
  store: JobStore,
  io: CliIo,
): Promise<number> {
  const queues = values.queue === undefined ? await store.queues() : [values.queue];
  const json = values.json === true;
  if (command === 'status') {
    const counts = await Promise.all(
      queues.map(async (q) => ({ queue: q, ...(await store.counts(q)) })),
    );
    if (json) io.stdout(`${JSON.stringify(counts, null, 2)}\n`);
    else if (counts.length === 0) io.stdout('no jobs\n');
    else
      io.stdout(
        table([
          ['queue', ...STATES],
          ...counts.map((c) => [c.queue, ...STATES.map((s) => String(c[s]))]),
        ]),
      );
    return 0;
  }
  if (command === 'failed') {
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    const failed: JobRecord[] = [];
    for (const q of queues) failed.push(...(await store.list(q, 'failed', { limit })));
    if (json) io.stdout(`${JSON.stringify(failed, null, 2)}\n`);
    else if (failed.length === 0) io.stdout('no failed jobs\n');
    else
      for (const j of failed)
        io.stdout(
          `${j.id}  queue ${j.queue}  ${j.name}  attempts ${j.attempts}/${j.maxAttempts}  failed ${new Date(j.updatedAt).toISOString()}\n  ${(j.error ?? '(no error recorded)').replaceAll('\n', '\n  ')}\n`,
        );
    return 0;
  }
  if (command === 'show') {
    const job = await store.get(ids[0] as string);
    if (job === null) {
      io.stderr(`rws jobs show: no job ${ids[0]}\n`);
      return 1;
    }
    io.stdout(`${JSON.stringify(job, null, 2)}\n`);
    return 0;
  }
  let targets = ids;
  if (command === 'retry' && values['all-failed'] === true) {
    const all: string[] = [];
    for (const q of queues)
      all.push(...(await store.list(q, 'failed', { limit: 1_000_000 })).map((j) => j.id));
    targets = all;
    if (all.length === 0) io.stdout('no failed jobs\n');
  }
  let code = 0;
  for (const id of targets) {
    const job = await store.get(id);
    const ok =
      job !== null &&
      (command === 'retry' ? await store.retry(id, { now: Date.now() }) : await store.remove(id));
    if (ok) io.stdout(`${command === 'retry' ? 'retried' : 'deleted'} ${id}\n`);
    else {
      code = 1;
      io.stderr(
        `rws jobs ${command}: ${
          job === null
            ? `no job ${id}`
            : command === 'retry'
              ? `job ${id} is ${job.state}; only failed or cancelled jobs can be retried`
              : `job ${id} is running; cancel it or wait for it to finish`
        }\n`,
      );
    }
  }
  return code;
}

/** Runs `rws jobs …` (argv without `jobs`); returns the exit code. */
export async function runJobsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const usage = (message: string) => {
    io.stderr(`rws jobs: ${message}\nRun rws jobs --help for usage.\n`);
    return 2;
  };
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        config: { type: 'string' },
        table: { type: 'string' },
        queue: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        'all-failed': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usage(err instanceof Error ? err.message : String(err));
  }
  const [command, ...ids] = positionals;
  if (values.help === true || command === undefined) {
    (values.help === true ? io.stdout : io.stderr)(JOBS_HELP);
    return values.help === true ? 0 : 2;
  }
  if (!['status', 'failed', 'show', 'retry', 'delete'].includes(command))
    return usage(`unknown command "${command}" (status, failed, show, retry, delete)`);
  if ((command === 'status' || command === 'failed') && ids.length > 0)
    return usage(`unexpected argument "${ids[0]}"`);
  if (command === 'show' && ids.length !== 1) return usage('show needs one job id');
  if (command === 'retry' && ids.length > 0 === (values['all-failed'] === true))
    return usage('retry needs job ids or --all-failed (not both)');
  if (command !== 'retry' && values['all-failed'] === true)
    return usage('--all-failed goes with retry only');
  if (command === 'delete' && ids.length === 0) return usage('delete needs job ids');
  if (values.limit !== undefined && !/^[1-9][0-9]*$/.test(values.limit))
    return usage(`--limit needs a positive integer, got "${values.limit}"`);

  let config: CreateDbOptions;
  try {
    config = resolveDatabase(values, io);
  } catch (err) {
    if (err instanceof DatabaseUsageError) return usage(err.message);
    throw err;
  }
  const db = createDb(config);
  try {
    // No init(): inspecting must not create the tables in a database that has none.
    const store = createSqlStore({ db, table: values.table });
    return await run(command, ids, values, store, io);
  } catch (err) {
    if (isRwsError(err, 'RWS_JOBS_INVALID_OPTIONS')) return usage(err.message);
    const code = isRwsError(err) ? ` [${err.code}]` : '';
    io.stderr(`rws jobs ${command}: ${err instanceof Error ? err.message : String(err)}${code}\n`);
    return 1;
  } finally {
    await db.close();
  }
}
