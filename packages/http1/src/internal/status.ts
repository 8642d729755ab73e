/**
 * Reason phrases and precomputed HTTP/1.1 status lines. Status lines are built once per
 * code, so writing one costs a table load instead of string concatenation. The phrases come
 * from @rws/core's `STATUS_CODES` (RFC 9110 §15 and the registry).
 */
import { STATUS_CODES } from '@rws/core';

/** The reason phrase of `status`, or `Unknown` for unregistered codes. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unknown';
}

const STATUS_LINES: string[] = [];

/** `HTTP/1.1 <status> <reason>\r\n`, cached per code (100–999). */
export function statusLine(status: number): string {
  let line = STATUS_LINES[status];
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
    STATUS_LINES[status] = line;
  }
  return line;
}
