import { isRwsError } from '@rws/core';
import type { KeyPath } from '../../config/config-problem.js';

/**
 * Runs a middleware factory; the options error it throws (an RwsError) becomes a config problem
 * at `path`, so every factory's own validation reaches the user with a key path and line.
 */
export function attempt<T>(
  ctx: { readonly problem: (path: KeyPath, message: string) => void },
  path: KeyPath,
  make: () => T,
): T | null {
  try {
    return make();
  } catch (err) {
    if (!isRwsError(err)) throw err;
    ctx.problem(path, err.message);
    return null;
  }
}
