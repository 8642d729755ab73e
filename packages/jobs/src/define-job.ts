import type { BackoffOptions, JobRecord } from './job-store.js';

/** What a handler gets besides the payload. */
export interface JobContext {
  readonly id: string;
  readonly name: string;
  readonly queue: string;
  /** This attempt, from 1. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /**
   * Aborted when the job times out (RWS_JOBS_TIMEOUT), is cancelled (RWS_JOBS_CANCELLED), its
   * lease is lost (RWS_JOBS_LEASE_LOST) or a shutdown deadline passes (RWS_JOBS_SHUTDOWN); the
   * reason is a JobsError with that code. Pass it to fetch, database calls and timers.
   */
  readonly signal: AbortSignal;
  /** Stores a progress value (any JSON) and emits the worker's `progress` event. */
  progress(value: unknown): Promise<void>;
  /** The job as claimed. */
  readonly job: JobRecord;
}

/** Runs one job: the resolved value is stored as its result (JSON). */
export type JobHandler<P = unknown, R = unknown> = (
  payload: P,
  context: JobContext,
) => R | Promise<R>;

/** Per-job options that a definition, a queue or an add() call may set. */
export interface JobOptions {
  /** Lower runs first (default 0). */
  readonly priority?: number | undefined;
  /** Total attempts including the first (default 3). */
  readonly attempts?: number | undefined;
  /** The wait before each retry (default exponential from 1 s with jitter 0.5). */
  readonly backoff?: BackoffOptions | undefined;
  /** Aborts the attempt after this long and counts it as failed (default: none). */
  readonly timeoutMs?: number | undefined;
}

/** A named job type with its handler and default options. */
export interface JobDefinition<P = unknown, R = unknown> {
  readonly name: string;
  readonly handler: JobHandler<P, R>;
  readonly options: JobOptions;
}

/**
 * Declares a job type. The definition goes to `queue.add(def, payload)` (which types the
 * payload) and to a worker's `jobs` list (which runs it).
 *
 * @example
 * ```ts
 * const sendMail = defineJob('send-mail', async (p: { to: string }, { signal }) => {
 *   await mailer.send(p.to, { signal });
 * }, { attempts: 5 });
 * ```
 */
export function defineJob<P = unknown, R = unknown>(
  name: string,
  handler: JobHandler<P, R>,
  options: JobOptions = {},
): JobDefinition<P, R> {
  return { name, handler, options };
}
