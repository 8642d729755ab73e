import { randomUUID } from 'node:crypto';
import { backoffDelay } from './backoff-delay.js';
import type { JobContext, JobDefinition } from './define-job.js';
import { ERROR_CODES, JobsError, UnrecoverableError } from './errors.js';
import { JobAbortController } from './internal/job-abort-controller.js';
import { kLocal, type QueueInternals } from './internal/queue-local.js';
import type { GroupLimits, JobRecord } from './job-store.js';
import type { Queue } from './queue.js';

/** Options of `queue.worker()`. */
export interface WorkerOptions {
  /** The job types this worker runs; it claims only jobs with these names. */
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any payload and result.
  readonly jobs: ReadonlyArray<JobDefinition<any, any>>;
  /** Jobs run at the same time (default 1). */
  readonly concurrency?: number | undefined;
  /**
   * How long a claim holds (default 30 000 ms). The worker renews it every `leaseMs / 3` while
   * the job runs; a job whose worker died is taken by another worker once it expires.
   */
  readonly leaseMs?: number | undefined;
  /** The longest sleep between polls of the store (default 1000 ms). */
  readonly pollIntervalMs?: number | undefined;
  /** How long close() lets running jobs finish before it returns them to the queue (default 10 000 ms). */
  readonly shutdownTimeoutMs?: number | undefined;
  /**
   * Limits per group for jobs added with a `group`: at most `concurrency` active jobs of one
   * group, and at most `rateLimit.max` starts per `rateLimit.intervalMs`, counted in the store
   * across every worker and process. Give every worker of a queue the same limits: a worker
   * without them runs grouped jobs as if ungrouped. Default: groups are only labels.
   */
  readonly group?: GroupLimits | undefined;
  /** The worker id in the store (default a random UUID). */
  readonly id?: string | undefined;
}

/** Worker events and their arguments. */
export interface WorkerEvents {
  active: [job: JobRecord];
  progress: [job: JobRecord, progress: unknown];
  completed: [job: JobRecord, result: unknown];
  /** A failed attempt that will be retried at `retryAt`. */
  retrying: [job: JobRecord, error: unknown, retryAt: number];
  /** The last attempt failed (or the error was an UnrecoverableError): the job is failed. */
  failed: [job: JobRecord, error: unknown];
  cancelled: [job: JobRecord];
  /** A running job was returned to the queue by close() after its deadline. */
  released: [job: JobRecord];
  /** A store call failed, or the worker lost a job's lease. The worker keeps running. */
  error: [error: unknown];
}

