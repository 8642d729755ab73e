import type { JobDefinition } from './define-job.js';
import { ERROR_CODES, JobsError } from './errors.js';
import { startFixedDelay } from './internal/fixed-delay.js';
import { nextCronRun } from './next-cron-run.js';
import { parseCron } from './parse-cron.js';
import type { AddOptions, Queue } from './queue.js';

/** Options of `createScheduler`. */
export interface SchedulerOptions {
  readonly queue: Queue;
  /** Called when enqueueing a tick fails (the schedule keeps going). */
  readonly onError?: ((error: unknown) => void) | undefined;
}

/** Options of one schedule. */
export interface ScheduleOptions {
  /** `cron` only: the IANA time zone of the expression (default `UTC`). */
  readonly timeZone?: string | undefined;
  /**
   * `cron` and `every` only (a fixed-delay schedule has no missed ticks: it continues its chain).
   * What to do at start about a tick that passed while no instance ran (downtime, a deploy):
   * `skip` (default) waits for the next tick; `once` enqueues the most recent past tick now,
   * once, however many were missed. The store's deduplication by tick id tells whether that
   * tick was enqueued already, so a restart between ticks adds nothing; a schedule new to the
   * store runs its most recent past tick at once.
   */
  readonly catchUp?: 'skip' | 'once' | undefined;
  /** Options of each enqueued job (not `jobId`, `delayMs` or `runAt`: the scheduler sets them). */
  readonly job?: Omit<AddOptions, 'jobId' | 'delayMs' | 'runAt' | 'db'> | undefined;
}

