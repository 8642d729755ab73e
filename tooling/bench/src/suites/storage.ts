/**
 * `pnpm bench storage`: @rws/storage's S3 driver vs the AWS SDK v3 (`@aws-sdk/client-s3` with
 * `@aws-sdk/lib-storage`), uploading and downloading one 100 MiB object each round against the
 * same local S3 server (packages/storage's test server, which verifies every signature).
 *
 * A client benchmark, like `http1-client`: the suite's single target does the whole job in
 * `start()`. It runs packages/storage/bench/s3-server-process.ts pinned to the server CPU,
 * then packages/storage/bench/s3-vs-aws-sdk.ts pinned to the load CPU (workspace Node, the
 * `@rws/source` condition, tsx), streams the script's progress to stderr and its markdown table
 * to stdout, stops the server and exits the harness with the script's exit code. `--rounds`
 * and `--stat` are handed to the script; BENCH_SIZE_MIB sets the object size (default 100).
 */
import { announced, flagEnv, runScript, sourceScriptArgs } from '../bench-script.js';
import { LOAD_CPU, SERVER_CPU, spawnPinned } from '../process.js';
import { defineSuite } from '../suite.js';
import { REPO_ROOT } from '../targets.js';
import type { RunningTarget, Target } from '../types.js';

const BENCH_DIR = new URL('../../../../packages/storage/bench/', import.meta.url);
const SERVER_SCRIPT = new URL('s3-server-process.ts', BENCH_DIR).pathname;
const CLIENT_SCRIPT = new URL('s3-vs-aws-sdk.ts', BENCH_DIR).pathname;

const storageScript: Target = {
  name: 'storage',
  async start(): Promise<RunningTarget> {
    const server = spawnPinned(SERVER_CPU, process.execPath, sourceScriptArgs(SERVER_SCRIPT), {
      cwd: REPO_ROOT,
    });
    let code: number | null = 1;
    try {
      const endpoint = await announced(server, /endpoint (\S+)/, 'S3 server');
      console.error(
        `storage: S3 server on CPU ${SERVER_CPU} at ${endpoint}; clients on CPU ${LOAD_CPU}`,
      );
      code = await runScript(LOAD_CPU, sourceScriptArgs(CLIENT_SCRIPT), {
        ...flagEnv({ BENCH_ROUNDS: 'rounds', BENCH_STAT: 'stat' }),
        BENCH_S3_ENDPOINT: endpoint,
      });
    } finally {
      await server.stop();
    }
    // Nothing to hand back to the wrk loop: the script's table is the result.
    process.exit(code ?? 1);
  },
};

export default defineSuite({
  name: 'storage',
  description: '@rws/storage S3 driver vs AWS SDK v3 (lib-storage): 100 MiB upload/download MiB/s',
  subject: 'storage',
  targets: [storageScript],
  // Never run: the target exits the harness after the script (see above). A suite needs a case.
  cases: [{ name: 'transfer', load: { tool: 'wrk', path: '/', connections: 1 } }],
});
