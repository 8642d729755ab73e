/**
 * `pnpm bench http1-client`: the @rws/http1 client `Pool` vs undici's `Pool`, both fetching
 * nginx's hello world over keep-alive (16 sockets, 64 requests in flight, no pipelining).
 *
 * A client benchmark, so the load generator is the thing measured and wrk has no part in it.
 * As in the `router` suite, the suite's single target does the whole job in `start()`: it
 * starts nginx with the hello-world config (pinned to the server CPU, CPU 0), runs
 * src/clients/http1-pool.ts pinned to the load CPU (CPU 1) with the workspace's Node, the
 * `@rws/source` condition and tsx (and the `--nice` level), streams the script's progress to
 * stderr and its markdown table to stdout, stops nginx and exits the harness with the
 * script's exit code. `--duration`, `--rounds`, `--warmup` and `--stat` are handed to the
 * script (it alternates the two clients each round); `--connections` sets the socket count
 * (default 16; 4 requests in flight per socket).
 */
import { fileURLToPath } from 'node:url';
import { flagEnv, runScript, socketsEnv, sourceScriptArgs } from '../bench-script.js';
import { HELLO_BODY } from '../peers.js';
import { LOAD_CPU, SERVER_CPU } from '../process.js';
import { defineSuite } from '../suite.js';
import { nginxServer } from '../targets.js';
import type { RunningTarget, Target } from '../types.js';

const SCRIPT = fileURLToPath(new URL('../clients/http1-pool.ts', import.meta.url));

/** The harness flags the script honours. */
function scriptEnv(): Record<string, string> {
  return {
    ...flagEnv({
      BENCH_DURATION: 'duration',
      BENCH_ROUNDS: 'rounds',
      BENCH_WARMUP: 'warmup',
      BENCH_STAT: 'stat',
    }),
    ...socketsEnv(),
  };
}

const clientScript: Target = {
  name: 'http1-client',
  async start(): Promise<RunningTarget> {
    const nginx = await nginxServer(
      'nginx',
      `    location / { return 200 "${HELLO_BODY}"; }`,
    ).start();
    let code: number | null = 1;
    try {
      console.error(
        `http1-client: nginx on CPU ${SERVER_CPU} at ${nginx.url}; running ${SCRIPT} on CPU ${LOAD_CPU}`,
      );
      code = await runScript(LOAD_CPU, sourceScriptArgs(SCRIPT), {
        ...scriptEnv(),
        BENCH_URL: nginx.url,
      });
    } finally {
      await nginx.stop();
    }
    // Nothing to hand back to the wrk loop: the script's table is the result.
    process.exit(code ?? 1);
  },
};

export default defineSuite({
  name: 'http1-client',
  description: '@rws/http1 client Pool vs undici Pool, fetching nginx hello world (keep-alive)',
  subject: 'http1-client',
  targets: [clientScript],
  // Never run: the target exits the harness after the script (see above). A suite needs a case.
  cases: [{ name: 'pool', load: { tool: 'wrk', path: '/', connections: 16 } }],
});