/** Schedules that enqueue jobs on a queue. */
export interface Scheduler {
  /**
   * Enqueues `job` at every time the cron expression names. Each tick's job id is
   * `<name>@<ISO time>`, so several instances running the same schedule enqueue it once.
   */
  cron<P>(
    name: string,
    expression: string,
    job: JobDefinition<P, unknown>,
    payload: P,
    options?: ScheduleOptions,
  ): void;
  /** Enqueues `job` every `intervalMs` (fixed rate, aligned to multiples of it since the epoch). */
  every<P>(
    name: string,
    intervalMs: number,
    job: JobDefinition<P, unknown>,
    payload: P,
    options?: ScheduleOptions,
  ): void;
  /**
   * Enqueues `job` `delayMs` after the previous run finished (completed, failed for good, or
   * cancelled), wherever it ran: runs never overlap, and a slow run pushes the next one back.
   * The first run is enqueued at once when the store has none of this schedule. Run n's job id
   * is `<name>#<n>`; every instance derives the next id from the same finished run, so several
   * instances on one shared store enqueue each run once, and a restarted instance continues the
   * chain it finds in the store.
   */
  fixedDelay<P>(
    name: string,
    delayMs: number,
    job: JobDefinition<P, unknown>,
    payload: P,
    options?: Omit<ScheduleOptions, 'timeZone' | 'catchUp'>,
  ): void;
  /** Stops every schedule (enqueued jobs stay). */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

// setTimeout holds at most 2^31 − 1 ms; a longer wait is taken in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
// Look-back spans for the last past tick: the first span holding a tick bounds the steps.
const SPANS = [MINUTE, 60 * MINUTE, DAY, 32 * DAY, 367 * DAY, 8 * 367 * DAY];

/** The last tick at or before `t`, found by stepping `next` forward from ever longer spans back. */
function lastTickAtOrBefore(next: (t: number) => number | null, t: number): number | null {
  for (const span of SPANS) {
    let tick = next(t - span - 1);
    if (tick === null || tick > t) continue;
    for (let n = next(tick); n !== null && n <= t; n = next(tick)) tick = n;
    return tick;
  }
  return null;
}

/**
 * A scheduler: cron, fixed-rate and fixed-delay schedules that enqueue jobs. Deduplication by job id makes
 * each tick run once when several instances of a deployment run the same schedules on one
 * shared store. A tick missed while no instance ran is skipped, or run once at start with
 * `catchUp: 'once'`.
 *
 * @example
 * ```ts
 * const scheduler = createScheduler({ queue });
 * scheduler.cron('nightly-report', '0 3 * * *', report, {}, { timeZone: 'Europe/Berlin' });
 * ```
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { queue } = options;
  const timers = new Map<string, NodeJS.Timeout>();
  let isClosed = false;

  const names = new Set<string>();
  const claim = (name: string) => {
    if (names.has(name))
      throw new JobsError(
        ERROR_CODES.INVALID_OPTIONS,
        `scheduler: a schedule named ${JSON.stringify(name)} exists`,
      );
    names.add(name);
  };

  const plan = <P>(
    name: string,
    nextAfter: (t: number) => number | null,
    lastAtOrBefore: (t: number) => number | null,
    job: JobDefinition<P, unknown>,
    payload: P,
    o: ScheduleOptions,
  ) => {
    claim(name);
    if (o.catchUp !== undefined && o.catchUp !== 'skip' && o.catchUp !== 'once')
      throw new JobsError(
        ERROR_CODES.INVALID_OPTIONS,
        `scheduler: catchUp must be "skip" or "once" (got ${JSON.stringify(o.catchUp)})`,
      );
    const enqueue = async (at: number) => {
      try {
        await queue.add(job, payload, { ...o.job, jobId: `${name}@${new Date(at).toISOString()}` });
      } catch (err) {
        options.onError?.(err);
      }
    };
    const arm = (after: number) => {
      const at = nextAfter(after);
      if (at === null || isClosed) return;
      const wait = () => {
        const left = at - Date.now();
        const timer = setTimeout(
          left > MAX_TIMER_MS
            ? wait
            : async () => {
                await enqueue(at);
                arm(at);
              },
          Math.max(0, Math.min(left, MAX_TIMER_MS)),
        );
        timer.unref();
        timers.set(name, timer);
      };
      wait();
    };
    const now = Date.now();
    const missed = o.catchUp === 'once' ? lastAtOrBefore(now) : null;
    if (missed !== null) void enqueue(missed);
    arm(now);
  };

  const scheduler: Scheduler = {
    cron(name, expression, job, payload, o = {}) {
      const c = parseCron(expression);
      // Validates the time zone now rather than at the first tick.
      nextCronRun(c, Date.now(), { timeZone: o.timeZone });
      const next = (t: number) => nextCronRun(c, t, { timeZone: o.timeZone })?.getTime() ?? null;
      plan(name, next, (t) => lastTickAtOrBefore(next, t), job, payload, o);
    },
    every(name, intervalMs, job, payload, o = {}) {
      if (!(Number.isSafeInteger(intervalMs) && intervalMs > 0))
        throw new JobsError(
          ERROR_CODES.INVALID_OPTIONS,
          `scheduler.every: intervalMs must be a positive integer (got ${intervalMs})`,
        );
      plan(
        name,
        (t) => (Math.floor(t / intervalMs) + 1) * intervalMs,
        (t) => Math.floor(t / intervalMs) * intervalMs,
        job,
        payload,
        o,
      );
    },
    fixedDelay(name, delayMs, job, payload, o = {}) {
      if (!(Number.isSafeInteger(delayMs) && delayMs >= 0))
        throw new JobsError(
          ERROR_CODES.INVALID_OPTIONS,
          `scheduler.fixedDelay: delayMs must be an integer ≥ 0 (got ${delayMs})`,
        );
      const extra = o as ScheduleOptions;
      if (extra.catchUp !== undefined || extra.timeZone !== undefined)
        throw new JobsError(
          ERROR_CODES.INVALID_OPTIONS,
          'scheduler.fixedDelay: catchUp and timeZone apply to cron and every only',
        );
      claim(name);
      startFixedDelay({
        queue,
        name,
        delayMs,
        job,
        payload,
        jobOptions: o.job,
        onError: options.onError,
        setTimer: (t) => timers.set(name, t),
        isClosed: () => isClosed,
      });
    },
    async close() {
      isClosed = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      names.clear();
    },
    [Symbol.asyncDispose]: () => scheduler.close(),
  };
  return scheduler;
}
