import { errorStatus } from '@rws/core';

/**
 * The text after `rws: error (GET /x): `: for a client error (4xx status) one line — the
 * message and the code — since its stack says nothing about the server; for anything else the
 * stack, which is what finding a server bug needs.
 */
export function describeError(err: unknown): string {
  const isError = err instanceof Error;
  if (errorStatus(err) < 500) {
    const code = (err as { code?: unknown } | null)?.code;
    const message = isError ? err.message : String(err);
    return `${message}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
  return isError && err.stack !== undefined ? err.stack : String(err);
}
