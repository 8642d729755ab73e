import { RwsError } from '../rws-error.js';

/**
 * Validates a response status: a three-digit integer (RFC 9110 §15). Helpers check early so a
 * typo fails in the handler, not later in a transport's status line.
 */
export function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new RwsError(
      'RWS_CORE_INVALID_STATUS',
      `response status must be an integer in 100-999, got ${String(status)}`,
      { status: 500 },
    );
  }
  return status;
}
