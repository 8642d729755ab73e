import { RwsError } from '@rws/core';

/** Throws an options error of `code`, its message prefixed with the middleware's name. */
export function failOptions(code: string, name: string, message: string): never {
  throw new RwsError(code, `${name}: ${message}`);
}

/** True for a positive safe integer. */
export function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
