/**
 * Suites whose single target runs a package's bench script (`packages/x/bench/*.ts`) in
 * `start()` instead of a wrk load: the script prints its own table, the harness passes its
 * output through and exits with its code.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { type PinnedProcess, spawnPinned } from './process.js';
import { REPO_ROOT } from './targets.js';

const TSX_LOADER = import.meta.resolve('tsx');

/**
 * The `node` arguments that run a package's script from source: the `@rws/source` condition
 * and tsx's loader, as the script imports its package's `src` and the workspace packages must
 * be the same copies.
 */
export function sourceScriptArgs(script: string): string[] {
  return ['--conditions=@rws/source', '--import', TSX_LOADER, script];
}

/**
 * Runs `node args` pinned to `cpu` in production mode with `env` added, its stdout (the table)
 * and stderr (progress) passed through; resolves with its exit code.
 */
export async function runScript(
  cpu: number,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<number | null> {
  const proc = spawnPinned(cpu, process.execPath, [...args], {
    env: { ...process.env, NODE_ENV: 'production', ...env },
    cwd: REPO_ROOT,
  });
  proc.child.stdout?.pipe(process.stdout);
  proc.child.stderr?.pipe(process.stderr);
  const [code] = (await once(proc.child, 'close')) as [number | null];
  return code;
}

/**
 * What a peer process announces once it is ready: the first capture of `pattern` in its stdout
 * (its port, its endpoint). Throws with the process's output when it ends first.
 */
export async function announced(
  proc: PinnedProcess,
  pattern: RegExp,
  what: string,
): Promise<string> {
  for await (const line of proc.child.stdout ?? []) {
    const value = pattern.exec(String(line))?.[1];
    if (value !== undefined) return value;
  }
  throw new Error(`${what} did not start:\n${proc.output()}`);
}

/**
 * The harness flags a script honours, as the environment it reads them from:
 * `{ BENCH_ROUNDS: 'rounds' }` and `--rounds 3` (or `--rounds=3`) give `{ BENCH_ROUNDS: '3' }`;
 * a flag not given (or empty) is left out. cli.ts has validated the flags already.
 */
export function flagEnv(flags: Readonly<Record<string, string>>): Record<string, string> {
  const options: Record<string, { type: 'string' }> = {};
  for (const name of Object.values(flags)) options[name] = { type: 'string' };
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: false,
    allowPositionals: true,
    options,
  });
  const env: Record<string, string> = {};
  for (const [key, name] of Object.entries(flags)) {
    const value = values[name];
    if (typeof value === 'string' && value !== '') env[key] = value;
  }
  return env;
}

/**
 * `--connections` (else BENCH_CONNECTIONS) for a client script that keeps BENCH_SOCKETS
 * sockets open with four requests in flight on each (BENCH_CONCURRENCY); none when unset.
 */
export function socketsEnv(): Record<string, string> {
  const sockets =
    flagEnv({ sockets: 'connections' })['sockets'] ?? process.env['BENCH_CONNECTIONS'];
  if (sockets === undefined || sockets === '') return {};
  return { BENCH_SOCKETS: sockets, BENCH_CONCURRENCY: String(Number(sockets) * 4) };
}
