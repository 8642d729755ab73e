/**
 * A log sink's batch, for the access log to encode its JSON lines straight into (issue #10):
 * `createLogSink` registers one behind its `write` function, so `accessLog({ write: sink.write })`
 * finds it without an option of its own, as `defineLogFields` hands over declared keys.
 */

/** Where a line's bytes go: the sink's batch buffer. */
export interface LineTarget {
  /**
   * The buffer to encode the next line into from `used` on, with `maxBytes` of room there, or
   * null when the sink drops the line (closed, or too much waiting to be written).
   */
  room(maxBytes: number): Buffer | null;
  /** Where the next line starts in the buffer `room` returned. */
  readonly used: number;
  /** Queues the bytes written from `used` up to `end` (the newline included). */
  commit(end: number): void;
}

const targets = new WeakMap<(line: string) => void, LineTarget>();

/** Registers `target` as where `write`'s lines go as bytes. */
export function setLineTarget(write: (line: string) => void, target: LineTarget): void {
  targets.set(write, target);
}

/** The batch behind a sink's `write` function, or undefined for any other function. */
export function lineTargetOf(write: (line: string) => void): LineTarget | undefined {
  return targets.get(write);
}
