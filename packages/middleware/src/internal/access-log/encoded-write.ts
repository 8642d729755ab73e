/**
 * The link between `createLogSink()` and `accessLog()` for lines written as bytes: a sink's
 * `write` function carries its byte-level writer under this symbol, so `accessLog({ write:
 * sink.write })` (the documented wiring) finds it without a new option, and any other `write`
 * simply gets strings.
 */

/** Key of the byte-level writer on a `createLogSink()` sink's `write` function. */
export const ENCODED_WRITE: unique symbol = Symbol('rws.accessLog.encodedWrite');

/**
 * Queues a line that `encode(item, buf, at)` writes into the sink's buffer from `at` (line and
 * newline, at most `maxBytes`), returning the end or -1. Returns false only when `encode`
 * declined (the caller writes the line as a string instead); a line the sink drops (closed,
 * over its memory bound) counts as handled.
 */
export type EncodedWrite = <T>(
  maxBytes: number,
  item: T,
  encode: (item: T, buf: Uint8Array, at: number) => number,
) => boolean;

/** The byte-level writer carried by `write`, or null for any other function. */
export function encodedWriteOf(write: (line: string) => void): EncodedWrite | null {
  const found = (write as { [ENCODED_WRITE]?: unknown })[ENCODED_WRITE];
  return typeof found === 'function' ? (found as EncodedWrite) : null;
}
