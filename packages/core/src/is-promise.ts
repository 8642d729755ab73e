import type { MaybePromise } from './types.js';

/**
 * True when a `MaybePromise` result is a promise (any thenable), so middleware can keep a
 * synchronous handler's answer synchronous and skip a microtask.
 */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | null)?.then === 'function';
}