/** A worker: claims and runs jobs of one queue. */
export interface Worker {
  readonly id: string;
  /** Jobs running now. */
  readonly running: number;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof WorkerEvents>(
    event: E,
    listener: (...args: WorkerEvents[E]) => void,
  ): () => void;
  /**
   * Stops claiming, waits up to `timeoutMs` (default `shutdownTimeoutMs`) for running jobs,
   * then aborts the rest with RWS_JOBS_SHUTDOWN and returns them to the queue without using up
   * their attempt. A handler that ignores its signal keeps running detached; its outcome is
   * then not recorded.
   */
  close(options?: { readonly timeoutMs?: number | undefined }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function positive(v: number | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (!(Number.isFinite(v) && v > 0))
    throw new JobsError(
      ERROR_CODES.INVALID_OPTIONS,
      `queue.worker: ${what} must be > 0 (got ${v})`,
    );
  return v;
}

function checkGroupLimits(g: GroupLimits | undefined): GroupLimits | undefined {
  if (g === undefined) return undefined;
  const bad = (what: string, v: unknown) =>
    new JobsError(
      ERROR_CODES.INVALID_OPTIONS,
      `queue.worker: group.${what} must be a positive integer (got ${String(v)})`,
    );
  const isPositiveInt = (v: number) => Number.isSafeInteger(v) && v > 0;
  if (g.concurrency !== undefined && !isPositiveInt(g.concurrency))
    throw bad('concurrency', g.concurrency);
  const r = g.rateLimit;
  if (r !== undefined) {
    if (!isPositiveInt(r.max)) throw bad('rateLimit.max', r.max);
    if (!isPositiveInt(r.intervalMs)) throw bad('rateLimit.intervalMs', r.intervalMs);
  }
  return g;
}

const errorText = (err: unknown): string =>
  err instanceof Error ? `${err.name}: ${err.message}` : String(err);

/** Starts a worker on a queue (see `queue.worker`). */
export function createWorker(queue: Queue, options: WorkerOptions): Worker {
  const internals = queue as Queue & QueueInternals;
  const { store } = queue;
  const concurrency = positive(options.concurrency, 1, 'concurrency');
  if (!Number.isInteger(concurrency))
    throw new JobsError(
      ERROR_CODES.INVALID_OPTIONS,
      `queue.worker: concurrency must be an integer (got ${concurrency})`,
    );
  const leaseMs = positive(options.leaseMs, 30_000, 'leaseMs');
  const pollIntervalMs = positive(options.pollIntervalMs, 1000, 'pollIntervalMs');
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  if (options.jobs.length === 0)
    throw new JobsError(
      ERROR_CODES.INVALID_OPTIONS,
      'queue.worker: jobs must name at least one job definition',
    );
  const group = checkGroupLimits(options.group);
  const handlers = new Map(options.jobs.map((d) => [d.name, d]));
  const names = [...handlers.keys()];
  const id = options.id ?? randomUUID();

  // biome-ignore lint/suspicious/noExplicitAny: listeners of several signatures.
  const listeners = new Map<keyof WorkerEvents, Set<(...args: any[]) => void>>();
  const emit = <E extends keyof WorkerEvents>(event: E, ...args: WorkerEvents[E]) => {
    const set = listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const f of set) {
      try {
        f(...args);
      } catch {
        // A listener's bug must not stop the worker.
      }
    }
  };

  const running = new Map<string, { ac: JobAbortController; done: Promise<void> }>();
  let isClosing = false;
  let wake: (() => void) | undefined;
  // A wake-up that arrives while the loop is busy (not sleeping) must not be lost: the next
  // sleep returns at once.
  let hasPendingWake = false;
  // The next run time the store last gave (null: no waiting job), and whether it may have
  // changed since. Only this process's adds of jobs due now leave it as it was: the claim they
  // wake the worker for takes those jobs. Every other wake-up (a poll, a NOTIFY, which may be
  // another process's delayed job, a retry, a freed slot) asks the store again after its claim.
  let knownNextRunAt: number | null = null;
  let isNextRunAtStale = true;
  // NOTIFYs that came before the local add they may stand for (the add's answer is often
  // slower than its NOTIFY) and that no next-run-time question has covered since. Each may be
  // another process's delayed job, so while any is unconfirmed the known time is stale; the
  // local add of a job due now that pairs with one confirms it.
  let unconfirmedNotifies = 0;
  const isKnownNextRunAtStale = () => isNextRunAtStale || unconfirmedNotifies > 0;
  let nextRunAtAsks = 0;
  const wakeUp = () => {
    isNextRunAtStale = true;
    wakeForDueAdd();
  };
  const wakeForDueAdd = () => {
    const w = wake;
    wake = undefined;
    if (w === undefined) hasPendingWake = true;
    else w();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (hasPendingWake) {
        hasPendingWake = false;
        resolve();
        return;
      }
      const t = setTimeout(() => {
        wake = undefined;
        isNextRunAtStale = true;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  /**
   * `work`'s result, or undefined when a wake-up comes first (then `work` goes on unawaited).
   * A wake-up that arrives after `work` won is kept for the next sleep, as ever.
   */
  const untilWokenOr = async <T>(work: Promise<T>): Promise<T | undefined> => {
    let isWoken = false;
    const woken = new Promise<undefined>((resolve) => {
      if (hasPendingWake) {
        hasPendingWake = false;
        isWoken = true;
        resolve(undefined);
        return;
      }
      wake = () => {
        isWoken = true;
        resolve(undefined);
      };
    });
    const result = await Promise.race([woken, work]);
    if (isWoken) return undefined;
    wake = undefined;
    return result;
  };

  /** How long to sleep until `next`, the next job's run time, at most a poll interval. */
  const waitUntil = (next: number | null): number =>
    next === null
      ? pollIntervalMs
      : // A job that fell due since the claim (or that another worker was claiming) is tried
        // again soon, not after a whole poll interval.
        // (A due job that a group limit holds back is polled for at a gentler pace.)
        Math.min(pollIntervalMs, Math.max(next - now(), group === undefined ? 25 : 50));

  /** How long to sleep after a claim that left slots free: until the next job is due. */
  const nextWaitMs = async (): Promise<number> => {
    isNextRunAtStale = false;
    unconfirmedNotifies = 0;
    const ask = ++nextRunAtAsks;
    try {
      const next = await store.nextRunAt(queue.name, { names });
      // An answer that a later question overtook is older than that one's.
      if (ask === nextRunAtAsks) knownNextRunAt = next;
      return waitUntil(next);
    } catch (err) {
      emit('error', err);
      isNextRunAtStale = true;
    }
    return pollIntervalMs;
  };

  /** Set while the store's subscription (LISTEN) is up. */
  let unsubscribe: (() => Promise<void>) | undefined;
  // While the store's subscription is up, an add in this process reaches the worker twice: at
  // once (onAdded) and as the store's announcement (PostgreSQL: the insert's NOTIFY, on the
  // LISTEN connection). Each wakes the worker after the job was committed, so the second one
  // would only run a second claim that finds nothing and holds up the claim of the next job.
  // The two are paired by count: whichever comes first wakes the worker, its partner is
  // dropped. A NOTIFY from another process may take the place of a partner; the one it stood
  // in for then wakes the worker when it comes, so every job still gets a wake-up after its
  // commit (only a LISTEN connection that dies leaves local adds to the next poll).
  let unpairedLocal = 0;
  let unpairedNotified = 0;
  const MAX_UNPAIRED = 64;
  const onAdded = (runAt: number, isAnnounced: boolean) => {
    const isDue = isAnnounced && runAt <= now();
    const wakeFor = isDue ? wakeForDueAdd : wakeUp;
    if (!isAnnounced || unsubscribe === undefined) return wakeFor();
    if (unpairedNotified > 0) {
      // Its NOTIFY came first and already woke the worker. A job due now is taken by the claim
      // that wake-up caused, as with wakeForDueAdd; a delayed one needs the next run time. (If
      // the NOTIFY was another process's, this add's own one is still to come and counts then.)
      unpairedNotified--;
      if (!isDue) isNextRunAtStale = true;
      else if (unconfirmedNotifies > 0) unconfirmedNotifies--;
      return;
    }
    unpairedLocal = Math.min(unpairedLocal + 1, MAX_UNPAIRED);
    wakeFor();
  };
  const onNotified = () => {
    if (unpairedLocal > 0) return void unpairedLocal--;
    unpairedNotified = Math.min(unpairedNotified + 1, MAX_UNPAIRED);
    unconfirmedNotifies = Math.min(unconfirmedNotifies + 1, MAX_UNPAIRED);
    wakeForDueAdd();
  };
  const onCancelled = (jobId: string) =>
    running
      .get(jobId)
      ?.ac.abort(new JobsError(ERROR_CODES.CANCELLED, `job ${jobId} was cancelled`));
  const local = internals[kLocal];
  local.onAdded.add(onAdded);
  local.onCancelled.add(onCancelled);

  const now = () => Date.now();

  // Group commit of completions: one goes to the store at once; those that finish while it is
  // being written wait for it and then go together in one statement (`completeMany`). No
  // completion waits longer than one round trip, and a busy worker writes them in batches.
  const completeMany = store.completeMany?.bind(store);
  let pending: { id: string; result: unknown; settle: (held: Promise<boolean>) => void }[] = [];
  let isFlushing = false;
  const flush = async (): Promise<void> => {
    isFlushing = true;
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      const written = (completeMany as NonNullable<typeof completeMany>)(batch, id, {
        now: now(),
      });
      for (const [i, item] of batch.entries())
        item.settle(written.then((held) => held[i] === true));
      await written.catch(() => undefined);
    }
    isFlushing = false;
  };
  const complete = (jobId: string, result: unknown): Promise<boolean> => {
    if (completeMany === undefined) return store.complete(jobId, id, result, { now: now() });
    return new Promise<boolean>((resolve, reject) => {
      pending.push({ id: jobId, result, settle: (held) => held.then(resolve, reject) });
      if (!isFlushing) void flush();
    });
  };

  async function run(job: JobRecord, ac: JobAbortController): Promise<void> {
    const def = handlers.get(job.name) as JobDefinition;
    const { signal } = ac;
    const heartbeat = setInterval(async () => {
      try {
        if (await store.extendLease(job.id, id, leaseMs, { now: now() })) return;
        const current = await store.get(job.id);
        ac.abort(
          current?.state === 'cancelled'
            ? new JobsError(ERROR_CODES.CANCELLED, `job ${job.id} was cancelled`)
            : new JobsError(ERROR_CODES.LEASE_LOST, `worker ${id} lost the lease of job ${job.id}`),
        );
      } catch (err) {
        emit('error', err);
      }
    }, leaseMs / 3);
    heartbeat.unref();
    const timer =
      job.timeoutMs === null
        ? undefined
        : setTimeout(
            () =>
              ac.abort(
                new JobsError(
                  ERROR_CODES.TIMEOUT,
                  `job ${job.id} (${job.name}) timed out after ${job.timeoutMs} ms`,
                ),
              ),
            job.timeoutMs,
          );
    const context: JobContext = {
      id: job.id,
      name: job.name,
      queue: job.queue,
      attempt: job.attempts,
      maxAttempts: job.maxAttempts,
      signal,
      job,
      async progress(value) {
        if (signal.aborted) return;
        if (await store.progress(job.id, id, value, { now: now() })) emit('progress', job, value);
      },
    };
    emit('active', job);
    try {
      // The handler's outcome, or the abort's reason as soon as the job is aborted (the
      // handler may go on; its outcome is then ignored).
      const result = await new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason);
        ac.onAbort = reject;
        try {
          Promise.resolve(def.handler(job.payload, context)).then(resolve, reject);
        } catch (err) {
          reject(err);
        }
      });
      if (await complete(job.id, result)) emit('completed', job, result);
    } catch (err) {
      await settleFailure(job, err, signal);
    } finally {
      clearInterval(heartbeat);
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  async function settleFailure(job: JobRecord, err: unknown, signal: AbortSignal): Promise<void> {
    const reason = signal.aborted ? signal.reason : undefined;
    const code = reason instanceof JobsError ? reason.code : undefined;
    if (code === ERROR_CODES.CANCELLED) return void emit('cancelled', job);
    if (code === ERROR_CODES.LEASE_LOST) return void emit('error', reason);
    if (code === ERROR_CODES.SHUTDOWN) {
      if (await store.release(job.id, id, { now: now() })) emit('released', job);
      return;
    }
    const isFinal = err instanceof UnrecoverableError || job.attempts >= job.maxAttempts;
    const retryAt = isFinal ? null : now() + backoffDelay(job.backoff, job.attempts);
    if (!(await store.fail(job.id, id, errorText(err), retryAt, { now: now() }))) return;
    if (retryAt === null) emit('failed', job, err);
    else {
      emit('retrying', job, err, retryAt);
      // The retry may be due before the next poll.
      if (retryAt - now() < pollIntervalMs)
        setTimeout(wakeUp, Math.max(0, retryAt - now())).unref();
    }
  }

  const start = (job: JobRecord) => {
    const ac = new JobAbortController();
    const entry = {
      ac,
      done: run(job, ac)
        .catch((err) => emit('error', err))
        .finally(() => {
          // A finished job makes a claim worth trying only when it frees a slot the worker
          // lacked, or a group's slot. Otherwise the extra claim would only delay the claim a
          // new job's wake-up asks for (the loop runs one claim at a time).
          const wasFull = running.size >= concurrency;
          running.delete(job.id);
          if (wasFull || group !== undefined) wakeUp();
        }),
    };
    running.set(job.id, entry);
    return entry;
  };

  const loop = (async () => {
    try {
      await internals.ready();
    } catch (err) {
      emit('error', err);
      return;
    }
    if (store.subscribe !== undefined)
      unsubscribe = await store.subscribe(queue.name, onNotified).catch((err: unknown) => {
        emit('error', err);
        return undefined;
      });
    while (!isClosing) {
      const free = concurrency - running.size;
      if (free <= 0) {
        await sleep(pollIntervalMs);
        continue;
      }
      let claimed: JobRecord[] = [];
      try {
        claimed = await store.claim({
          queue: queue.name,
          workerId: id,
          leaseMs,
          limit: free,
          names,
          group,
          now: now(),
        });
      } catch (err) {
        emit('error', err);
        await sleep(pollIntervalMs);
        continue;
      }
      for (const job of claimed) start(job);
      if (claimed.length === free) continue;
      // Woken while claiming (a job added meanwhile): claim again at once rather than first
      // asking for the next run time, a round trip the new job would wait for.
      if (hasPendingWake) {
        hasPendingWake = false;
        continue;
      }
      // The next run time decides how long to sleep. When only jobs due now were added since
      // it was last asked, the known one still holds: asking again would be a round trip per
      // job, running beside the next job's add and claim. With group limits a job due now may
      // be held back, so it is always asked.
      if (!isKnownNextRunAtStale() && group === undefined) {
        if (!isClosing) await sleep(waitUntil(knownNextRunAt));
        continue;
      }
      // A wake-up (a job added meanwhile) must not wait for its round trip: the claim starts
      // at once, the answer is dropped and asked for again after that claim.
      const waitMs = await untilWokenOr(nextWaitMs());
      if (waitMs === undefined) {
        isNextRunAtStale = true;
        continue;
      }
      if (!isClosing) await sleep(waitMs);
    }
  })();

  let closing: Promise<void> | undefined;
  const worker: Worker = {
    id,
    get running() {
      return running.size;
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    },
    close(o = {}) {
      closing ??= (async () => {
        isClosing = true;
        wakeUp();
        await loop;
        const deadline = o.timeoutMs ?? shutdownTimeoutMs;
        const all = Promise.all([...running.values()].map((r) => r.done));
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          all.then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), deadline);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut)
          for (const [jobId, r] of running)
            r.ac.abort(
              new JobsError(ERROR_CODES.SHUTDOWN, `worker ${id} shut down while job ${jobId} ran`),
            );
        await Promise.all([...running.values()].map((r) => r.done));
        await unsubscribe?.();
        local.onAdded.delete(onAdded);
        local.onCancelled.delete(onCancelled);
      })();
      return closing;
    },
    [Symbol.asyncDispose]: () => worker.close(),
  };
  return worker;
}
