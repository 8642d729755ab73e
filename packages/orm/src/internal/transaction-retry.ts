/**
 * The retry loop of `db.transaction({ retry })`: which errors are retried and how long to
 * pause between attempts (exponential with full jitter, so transactions that collided do not
 * collide again in lockstep).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { TransactionRetryOptions } from '../create-db.js';
import { ERROR_CODES, OrmError, type TransactionConflict } from '../errors.js';

const ALL_CONFLICTS: readonly TransactionConflict[] = [
  'serialization',
  'deadlock',
  'lock-timeout',
  'busy',
];

function invalid(what: string, v: unknown): OrmError {
  return new OrmError(
    ERROR_CODES.INVALID_CONFIG,
    `transaction retry.${what} must be ${what === 'attempts' ? 'an integer >= 1' : 'a number >= 0'}, got ${String(v)}`,
  );
}

/** Checks `retry` once per transaction call; undefined means a single attempt. */
export function checkRetry(retry: TransactionRetryOptions | undefined): void {
  if (retry === undefined) return;
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1)
    throw invalid('attempts', retry.attempts);
  for (const k of ['delayMs', 'maxDelayMs'] as const) {
    const v = retry[k];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw invalid(k, v);
  }
}

/** True when attempt `attempt` failed with an error `retry` says to run again for. */
function isRetryable(retry: TransactionRetryOptions, err: unknown, attempt: number): boolean {
  if (
    err instanceof OrmError &&
    err.code === ERROR_CODES.SERIALIZATION_FAILURE &&
    (retry.retryOn ?? ALL_CONFLICTS).includes(err.conflict ?? 'serialization')
  )
    return true;
  return retry.isRetryable?.(err, attempt) === true;
}

/** The pause after failed attempt `attempt` (1-based): uniform in [0, min(max, base·2^(n−1))]. */
export function retryDelayMs(retry: TransactionRetryOptions, attempt: number): number {
  const bound = Math.min(retry.maxDelayMs ?? 1000, (retry.delayMs ?? 10) * 2 ** (attempt - 1));
  return Math.random() * bound;
}

/**
 * Runs `attempt` until it resolves, an error is not retryable, the attempts are used up or
 * `isFinal()` says no attempt can follow (then the last error is thrown). `attempt` must undo
 * its own work when it fails.
 */
export async function withRetry<T>(
  retry: TransactionRetryOptions | undefined,
  attempt: () => Promise<T>,
  isFinal: () => boolean = () => false,
): Promise<T> {
  const attempts = retry?.attempts ?? 1;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (retry === undefined || n >= attempts || isFinal() || !isRetryable(retry, err, n))
        throw err;
      await sleep(retryDelayMs(retry, n));
    }
  }
}
