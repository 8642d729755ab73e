import { RwsError } from '@rws/core';

/**
 * Every error code @rws/jobs throws or records. docs/errors.md lists the same codes; a test
 * keeps the two in step.
 */
export const ERROR_CODES = {
  INVALID_OPTIONS: 'RWS_JOBS_INVALID_OPTIONS',
  TIMEOUT: 'RWS_JOBS_TIMEOUT',
  CANCELLED: 'RWS_JOBS_CANCELLED',
  LEASE_LOST: 'RWS_JOBS_LEASE_LOST',
  SHUTDOWN: 'RWS_JOBS_SHUTDOWN',
  CLOSED: 'RWS_JOBS_CLOSED',
  INVALID_CRON: 'RWS_JOBS_INVALID_CRON',
} as const;

/** A code @rws/jobs throws. */
export type JobsErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<JobsErrorCode, string>> = {
  RWS_JOBS_INVALID_OPTIONS:
    'A queue, worker or add() option is invalid (a negative delay, attempts below 1, an unknown backoff type, a table name that is not an identifier); the message names the option and the value.',
  RWS_JOBS_TIMEOUT:
    'A job ran longer than its timeoutMs; its AbortSignal is aborted with this error and the attempt counts as failed.',
  RWS_JOBS_CANCELLED:
    'queue.cancel() cancelled a running job; its AbortSignal is aborted with this error and the job is not retried.',
  RWS_JOBS_LEASE_LOST:
    "A worker could not renew a running job's lease (it expired and the job went back to the queue or to another worker); the AbortSignal is aborted with this error and the worker no longer owns the job.",
  RWS_JOBS_SHUTDOWN:
    "worker.close() reached its deadline while the job was running; the job's AbortSignal is aborted with this error and the job is returned to the queue.",
  RWS_JOBS_CLOSED: 'A queue was used after close().',
  RWS_JOBS_INVALID_CRON:
    'A cron expression or time zone is invalid (wrong field count, a value out of range, an unknown name or macro, an unknown IANA zone); the message names the field and the value.',
};

/** An error from @rws/jobs. */
export class JobsError extends RwsError {
  constructor(code: JobsErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.name = 'JobsError';
  }
}

/**
 * Thrown by a handler to fail the job at once, without the remaining attempts (a payload that
 * can never succeed). Any other error is retried while attempts remain.
 */
export class UnrecoverableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnrecoverableError';
  }
}
