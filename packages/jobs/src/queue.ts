import { randomUUID } from 'node:crypto';
import type { Db } from '@rws/orm';
import type { JobDefinition, JobOptions } from './define-job.js';
import { ERROR_CODES, JobsError } from './errors.js';
import { kLocal, type QueueInternals, type QueueLocalHooks } from './internal/queue-local.js';
import type {
  BackoffOptions,
  JobCounts,
  JobKeyMode,
  JobRecord,
  JobState,
  JobStore,
  NewJob,
} from './job-store.js';
import { createWorker, type Worker, type WorkerOptions } from './worker.js';

/** Options of `createQueue`. */
export interface QueueOptions {
  readonly store: JobStore;
  /** The queue name (default `default`); several queues may share one store. */
  readonly name?: string | undefined;
  /** Defaults for every job of this queue (a definition's and add()'s options win). */
  readonly defaultJobOptions?: JobOptions | undefined;
}

/** Options of `queue.add`. */
export interface AddOptions extends JobOptions {
  /** Run no earlier than this many milliseconds from now. */
  readonly delayMs?: number | undefined;
  /** Run no earlier than this time (a Date or epoch milliseconds). Not with delayMs. */
  readonly runAt?: Date | number | undefined;
  /**
   * The job id. A second add with an id that exists (in any state, until removed) inserts
   * nothing and returns the stored job with `isNew: false`: an idempotency key.
   */
  readonly jobId?: string | undefined;
  /**
   * A key of pending work: while a job with this key waits or runs, another add with the key
   * does what `jobKeyMode` says. Unlike `jobId`, the key is free again once its job finished.
   */
  readonly jobKey?: string | undefined;
  /** `deduplicate` (default), `replace` (while waiting) or `debounce` (replace and move runAt). */
  readonly jobKeyMode?: JobKeyMode | undefined;
  /**
   * The job's group (a tenant, a user, an API account): workers given `group` limits run at
   * most that many jobs of one group at a time, or per interval, across all workers.
   */
  readonly group?: string | undefined;
  /** Enqueue inside this transaction (`db.transaction(async (tx) => queue.add(…, { db: tx }))`). */
  readonly db?: Db | undefined;
}

/** What add() returns. */
export interface AddResult {
  readonly job: JobRecord;
  /** False when a job with the same jobId existed: nothing was inserted. */
  readonly isNew: boolean;
}

/** One job of `queue.addMany`. */
export interface BulkJob<P = unknown> {
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any result.
  readonly job: JobDefinition<P, any> | string;
  readonly payload: P;
  readonly options?: Omit<AddOptions, 'db'> | undefined;
}

