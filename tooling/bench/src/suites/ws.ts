/**
 * `pnpm bench ws`: WebSocket echo and broadcast fan-out of @rws/http1/websocket against the
 * `ws` package, in one run (issue #14 target: ≥1.2x `ws`), with server memory per idle socket.
 *
 * wrk and h2load speak no WebSocket, so (as the `router` and `mcp` suites do) the single target
 * does the whole job in `start()`: it runs packages/http1/bench/websocket.ts pinned to the load
 * CPU (CPU 1) with the workspace's Node, the `@rws/source` condition and tsx (and the `--nice`
 * level). The script starts each server as its own process pinned to the server CPU (CPU 0,
 * through BENCH_SERVER_CPU), alternates the two servers each round, drives them with raw-socket
 * clients (packages/http1/bench/raw-ws-client.ts) and prints the table; the harness then exits
 * with the script's exit code.
 * `--duration` (echo seconds), `--warmup`, `--rounds` and `--connections` (echo clients,
 * default 100) are handed to the script; BENCH_BROADCAST_CLIENTS (default 1 000) sets the
 * broadcast fan-out. uWebSockets.js is not a peer: it is not published on the npm registry.
 */
import { fileURLToPath } from 'node:url';
import { flagEnv, runScript } from '../bench-script.js';
import { LOAD_CPU, SERVER_CPU } from '../process.js';
import { defineSuite } from '../suite.js';
import { nodeScriptArgs } from '../targets.js';
import type { RunningTarget, Target } from '../types.js';

const SCRIPT = fileURLToPath(
  new URL('../../../../packages/http1/bench/websocket.ts', import.meta.url),
);

const runner: Target = {
  name: 'ws',
  async start(): Promise<RunningTarget> {
    const env: Record<string, string> = {
      BENCH_SERVER_CPU: String(SERVER_CPU),
      ...flagEnv({
        BENCH_DURATION: 'duration',
        BENCH_ROUNDS: 'rounds',
        BENCH_WARMUP: 'warmup',
        BENCH_CONNECTIONS: 'connections',
      }),
    };
    console.error(
      `ws: running ${SCRIPT} on CPU ${LOAD_CPU}, its servers (rws, ws) on CPU ${SERVER_CPU}`,
    );
    const code = await runScript(LOAD_CPU, nodeScriptArgs(SCRIPT), env);
    // Nothing to hand back to the wrk loop: the script's table is the result.
    process.exit(code ?? 1);
  },
};

export default defineSuite({
  name: 'ws',
  description: '@rws/http1/websocket vs the ws package: echo messages/s, broadcast fan-out, memory',
  subject: 'ws',
  targets: [runner],
  // Never run: the target exits the harness after the script (see above). A suite needs a case.
  cases: [{ name: 'echo-broadcast', load: { tool: 'wrk', path: '/', connections: 100 } }],
});
