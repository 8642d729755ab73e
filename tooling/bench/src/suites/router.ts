/**
 * `pnpm bench router`: the in-process lookup benchmark of @rws/router
 * (packages/router/bench/router.ts: @rws/router vs find-my-way, rou3, hono RegExpRouter and
 * TrieRouter, 20 and 200 routes) run through the harness.
 *
 * This is not an HTTP load benchmark, and the harness only knows server targets measured by
 * wrk/h2load. Rather than teach the harness a second kind of suite for one script, this suite's
 * single target does the whole job in `start()`: it runs the script pinned to the server CPU
 * (`taskset -c 0`, and the `--nice` level, through `spawnPinned`) with the workspace's Node,
 * the `@rws/source` condition and tsx, streams its progress to stderr and its markdown table
 * to stdout, and then exits the harness with the script's exit code — there is no server
 * left for wrk to measure. `--duration`, `--rounds`, `--warmup` and `--connections` do not
 * apply; the script reads `BENCH_ROUNDS` (default 21 rounds) and `BENCH_ITERATIONS`
 * (default 200 000 lookups per sample) from the environment.
 */
import { fileURLToPath } from 'node:url';
import { runScript, sourceScriptArgs } from '../bench-script.js';
import { SERVER_CPU } from '../process.js';
import { defineSuite } from '../suite.js';
import type { RunningTarget, Target } from '../types.js';

const SCRIPT = fileURLToPath(
  new URL('../../../../packages/router/bench/router.ts', import.meta.url),
);

const lookupScript: Target = {
  name: 'router-lookup',
  async start(): Promise<RunningTarget> {
    console.error(`router: running ${SCRIPT} pinned to CPU ${SERVER_CPU} (in-process, no wrk)`);
    const code = await runScript(SERVER_CPU, sourceScriptArgs(SCRIPT));
    // Nothing to hand back to the wrk loop: the script's table is the result.
    process.exit(code ?? 1);
  },
};

export default defineSuite({
  name: 'router',
  description: 'in-process router lookup: @rws/router vs find-my-way, rou3, hono (no HTTP)',
  subject: 'router-lookup',
  targets: [lookupScript],
  // Never run: the target exits the harness after the script (see above). A suite needs a case.
  cases: [{ name: 'lookup', load: { tool: 'wrk', path: '/', connections: 1 } }],
});
