import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** An invalid option: names the option and the offending value. */
export function invalidOption(name: string, value: unknown, expected: string): RwsError {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = String(value);
  }
  return new RwsError(
    ERROR_CODES.INVALID_OPTIONS,
    `${name}: ${expected} (got ${shown.slice(0, 100)})`,
    { status: 500 },
  );
}
