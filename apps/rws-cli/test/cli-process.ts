/**
 * Runs the `rws` binary as a real child process, the way a user does: from source through
 * tsx with the `@rws/source` condition, or the built `dist/cli.js`. Waits for the startup
 * banner and reads the URLs from it (so `--port 0` works), collects stdout/stderr, and kills
 * the process when the test ends if the test did not stop it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { onTestFinished } from 'vitest';

/** The repository root. */
export const REPO_ROOT: string = fileURLToPath(new URL('../../..', import.meta.url));
/** The CLI entry in TypeScript. */
export const CLI_SOURCE: string = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
/** The built CLI. */
export const CLI_DIST: string = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** tsx's ESM loader as a URL, so `--import` works from any working directory. */
const TSX_LOADER: string = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** The node arguments that run the CLI from source. */
export function sourceArgs(args: readonly string[]): string[] {
  return ['--import', TSX_LOADER, '--conditions=@rws/source', CLI_SOURCE, ...args];
}

/** A minimal environment: nothing from the test runner's RWS_CONFIG_* leaks in. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '', NO_COLOR: '1', ...extra };
  const home = process.env['HOME'];
  if (home !== undefined) env['HOME'] = home;
  return env;
}

/** A running `rws` process. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** The URLs of the banner (`➜ …` lines), in order. */
  readonly urls: string[];
  /** The first banner URL, without the trailing slash: `http://127.0.0.1:40123`. */
  readonly origin: string;
  /**
   * Resolves once `stream` contains `text` at or after index `from` (default 0); rejects
   * after `timeoutMs` (default 10 s) or when the process exits first.
   */
  waitFor(stream: 'stdout' | 'stderr', text: string, options?: WaitOptions): Promise<void>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface WaitOptions {
  timeoutMs?: number;
  from?: number;
}

export interface StartCliOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** `source` (default): tsx over src/cli.ts; `dist`: node dist/cli.js. */
  from?: 'source' | 'dist';
  /** How long to wait for the banner. Default 20 s (tsx compiles on first run). */
  timeoutMs?: number;
  /**
   * Run this program instead of node (`args` are then its arguments as they are), e.g. the
   * README's npx/pnpm command: the signal tests send to the process it starts.
   */
  command?: string;
}

/** Starts `rws args…` and resolves once its banner is printed. */
export async function startCli(
  args: readonly string[],
  options: StartCliOptions,
): Promise<CliProcess> {
  const nodeArgs = options.from === 'dist' ? [CLI_DIST, ...args] : sourceArgs(args);
  const child = spawn(options.command ?? process.execPath, options.command ? args : nodeArgs, {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exitCode: number | null | undefined;
  const waiters = new Set<() => void>();
  const notify = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exitCode = code;
      notify();
      resolve(code);
    });
  });
  onTestFinished(async () => {
    if (exitCode === undefined) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  const waitFor = (stream: 'stdout' | 'stderr', text: string, wait: WaitOptions = {}) =>
    new Promise<void>((resolve, reject) => {
      const timeoutMs = wait.timeoutMs ?? 10_000;
      const check = (): void => {
        const out = stream === 'stdout' ? stdout : stderr;
        if (out.indexOf(text, wait.from ?? 0) !== -1) {
          done();
          resolve();
        } else if (exitCode !== undefined) {
          done();
          reject(
            new Error(
              `rws exited (${exitCode}) before ${stream} showed ${JSON.stringify(text)}\nstdout: ${stdout}\nstderr: ${stderr}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out waiting for ${JSON.stringify(text)} on ${stream}\nstdout: ${stdout}\nstderr: ${stderr}`,
          ),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  await waitFor('stdout', '  config: ', { timeoutMs: options.timeoutMs ?? 20_000 });
  const urls: string[] = [];
  for (const line of stdout.split('\n')) {
    const at = line.indexOf('➜ ');
    if (at !== -1) urls.push(line.slice(at + 2).split(' ')[0]!);
  }
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    urls,
    origin: (urls[0] ?? '').replace(/\/$/, ''),
    waitFor,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}

/** A temporary directory removed when the test ends. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
