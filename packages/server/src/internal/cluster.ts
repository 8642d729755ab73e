/**
 * Multi-process serving with node:cluster. The primary forks the running script `workers`
 * times; each worker runs the same `serve()` call, which there starts a `SingleServer` (the
 * listening socket is shared by the primary, which hands connections out round-robin).
 *
 * The primary never runs the handler. It coordinates: it forwards shutdown and reload to the
 * workers over IPC (not as signals, so a Ctrl-C that reaches the whole process group is not
 * counted twice by a worker), restarts a worker that exits unexpectedly (with exponential
 * backoff when workers keep dying young), and exits once every worker has drained.
 */
import cluster, { type Worker } from 'node:cluster';
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import type { ReloadOptions, RunningServer, ServerCloseOptions, ServerUrl } from '../types.js';
import type { ResolvedOptions } from './options.js';
import { installSignalHandlers } from './signals.js';
import type { SingleServer } from './single-server.js';

/** Set in the environment of the workers this module forks. */
const WORKER_ENV = 'RWS_SERVER_CLUSTER_WORKER';
/** The port the first worker bound, so a restarted worker binds the same one (port 0). */
const PORT_ENV = 'RWS_SERVER_CLUSTER_PORT';
const REDIRECT_PORT_ENV = 'RWS_SERVER_CLUSTER_REDIRECT_PORT';

/** A worker that lived shorter than this counts as a crash loop for the backoff. */
const STABLE_MS = 5_000;
const MAX_BACKOFF_MS = 10_000;
/** After the grace period, how long the primary waits before killing a worker that hangs. */
const KILL_AFTER_GRACE_MS = 5_000;

type ToWorker =
  | { rws: 'shutdown'; graceMs: number }
  | { rws: 'reload' }
  | { rws: 'reload-certificates' };

interface FromWorker {
  rws: 'listening';
  urls: ServerUrl[];
  address: { host: string; port: number; family: string };
  redirectPort: number | null;
}

function isFromWorker(msg: unknown): msg is FromWorker {
  return msg !== null && typeof msg === 'object' && (msg as { rws?: unknown }).rws === 'listening';
}

/** True in a process forked by `ClusterPrimary`. */
export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_ENV] === '1';
}

/** Port overrides a restarted worker must use instead of port 0. */
export function workerPortOverrides(): { port: number | null; redirectPort: number | null } {
  const port = Number(process.env[PORT_ENV]);
  const redirectPort = Number(process.env[REDIRECT_PORT_ENV]);
  return {
    port: Number.isInteger(port) && port > 0 ? port : null,
    redirectPort: Number.isInteger(redirectPort) && redirectPort > 0 ? redirectPort : null,
  };
}

/** Connects a worker's server to the primary: reports listening, obeys shutdown and reload. */
export function attachWorker(server: SingleServer, options: ResolvedOptions): void {
  const redirect = server.urls.find((u) => u.isRedirect);
  const message: FromWorker = {
    rws: 'listening',
    urls: [...server.urls],
    address: { ...server.address },
    redirectPort: redirect === undefined ? null : Number(new URL(redirect.url).port),
  };
  process.send?.(message);
  let isStopping = false;
  process.on('message', (msg: ToWorker) => {
    if (msg === null || typeof msg !== 'object') return;
    if (msg.rws === 'shutdown') {
      if (isStopping) return;
      isStopping = true;
      void (async () => {
        try {
          await server.close({ graceMs: msg.graceMs });
          await options.onShutdown?.();
          process.exit(0);
        } catch (err) {
          options.onError(err, null);
          process.exit(1);
        }
      })();
    } else if (msg.rws === 'reload') {
      server.runReloadHook().catch((err: unknown) => options.onError(err, null));
    } else if (msg.rws === 'reload-certificates') {
      server.reloadCertificates().catch((err: unknown) => options.onError(err, null));
    }
  });
}

interface WorkerState {
  worker: Worker;
  startedAt: number;
  isListening: boolean;
}

/** The `RunningServer` of a cluster primary. */
export class ClusterPrimary implements RunningServer {
  #options: ResolvedOptions;
  #workers = new Map<number, WorkerState>();
  #info: FromWorker | null = null;
  #isStarted = false;
  #isDraining = false;
  #crashes = 0;
  #restartTimers = new Set<NodeJS.Timeout>();
  #closePromise: Promise<void> | null = null;
  #resolveClosed!: () => void;
  #failedExit = false;
  readonly closed: Promise<void>;

  private constructor(options: ResolvedOptions) {
    this.#options = options;
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
  }

