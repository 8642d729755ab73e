import type { Db } from '@rws/orm';

/** Where a job is in its life. */
export type JobState = 'waiting' | 'active' | 'completed' | 'failed' | 'cancelled';

/** How the wait before a retry grows. */
export interface BackoffOptions {
  /** `fixed`: the same delay every time; `exponential`: delayMs × 2^(attempt − 1). */
  readonly type: 'fixed' | 'exponential';
  /** The base delay in milliseconds. */
  readonly delayMs: number;
  /**
   * Fraction (0..1) of the delay that is random: 0.5 waits between 50% and 100% of the
   * computed delay ("equal jitter"), so retries of many failed jobs do not arrive together.
   * Default 0.
   */
  readonly jitter?: number | undefined;
  /** Upper bound of one delay in milliseconds. Default: none. */
  readonly maxDelayMs?: number | undefined;
}

/** One stored job, as a store returns it. Times are epoch milliseconds. */
export interface JobRecord {
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: unknown;
  readonly state: JobState;
  /** Lower runs first (as in BullMQ and graphile-worker); default 0. */
  readonly priority: number;
  /** Not claimed before this time. */
  readonly runAt: number;
  /** Attempts started so far (a claim counts one; a release by a graceful shutdown gives it back). */
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions | null;
  readonly timeoutMs: number | null;
  /** The worker holding the job while it is active. */
  readonly workerId: string | null;
  /** While active: the lease expires at this time, then any worker may take the job again. */
  readonly leaseUntil: number | null;
  readonly progress: unknown;
  readonly result: unknown;
  /** The last error message (kept across retries). */
  readonly error: string | null;
  /** The group the job belongs to (per-group concurrency and rate limits), or null. */
  readonly group: string | null;
  /**
   * The job key while the job holds it (see `NewJob.key`); null without one, and once a later
   * job with the same key took it over.
   */
  readonly key: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * What `add` does when a job with the same key is pending (waiting, or active):
 * - `deduplicate`: nothing; the pending job is returned.
 * - `replace`: a waiting job gets the new payload and options but keeps its runAt; an active
 *   one gives up the key and a new job is inserted (the running attempt has the old payload).
 * - `debounce`: as replace, and the waiting job's runAt moves to the new runAt, so a burst of
 *   adds runs once, after the last one.
 * A key held by a finished job (completed, failed, cancelled) is taken by a new job in every mode.
 */
export type JobKeyMode = 'deduplicate' | 'replace' | 'debounce';

/** Limits that apply to every group of a queue, across all workers and processes. */
export interface GroupLimits {
  /** At most this many active jobs per group (default: no limit). */
  readonly concurrency?: number | undefined;
  /**
   * At most `max` jobs of a group start per window of `intervalMs` (a fixed window that opens
   * at the first start after the previous one closed).
   */
  readonly rateLimit?: { readonly max: number; readonly intervalMs: number } | undefined;
}

/** A job to insert. */
export interface NewJob {
  /** The job id; a second add with the same id inserts nothing (deduplication). */
  readonly id: string;
  readonly queue: string;
  readonly name: string;
  readonly payload: unknown;
  readonly priority: number;
  readonly runAt: number;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions | null;
  readonly timeoutMs: number | null;
  /** The job's group, or null. */
  readonly group?: string | null | undefined;
  /**
   * A key of the queue's pending work (`jobKey`): at most one waiting or active job of a queue
   * holds a key; `keyMode` says what a second add does.
   */
  readonly key?: string | null | undefined;
  readonly keyMode?: JobKeyMode | undefined;
  readonly now: number;
}

/** What `store.add` returns. */
export interface StoreAddResult {
  readonly job: JobRecord;
  /** False when nothing was inserted (deduplicated, or a waiting job was replaced). */
  readonly isNew: boolean;
}

/** The common options of store I/O methods (CONVENTIONS #7). */
export interface StoreCallOptions {
  readonly signal?: AbortSignal | undefined;
}

/** Options of `store.add`. */
export interface StoreAddOptions extends StoreCallOptions {
  /**
   * A transaction handle of the same database (`db.transaction(async (tx) => …)`): the job is
   * inserted in that transaction, so it exists only if the transaction commits. Only stores
   * with `capabilities.transactions`.
   */
  readonly db?: Db | undefined;
}

/** Options of `store.claim`. */
export interface ClaimOptions extends StoreCallOptions {
  readonly queue: string;
  readonly workerId: string;
  /** How long the claim holds before another worker may take the job. */
  readonly leaseMs: number;
  /** At most this many jobs. */
  readonly limit: number;
  /** Only jobs with these names (absent: any). */
  readonly names?: readonly string[] | undefined;
  /** Per-group limits for jobs that have a group (absent: groups are only labels). */
  readonly group?: GroupLimits | undefined;
  readonly now: number;
}

/** Job counts per state. */
export type JobCounts = Readonly<Record<JobState, number>>;

/** What a store can do beyond the required methods. */
export interface JobStoreCapabilities {
  /** `add` accepts `{ db }`: enqueueing inside the caller's transaction. */
  readonly transactions: boolean;
  /** Several processes may share the store (a database, not process memory). */
  readonly shared: boolean;
}

/**
 * The persistence contract of @rws/jobs (CONVENTIONS #7). Every method that changes an active
 * job names the worker that holds it and does nothing (returns false) when that worker no
 * longer does, so a worker whose lease expired cannot overwrite the outcome of the worker that
 * took the job over. `runJobStoreConformance` checks an implementation.
 */
export interface JobStore {
  readonly name: string;
  readonly capabilities: JobStoreCapabilities;
  /** Creates the tables if they are missing. Idempotent; the queue calls it once. */
  init?(options?: StoreCallOptions): Promise<void>;
  /**
   * Inserts a job unless one with its id exists (or, with a key, as its `keyMode` says);
   * returns the stored job and whether it is new.
   */
  add(job: NewJob, options?: StoreAddOptions): Promise<StoreAddResult>;
  /**
   * Adds several jobs at once, in one transaction (SQL stores: one multi-row insert where no
   * job has a key); results are in input order. All or none are added.
   */
  addMany(jobs: readonly NewJob[], options?: StoreAddOptions): Promise<StoreAddResult[]>;
  /**
   * Claims up to `limit` due jobs of a queue (waiting, runAt ≤ now; lowest priority first, then
   * oldest runAt, then insertion order) for `workerId`: they become active with a lease, and
   * their attempts grow by one. Active jobs whose lease has expired are first returned to
   * waiting. Two concurrent claims never return the same job. With `group` limits, jobs of a
   * group are claimed only within the group's concurrency and rate limit, counted across every
   * worker; jobs without a group are claimed after them.
   */
  claim(options: ClaimOptions): Promise<JobRecord[]>;
  /** Marks an active job completed with its result. */
  complete(
    id: string,
    workerId: string,
    result: unknown,
    options: StoreCallOptions & { readonly now: number },
  ): Promise<boolean>;
  /**
   * Completes several active jobs of one worker in one round trip (a busy worker's completions
   * that arrive while the previous batch is being written). Each item is checked like
   * `complete`: the result says, in input order, whether that job was still held.
   */
  completeMany?(
    items: ReadonlyArray<{ readonly id: string; readonly result: unknown }>,
    workerId: string,
    options: StoreCallOptions & { readonly now: number },
  ): Promise<boolean[]>;
  /**
   * Records a failed attempt: with `retryAt` the job waits until then, with null it is failed
   * for good. The error message is kept either way.
   */
  fail(
    id: string,
    workerId: string,
    error: string,
    retryAt: number | null,
    options: StoreCallOptions & { readonly now: number },
  ): Promise<boolean>;
  /** Returns an active job to waiting without using up the attempt (graceful shutdown). */
  release(
    id: string,
    workerId: string,
    options: StoreCallOptions & { readonly now: number },
  ): Promise<boolean>;
  /** Extends the lease of an active job; false when the worker no longer holds it. */
  extendLease(
    id: string,
    workerId: string,
    leaseMs: number,
    options: StoreCallOptions & { readonly now: number },
  ): Promise<boolean>;
  /** Stores the progress of an active job. */
  progress(
    id: string,
    workerId: string,
    progress: unknown,
    options: StoreCallOptions & { readonly now: number },
  ): Promise<boolean>;
  /** A job by id, or null. */
  get(id: string, options?: StoreCallOptions): Promise<JobRecord | null>;
  /** Cancels a waiting or active job; false when it is in neither state. */
  cancel(id: string, options: StoreCallOptions & { readonly now: number }): Promise<boolean>;
  /** Moves a failed or cancelled job back to waiting with fresh attempts. */
  retry(id: string, options: StoreCallOptions & { readonly now: number }): Promise<boolean>;
  /** Deletes a job that is not active. */
  remove(id: string, options?: StoreCallOptions): Promise<boolean>;
  /** The names of the queues that have jobs, sorted. */
  queues(options?: StoreCallOptions): Promise<string[]>;
  /** Job counts per state of a queue. */
  counts(queue: string, options?: StoreCallOptions): Promise<JobCounts>;
  /** Jobs of a queue in one state, oldest first. */
  list(
    queue: string,
    state: JobState,
    options?: StoreCallOptions & { readonly limit?: number | undefined },
  ): Promise<JobRecord[]>;
  /**
   * The earliest runAt of a waiting job of the queue (a worker sleeps until then), or null.
   * `names` limits it to those job names.
   */
  nextRunAt(
    queue: string,
    options?: StoreCallOptions & { readonly names?: readonly string[] | undefined },
  ): Promise<number | null>;
  /**
   * Calls `onWake` soon after a job is added to the queue by any process (PostgreSQL
   * LISTEN/NOTIFY), so workers need not wait for their next poll. Resolves with the function
   * that stops it.
   */
  subscribe?(queue: string, onWake: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
