/**
 * Runs test/fixtures/serve-child.ts in a child process (Node + tsx + the @rws/source condition,
 * as the repository runs TypeScript) and reads its JSON event lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import type { ServeOptions } from '../src/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/serve-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ChildEvent {
  event: string;
  pid: number;
  url?: string;
  worker?: boolean;
  message?: string;
}

export class Child {
  readonly proc: ChildProcess;
  readonly events: ChildEvent[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: (() => void)[] = [];

  private constructor(options: Omit<ServeOptions, 'onReload' | 'onShutdown'>) {
    // `--import tsx` is resolved from the cwd, the repository root, where tsx is installed.
    this.proc = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@rws/source', FIXTURE, JSON.stringify(options)],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let pending = '';
    this.proc.stdout!.setEncoding('utf8');
    this.proc.stdout!.on('data', (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('{')) this.events.push(JSON.parse(line) as ChildEvent);
        nl = pending.indexOf('\n');
      }
      this.#wake();
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.#wake();
        resolve({ code, signal });
      });
    });
    onTestFinished(() => {
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
    });
  }

  /** Spawns the fixture and waits for its `listening` event. */
  static async start(options: Omit<ServeOptions, 'onReload' | 'onShutdown'>): Promise<Child> {
    const child = new Child(options);
    await child.waitFor((e) => e.event === 'listening', 20_000);
    return child;
  }

  /** Spawns the fixture without waiting for it to listen. */
  static spawn(options: Omit<ServeOptions, 'onReload' | 'onShutdown'>): Child {
    return new Child(options);
  }

  get url(): string {
    return this.events.find((e) => e.event === 'listening')!.url!;
  }

  get port(): number {
    return Number(new URL(this.url).port);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves with the first event matching `predicate`. */
  async waitFor(predicate: (e: ChildEvent) => boolean, timeoutMs = 10_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found !== undefined) return found;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
        throw new Error(`child exited; stderr: ${this.stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/** Polls `check` every 50 ms until it returns true or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