  /** Forks the workers and resolves once all of them listen. */
  static async start(options: ResolvedOptions): Promise<ClusterPrimary> {
    const primary = new ClusterPrimary(options);
    await primary.#startAll();
    if (options.handleSignals !== false) {
      installSignalHandlers({
        shutdown: async (signal) => {
          const n = primary.#workers.size;
          options.onLog(`received ${signal}, draining ${n} worker${n === 1 ? '' : 's'}`);
          await primary.close();
          await options.onShutdown?.();
          if (primary.#failedExit) throw new Error('a worker did not drain cleanly');
          options.onLog('stopped');
        },
        reload: async () => primary.#broadcast({ rws: 'reload' }),
        onError: (err) => options.onError(err, null),
      });
    }
    return primary;
  }

  get url(): string {
    return this.urls[0]?.url ?? '';
  }

  get urls(): readonly ServerUrl[] {
    return this.#info?.urls ?? [];
  }

  get address(): { readonly host: string; readonly port: number; readonly family: string } {
    return (
      this.#info?.address ?? { host: this.#options.host, port: this.#options.port, family: '' }
    );
  }

  /** Null: each worker counts its own requests. */
  get metrics(): null {
    return null;
  }

  get isReady(): boolean {
    if (this.#isDraining) return false;
    for (const state of this.#workers.values()) if (state.isListening) return true;
    return false;
  }

  get isDraining(): boolean {
    return this.#isDraining;
  }

  /** Process ids of the live workers. */
  get workerPids(): number[] {
    return [...this.#workers.values()].map((s) => s.worker.process.pid ?? 0);
  }

  close(options: ServerCloseOptions = {}): Promise<void> {
    this.#closePromise ??= this.#close(options.graceMs ?? this.#options.graceMs);
    return this.#closePromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * In a primary, asks every worker to run its own `onReload` hook (each worker re-reads its
   * configuration); the options given here cannot cross the process boundary and are unused.
   */
  async reload(_options?: ReloadOptions): Promise<void> {
    if (this.#isDraining) throw new RwsError(ERROR_CODES.CLOSED, 'reload() while closing');
    this.#broadcast({ rws: 'reload' });
  }

  async reloadCertificates(): Promise<void> {
    if (this.#isDraining) {
      throw new RwsError(ERROR_CODES.CLOSED, 'reloadCertificates() while closing');
    }
    this.#broadcast({ rws: 'reload-certificates' });
  }

  #broadcast(message: ToWorker): void {
    for (const { worker } of this.#workers.values()) {
      if (worker.isConnected()) worker.send(message);
    }
  }

  #fork(): WorkerState {
    const env: Record<string, string> = { [WORKER_ENV]: '1' };
    // node:cluster shares one listening handle per (address, port-as-requested): while any
    // worker listens, a replacement must request the same port (0 included) to join it. Only
    // when none is left (the handle is gone) does a replacement bind the port the first
    // workers got, so the server keeps its address.
    let isAnyListening = false;
    for (const s of this.#workers.values()) if (s.isListening) isAnyListening = true;
    if (this.#info !== null && !isAnyListening) {
      env[PORT_ENV] = String(this.#info.address.port);
      if (this.#info.redirectPort !== null)
        env[REDIRECT_PORT_ENV] = String(this.#info.redirectPort);
    }
    const worker = cluster.fork(env);
    const state: WorkerState = { worker, startedAt: Date.now(), isListening: false };
    this.#workers.set(worker.id, state);
    worker.on('message', (msg: unknown) => {
      if (!isFromWorker(msg)) return;
      state.isListening = true;
      this.#info ??= msg;
      if (this.#isDraining) worker.send({ rws: 'shutdown', graceMs: this.#options.graceMs });
    });
    worker.on('exit', (code, signal) => this.#onExit(state, code, signal));
    return state;
  }

  #startAll(): Promise<void> {
    return new Promise((resolve, reject) => {
      let listening = 0;
      const fail = (reason: string): void => {
        this.#isDraining = true;
        for (const { worker } of this.#workers.values()) worker.process.kill('SIGKILL');
        this.#resolveClosed();
        reject(new RwsError(ERROR_CODES.WORKER_FAILED, reason));
      };
      for (let i = 0; i < this.#options.workers; i++) {
        const state = this.#fork();
        const onMessage = (msg: unknown): void => {
          if (!isFromWorker(msg)) return;
          // Both start-up listeners are done once the worker listens; #fork's own stays.
          state.worker.removeListener('message', onMessage);
          state.worker.removeListener('exit', onEarlyExit);
          if (++listening === this.#options.workers) {
            this.#isStarted = true;
            resolve();
          }
        };
        const onEarlyExit = (code: number | null, signal: string | null): void => {
          state.worker.removeListener('message', onMessage);
          if (this.#isStarted || this.#isDraining) return;
          fail(
            `worker ${state.worker.process.pid} exited before listening (code ${code}, signal ${signal})`,
          );
        };
        state.worker.on('message', onMessage);
        state.worker.once('exit', onEarlyExit);
      }
    });
  }

  #onExit(state: WorkerState, code: number | null, signal: string | null): void {
    this.#workers.delete(state.worker.id);
    if (this.#isDraining) {
      if (code !== 0) this.#failedExit = true;
      if (this.#workers.size === 0) this.#resolveDrained?.();
      return;
    }
    if (!this.#isStarted) return;
    // Replace it. A worker that died young counts towards the backoff; a stable one resets it.
    const lived = Date.now() - state.startedAt;
    this.#crashes = lived < STABLE_MS ? this.#crashes + 1 : 0;
    const delay = this.#crashes === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.#crashes);
    this.#options.onError(
      new RwsError(
        ERROR_CODES.WORKER_FAILED,
        `worker ${state.worker.process.pid} exited (code ${code}, signal ${signal}); restarting in ${delay} ms`,
      ),
      null,
    );
    const timer = setTimeout(() => {
      this.#restartTimers.delete(timer);
      if (!this.#isDraining) this.#fork();
    }, delay);
    this.#restartTimers.add(timer);
  }

  #resolveDrained: (() => void) | null = null;

  async #close(graceMs: number): Promise<void> {
    this.#isDraining = true;
    for (const timer of this.#restartTimers) clearTimeout(timer);
    this.#restartTimers.clear();
    if (this.#workers.size > 0) {
      const drained = new Promise<void>((resolve) => {
        this.#resolveDrained = resolve;
      });
      this.#broadcast({ rws: 'shutdown', graceMs });
      const killer = setTimeout(
        () => {
          this.#failedExit = true;
          for (const { worker } of this.#workers.values()) worker.process.kill('SIGKILL');
        },
        this.#options.shutdownDelayMs + graceMs + KILL_AFTER_GRACE_MS,
      );
      await drained;
      clearTimeout(killer);
    }
    this.#resolveClosed();
  }
}
