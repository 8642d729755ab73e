import type { JobState } from '../job-store.js';

/** Counts with every state present, all zero. */
export function emptyCounts(): Record<JobState, number> {
  return { waiting: 0, active: 0, completed: 0, failed: 0, cancelled: 0 };
}
