import type { BackoffOptions, JobRecord, NewJob } from '../job-store.js';

/**
 * The record of a job as an add stores it: waiting, no attempt yet. `stored` holds what the
 * store keeps in its own form (the memory store a clone, the SQL store what its JSON reads back
 * as) and the key the job holds.
 */
export function newJobRecord(
  job: NewJob,
  stored: { payload: unknown; backoff: BackoffOptions | null; key: string | null },
): JobRecord {
  return {
    id: job.id,
    queue: job.queue,
    name: job.name,
    payload: stored.payload,
    state: 'waiting',
    priority: job.priority,
    runAt: job.runAt,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    backoff: stored.backoff,
    timeoutMs: job.timeoutMs,
    workerId: null,
    leaseUntil: null,
    progress: null,
    result: null,
    error: null,
    group: job.group ?? null,
    key: stored.key,
    createdAt: job.now,
    updatedAt: job.now,
  };
}
