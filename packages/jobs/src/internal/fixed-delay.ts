/**
 * Fixed-delay schedules: each run is enqueued `delayMs` after the previous run finished
 * (completed, failed for good, or cancelled), wherever a worker ran it. The runs form a chain of
 * job ids `<name>#1`, `<name>#2`, …: every instance watching the chain derives the same next id
 * from the same finished job, so the store's deduplication by job id enqueues each run once,
 * however many instances run the schedule. The next run's time is the finished job's
 * `updatedAt` (when the store recorded the outcome) plus `delayMs`, so how late an instance
 * notices the finish does not move the schedule.
 */
import type { JobDefinition } from '../define-job.js';
import type { JobRecord } from '../job-store.js';
import type { AddOptions, Queue } from '../queue.js';

/** What one fixed-delay schedule needs from its scheduler. */
export interface FixedDelayPlan<P> {
  readonly queue: Queue;
  readonly name: string;
  readonly delayMs: number;
  readonly job: JobDefinition<P, unknown>;
  readonly payload: P;
  readonly jobOptions: Omit<AddOptions, 'jobId' | 'delayMs' | 'runAt' | 'db'> | undefined;
  readonly onError: ((error: unknown) => void) | undefined;
  /** Keeps the schedule's pending timer (so close() can clear it). */
  readonly setTimer: (timer: NodeJS.Timeout) => void;
  readonly isClosed: () => boolean;
}

const FINISHED = new Set<JobRecord['state']>(['completed', 'failed', 'cancelled']);

/** The id of run `n` of a chain. */
const chainId = (name: string, n: number) => `${name}#${n}`;

/**
 * The number of the last run of the chain in the store, or 0: doubling from 1 while runs exist,
 * then a binary search between the last found and the first missing (2·log2(n) reads).
 */
async function lastRun(queue: Queue, name: string): Promise<number> {
  const exists = async (n: number) => (await queue.get(chainId(name, n))) !== null;
  if (!(await exists(1))) return 0;
  let found = 1;
  let missing = 2;
  while (await exists(missing)) {
    found = missing;
    missing *= 2;
  }
  while (missing - found > 1) {
    const mid = Math.floor((found + missing) / 2);
    if (await exists(mid)) found = mid;
    else missing = mid;
  }
  return found;
}

/**
 * How often an instance looks whether the current run finished: often enough that a short
 * delay is kept, at most once a second.
 */
function pollMs(delayMs: number): number {
  return Math.min(1000, Math.max(20, Math.floor(delayMs / 4)));
}

/** Starts a fixed-delay schedule: continues the chain in the store, or starts it with a run now. */
export function startFixedDelay<P>(plan: FixedDelayPlan<P>): void {
  const { queue, name, delayMs } = plan;
  const enqueue = (n: number, runAt: number) =>
    queue.add(plan.job, plan.payload, { ...plan.jobOptions, jobId: chainId(name, n), runAt });

  const later = (fn: () => Promise<void>, ms: number) => {
    if (plan.isClosed()) return;
    const timer = setTimeout(() => void fn(), ms);
    timer.unref();
    plan.setTimer(timer);
  };

  /** Watches run `n` until it finished, then enqueues run n + 1 and watches that. */
  const watch = async (n: number): Promise<void> => {
    if (plan.isClosed()) return;
    let next = n;
    try {
      const run = await queue.get(chainId(name, n));
      if (plan.isClosed()) return;
      if (run === null || FINISHED.has(run.state)) {
        // A run removed from the store counts as finished when that is noticed.
        const finishedAt = run === null ? Date.now() : run.updatedAt;
        await enqueue(n + 1, finishedAt + delayMs);
        next = n + 1;
      }
    } catch (err) {
      plan.onError?.(err);
    }
    later(() => watch(next), next === n ? pollMs(delayMs) : 0);
  };

  const start = async (): Promise<void> => {
    try {
      const n = await lastRun(queue, name);
      if (n === 0) await enqueue(1, Date.now());
      await watch(Math.max(n, 1));
    } catch (err) {
      plan.onError?.(err);
      later(start, pollMs(delayMs));
    }
  };
  void start();
}