/** A named queue over a store. */
export interface Queue {
  readonly name: string;
  readonly store: JobStore;
  /** Enqueues a job by definition (payload typed) or by name. */
  add<P>(
    job: JobDefinition<P, unknown> | string,
    payload: P,
    options?: AddOptions,
  ): Promise<AddResult>;
  /**
   * Enqueues several jobs in one transaction (SQL stores: one multi-row insert for the jobs
   * without a `jobKey`): all or none. Results are in input order.
   */
  addMany(
    // biome-ignore lint/suspicious/noExplicitAny: each entry has a payload type of its own.
    jobs: ReadonlyArray<BulkJob<any>>,
    options?: { readonly db?: Db | undefined },
  ): Promise<AddResult[]>;
  /** A job by id, or null. */
  get(id: string): Promise<JobRecord | null>;
  /** Cancels a waiting or active job; a running handler's signal is aborted. */
  cancel(id: string): Promise<boolean>;
  /** Moves a failed or cancelled job back to waiting with its attempts reset. */
  retry(id: string): Promise<boolean>;
  /** Deletes a job that is not running. */
  remove(id: string): Promise<boolean>;
  counts(): Promise<JobCounts>;
  list(state: JobState, options?: { readonly limit?: number | undefined }): Promise<JobRecord[]>;
  /** Starts a worker on this queue. */
  worker(options: WorkerOptions): Worker;
  /** Stops the workers this queue started (gracefully) and closes the store. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const DEFAULT_BACKOFF: BackoffOptions = { type: 'exponential', delayMs: 1000, jitter: 0.5 };

function invalid(message: string): JobsError {
  return new JobsError(ERROR_CODES.INVALID_OPTIONS, message);
}

function checkJobOptions(o: JobOptions, where: string): void {
  if (o.priority !== undefined && !Number.isSafeInteger(o.priority))
    throw invalid(`${where}: priority must be an integer (got ${o.priority})`);
  if (o.attempts !== undefined && !(Number.isSafeInteger(o.attempts) && o.attempts >= 1))
    throw invalid(`${where}: attempts must be an integer ≥ 1 (got ${o.attempts})`);
  if (o.timeoutMs !== undefined && !(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0))
    throw invalid(`${where}: timeoutMs must be a positive number (got ${o.timeoutMs})`);
  const b = o.backoff;
  if (b !== undefined) {
    if (b.type !== 'fixed' && b.type !== 'exponential')
      throw invalid(
        `${where}: backoff.type must be "fixed" or "exponential" (got ${String(b.type)})`,
      );
    if (!(Number.isFinite(b.delayMs) && b.delayMs >= 0))
      throw invalid(`${where}: backoff.delayMs must be ≥ 0 (got ${b.delayMs})`);
    if (b.jitter !== undefined && !(b.jitter >= 0 && b.jitter <= 1))
      throw invalid(`${where}: backoff.jitter must be between 0 and 1 (got ${b.jitter})`);
  }
}

/**
 * A queue of jobs in a store. Delivery is at least once: a job whose worker dies runs again
 * after its lease expires, so handlers must be idempotent (use `jobId` and idempotency keys).
 *
 * @example
 * ```ts
 * const queue = createQueue({ store: createMemoryStore() });
 * const hello = defineJob('hello', (p: { who: string }) => `hello ${p.who}`);
 * const worker = queue.worker({ jobs: [hello], concurrency: 4 });
 * await queue.add(hello, { who: 'ada' }, { delayMs: 1000, attempts: 5 });
 * await worker.close();
 * ```
 */
export function createQueue(options: QueueOptions): Queue {
  const { store } = options;
  const name = options.name ?? 'default';
  const defaults = options.defaultJobOptions ?? {};
  checkJobOptions(defaults, 'createQueue defaultJobOptions');
  const local: QueueLocalHooks = { onAdded: new Set(), onCancelled: new Set() };
  const workers = new Set<Worker>();
  let initialised: Promise<void> | undefined;
  let isClosed = false;
  const ready = () => {
    if (isClosed) throw new JobsError(ERROR_CODES.CLOSED, `queue ${name} is closed`);
    initialised ??= Promise.resolve(store.init?.());
    return initialised;
  };

  const prepare = (
    // biome-ignore lint/suspicious/noExplicitAny: definitions of any payload and result.
    job: JobDefinition<any, any> | string,
    payload: unknown,
    o: AddOptions,
    where: string,
    now: number,
  ): NewJob => {
    const def = typeof job === 'string' ? undefined : job;
    const jobName = typeof job === 'string' ? job : job.name;
    if (typeof jobName !== 'string' || jobName.length === 0 || jobName.length > 191)
      throw invalid(
        `${where}: the job name must be 1 to 191 characters (got ${JSON.stringify(jobName)})`,
      );
    checkJobOptions(o, where);
    if (o.delayMs !== undefined && o.runAt !== undefined)
      throw invalid(`${where}: give delayMs or runAt, not both`);
    if (o.delayMs !== undefined && !(Number.isFinite(o.delayMs) && o.delayMs >= 0))
      throw invalid(`${where}: delayMs must be ≥ 0 (got ${o.delayMs})`);
    const runAtMs = o.runAt instanceof Date ? o.runAt.getTime() : o.runAt;
    if (runAtMs !== undefined && !Number.isFinite(runAtMs))
      throw invalid(`${where}: runAt is not a valid time (got ${String(o.runAt)})`);
    for (const [k, v] of [
      ['jobId', o.jobId],
      ['jobKey', o.jobKey],
      ['group', o.group],
    ] as const)
      if (v !== undefined && !(typeof v === 'string' && v.length > 0 && v.length <= 191))
        throw invalid(`${where}: ${k} must be 1 to 191 characters (got ${JSON.stringify(v)})`);
    if (o.jobId !== undefined && o.jobKey !== undefined)
      throw invalid(`${where}: give jobId or jobKey, not both`);
    const mode = o.jobKeyMode;
    if (mode !== undefined && mode !== 'deduplicate' && mode !== 'replace' && mode !== 'debounce')
      throw invalid(
        `${where}: jobKeyMode must be "deduplicate", "replace" or "debounce" (got ${JSON.stringify(mode)})`,
      );
    if (mode !== undefined && o.jobKey === undefined)
      throw invalid(`${where}: jobKeyMode needs a jobKey`);
    const merged = { ...defaults, ...def?.options, ...o };
    return {
      id: o.jobId ?? randomUUID(),
      queue: name,
      name: jobName,
      payload,
      priority: merged.priority ?? 0,
      runAt: runAtMs ?? now + (o.delayMs ?? 0),
      maxAttempts: merged.attempts ?? 3,
      backoff: merged.backoff ?? DEFAULT_BACKOFF,
      timeoutMs: merged.timeoutMs ?? null,
      group: o.group ?? null,
      key: o.jobKey ?? null,
      keyMode: mode,
      now,
    };
  };

  const queue: Queue & QueueInternals = {
    name,
    store,
    [kLocal]: local,
    ready,
    async add(job, payload, o = {}) {
      const newJob = prepare(job, payload, o, 'queue.add', Date.now());
      await ready();
      const result = await store.add(newJob, { db: o.db });
      // Inside a transaction the job is not visible yet; workers find it on their next poll.
      if (result.isNew && o.db === undefined) for (const f of local.onAdded) f(newJob.runAt, true);
      return result;
    },
    async addMany(list, o = {}) {
      const now = Date.now();
      const jobs = list.map((b, i) =>
        prepare(b.job, b.payload, b.options ?? {}, `queue.addMany [${i}]`, now),
      );
      await ready();
      const results = jobs.length === 0 ? [] : await store.addMany(jobs, { db: o.db });
      // The latest run time: a worker takes a batch with a delayed job in it as one that may
      // change when it must look again.
      const latest = jobs.reduce((t, j) => Math.max(t, j.runAt), now);
      if (o.db === undefined && results.some((r) => r.isNew))
        for (const f of local.onAdded) f(latest, true);
      return results;
    },
    async get(id) {
      await ready();
      return store.get(id);
    },
    async cancel(id) {
      await ready();
      const ok = await store.cancel(id, { now: Date.now() });
      if (ok) for (const f of local.onCancelled) f(id);
      return ok;
    },
    retry: async (id) => {
      await ready();
      const ok = await store.retry(id, { now: Date.now() });
      if (ok) for (const f of local.onAdded) f(Date.now(), false);
      return ok;
    },
    async remove(id) {
      await ready();
      return store.remove(id);
    },
    async counts() {
      await ready();
      return store.counts(name);
    },
    async list(state, o = {}) {
      await ready();
      return store.list(name, state, o);
    },
    worker(o) {
      const w = createWorker(queue, o);
      workers.add(w);
      return w;
    },
    async close() {
      if (isClosed) return;
      await Promise.all([...workers].map((w) => w.close()));
      isClosed = true;
      await store.close();
    },
    [Symbol.asyncDispose]: () => queue.close(),
  };
  return queue;
}
