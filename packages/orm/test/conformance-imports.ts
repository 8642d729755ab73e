import { isRwsError } from '@rws/core';

export type { Db } from '../src/index.js';
export { OrmError, Repository } from '../src/index.js';

/** isRwsError as a boolean predicate for toSatisfy. */
export function isRwsErrorCode(err: unknown, code: string): boolean {
  return isRwsError(err, code);
}
