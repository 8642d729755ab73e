import { isRwsError } from '@rws/core';

export type { JobRecord, JobStore, NewJob, Queue } from '../src/index.js';
export { createQueue, defineJob, UnrecoverableError } from '../src/index.js';

/** isRwsError as a boolean predicate. */
export function isRwsErrorCode(err: unknown, code: string): boolean {
  return isRwsError(err, code);
}
