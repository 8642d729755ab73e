/**
 * `pnpm bench mcp`: `tools/call` round trips per second of @rws/mcp against the official
 * TypeScript SDK's Streamable HTTP server on node:http (issue #19 target: ≥2x).
 *
 * Each call needs an MCP session and its own JSON-RPC id, which wrk's fixed request cannot
 * give, so (as the `http1-client` suite does) the single target does the whole job in
 * `start()`: it starts both servers pinned to the server CPU, runs
 * src/clients/mcp-tools-call.ts pinned to the load CPU (it alternates the servers each round
 * and prints the table), stops the servers and exits the harness with the script's exit code.
 * `--duration`, `--rounds`, `--warmup` and `--connections` (sockets; 4 calls in flight each)
 * are handed to the script.
 */
import { fileURLToPath } from 'node:url';
import { flagEnv, runScript, socketsEnv } from '../bench-script.js';
import { LOAD_CPU } from '../process.js';
import { defineSuite } from '../suite.js';
import { nodeScriptArgs, nodeServer, serverScript } from '../targets.js';
import type { RunningTarget, Target } from '../types.js';

const SCRIPT = fileURLToPath(new URL('../clients/mcp-tools-call.ts', import.meta.url));

const SERVERS = [
  nodeServer('@rws/mcp', serverScript('rws-mcp.ts')),
  nodeServer('SDK (node:http)', serverScript('sdk-mcp.ts')),
];

const runner: Target = {
  name: 'mcp',
  async start(): Promise<RunningTarget> {
    const running: RunningTarget[] = [];
    let code: number | null = 1;
    try {
      for (const s of SERVERS) running.push(await s.start());
      const env: Record<string, string> = {
        BENCH_TARGETS: SERVERS.map((s, i) => `${s.name}=${running[i]?.url}/mcp`).join(','),
        ...flagEnv({ BENCH_DURATION: 'duration', BENCH_ROUNDS: 'rounds', BENCH_WARMUP: 'warmup' }),
        ...socketsEnv(),
      };
      code = await runScript(LOAD_CPU, nodeScriptArgs(SCRIPT), env);
    } finally {
      await Promise.all(running.map((r) => r.stop()));
    }
    // Nothing to hand back to the wrk loop: the script's table is the result.
    process.exit(code ?? 1);
  },
};

export default defineSuite({
  name: 'mcp',
  description: '@rws/mcp vs the official SDK server: tools/call round trips per second',
  subject: 'mcp',
  targets: [runner],
  // Never run: the target exits the harness after the script (see above). A suite needs a case.
  cases: [{ name: 'tools-call', load: { tool: 'wrk', path: '/mcp', connections: 16 } }],
});
