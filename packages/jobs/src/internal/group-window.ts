import type { GroupLimits, JobState } from '../job-store.js';

/** Waiting or active: the states in which a job keeps its key against a deduplicating add. */
export const isPending = (state: JobState): boolean => state === 'waiting' || state === 'active';

/** A group's current rate-limit window: when it opened and how many jobs started in it. */
export interface GroupWindow {
  readonly start: number;
  readonly count: number;
}

/**
 * How many more jobs of a group may start now: below the concurrency limit (counting the
 * group's active jobs on every worker) and below the rate limit of the open window (a closed
 * window counts as empty). Infinity without limits.
 */
export function groupAllowance(
  limits: GroupLimits,
  active: number,
  window: GroupWindow | undefined,
  now: number,
): number {
  let n = Number.POSITIVE_INFINITY;
  if (limits.concurrency !== undefined) n = Math.min(n, limits.concurrency - active);
  const rate = limits.rateLimit;
  if (rate !== undefined) {
    const isOpen = window !== undefined && window.start + rate.intervalMs > now;
    n = Math.min(n, rate.max - (isOpen ? window.count : 0));
  }
  return Math.max(0, n);
}

/** True when one more job of the group may start, `taken` having started in this claim. */
export const limitsAllow = (
  limits: GroupLimits,
  active: number,
  window: GroupWindow | undefined,
  taken: number,
  now: number,
): boolean => groupAllowance(limits, active, window, now) > taken;
