import type { BackoffOptions } from './job-store.js';

/**
 * The wait in milliseconds before retry number `attempt` (1 after the first failure).
 * `exponential` doubles from `delayMs`; `jitter` (0..1) takes a random part away, so the delay
 * lies in [delay × (1 − jitter), delay]; `maxDelayMs` caps the result.
 *
 * @example
 * ```ts
 * backoffDelay({ type: 'exponential', delayMs: 100 }, 3); // 400
 * ```
 */
export function backoffDelay(
  backoff: BackoffOptions | null,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (backoff === null) return 0;
  let delay =
    backoff.type === 'fixed' ? backoff.delayMs : backoff.delayMs * 2 ** Math.max(0, attempt - 1);
  if (backoff.maxDelayMs !== undefined) delay = Math.min(delay, backoff.maxDelayMs);
  const jitter = backoff.jitter ?? 0;
  if (jitter > 0) delay -= delay * jitter * random();
  return Math.round(delay);
}
