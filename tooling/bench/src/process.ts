/** Child processes pinned to one CPU, free ports and readiness polling. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The CPU servers under test run on. */
export const SERVER_CPU = 0;
/** The CPU the load generator runs on. */
export const LOAD_CPU = 1;

let niceness = 0;

/**
 * Runs every later pinned process (servers and load generators alike) at this `nice` level.
 * A negative value (root only) shields a measurement from other work on a shared machine.
 */
export function setNiceness(value: number): void {
  niceness = value;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/** Resolves once `port` accepts a TCP connection; rejects if `child` exits or time runs out. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited (${child.exitCode ?? child.signalCode}) before listening`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

export interface PinnedProcess {
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (for error messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** How much of a process's output `output()` keeps (the tail). */
const OUTPUT_TAIL_BYTES = 1024 * 1024;

/**
 * Spawns `command args` under `taskset -c <cpu>` (and `nice -n` when set); `cpu` null runs it
 * unpinned (a helper process, such as a proxy suite's upstream, that is not measured).
 */
export function spawnPinned(
  cpu: number | null,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): PinnedProcess {
  const pinned =
    cpu === null ? [command, ...args] : ['taskset', '-c', String(cpu), command, ...args];
  const argv = niceness === 0 ? pinned : ['nice', '-n', String(niceness), ...pinned];
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
  });
  // Only the tail is kept: a server with an access log (the rws gateway) writes a line per
  // request, which must not pile up in the harness's memory over a run.
  const chunks: Buffer[] = [];
  let kept = 0;
  const keep = (c: Buffer): void => {
    chunks.push(c);
    kept += c.length;
    while (kept - chunks[0]!.length >= OUTPUT_TAIL_BYTES) kept -= chunks.shift()!.length;
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit').then(() => undefined);
  return {
    child,
    output: () => Buffer.concat(chunks).toString('utf8'),
    async stop(graceMs = 3000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs `command args` pinned to `cpu` to completion and returns its stdout. */
export async function runPinned(
  cpu: number,
  command: string,
  args: readonly string[],
): Promise<string> {
  const proc = spawnPinned(cpu, command, args);
  // 'close' (unlike 'exit') fires once the output pipes are drained too.
  const [code] = (await once(proc.child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${command} exited with ${code}:\n${proc.output()}`);
  return proc.output();
}
