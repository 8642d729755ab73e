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
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { LOAD_CPU, spawnPinned } from '../process.js';
import { defineSuite } from '../suite.js';
import { nodeScriptArgs, nodeServer, REPO_ROOT, serverScript } from '../targets.js';
import type { RunningTarget, Target } from '../types.js';

const SCRIPT = fileURLToPath(new URL('../clients/mcp-tools-call.ts', import.meta.url));

const SERVERS = [
  nodeServer('@rws/mcp', serverScript('rws-mcp.ts')),
  nodeServer('SDK (node:http)', serverScript('sdk-mcp.ts')),
];

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  const inline = process.argv.find((a) => a.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3) ?? (i >= 0 ? process.argv[i + 1] : undefined);
}

const runner: Target = {
  name: 'mcp',
  async start(): Promise<RunningTarget> {
    const running: RunningTarget[] = [];
    let code: number | null = 1;
    try {
      for (const s of SERVERS) running.push(await s.start());
      const env: Record<string, string> = {
        BENCH_TARGETS: SERVERS.map((s, i) => `${s.name}=${running[i]?.url}/mcp`).join(','),
      };
      for (const [key, name] of [
        ['BENCH_DURATION', 'duration'],
        ['BENCH_ROUNDS', 'rounds'],
        ['BENCH_WARMUP', 'warmup'],
      ] as const) {
        const v = flag(name);
        if (v !== undefined) env[key] = v;
      }
      const sockets = flag('connections') ?? process.env['BENCH_CONNECTIONS'];
      if (sockets !== undefined && sockets !== '') {
        env['BENCH_SOCKETS'] = sockets;
        env['BENCH_CONCURRENCY'] = String(Number(sockets) * 4);
      }
      const proc = spawnPinned(LOAD_CPU, process.execPath, nodeScriptArgs(SCRIPT), {
        env: { ...process.env, NODE_ENV: 'production', ...env },
        cwd: REPO_ROOT,
      });
      proc.child.stdout?.pipe(process.stdout);
      proc.child.stderr?.pipe(process.stderr);
      [code] = (await once(proc.child, 'close')) as [number | null];
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
