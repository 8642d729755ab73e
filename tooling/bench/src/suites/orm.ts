/**
 * `pnpm bench orm`: @rws/orm repository operations (insert, find by id, a keyset page, update)
 * against raw kysely, the raw driver, drizzle-orm and knex on PostgreSQL, MySQL/MariaDB and
 * SQLite, in one run (packages/orm/bench/repository.ts).
 *
 * A database benchmark, not an HTTP one: like `router`, the suite's single target does the
 * whole job in `start()`. It runs the script pinned to the load CPU (the databases are other
 * processes, free to use the rest of the machine) with the workspace's Node, the `@rws/source`
 * condition and tsx, streams its progress to stderr and its markdown tables to stdout, and exits
 * the harness with the script's exit code. `--rounds` is handed to the script as BENCH_ROUNDS;
 * BENCH_ITERATIONS (calls per operation and round) and BENCH_DATABASES pass through the
 * environment.
 */
import { flagEnv, runScript, sourceScriptArgs } from '../bench-script.js';
import { LOAD_CPU } from '../process.js';
import { defineSuite } from '../suite.js';
import type { RunningTarget, Target } from '../types.js';

const SCRIPT = new URL('../../../../packages/orm/bench/repository.ts', import.meta.url).pathname;

const ormScript: Target = {
  name: 'orm',
  async start(): Promise<RunningTarget> {
    console.error(`orm: running ${SCRIPT} pinned to CPU ${LOAD_CPU} (in-process, no wrk)`);
    const code = await runScript(
      LOAD_CPU,
      sourceScriptArgs(SCRIPT),
      flagEnv({ BENCH_ROUNDS: 'rounds' }),
    );
    // Nothing to hand back to the wrk loop: the script's tables are the result.
    process.exit(code ?? 1);
  },
};

export default defineSuite({
  name: 'orm',
  description:
    '@rws/orm repository vs kysely, raw driver, drizzle-orm, knex on PostgreSQL, MySQL, SQLite',
  subject: 'orm',
  targets: [ormScript],
  // Never run: the target exits the harness after the script (see above). A suite needs a case.
  cases: [{ name: 'repository', load: { tool: 'wrk', path: '/', connections: 1 } }],
});
