/**
 * `createLogSink()`: buffered, asynchronous line writes to a file or a standard stream, in the
 * way of pino's sonic-boom: lines are batched in memory and written with one `fs.write` at a
 * time off the event loop, flushed on a timer, when the batch is large, on `flush()`/`close()`
 * and synchronously when the process exits.
 */
import { closeSync, openSync, write, writeSync } from 'node:fs';
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { LineBatch } from './line-batch.js';

/** Options of `createLogSink()`. */
export interface LogSinkOptions {
  /**
   * `'stdout'`, `'stderr'`, or the path of a file opened for appending (created when missing).
   */
  destination: 'stdout' | 'stderr' | (string & {});
  /** A batch this large (bytes) is written at once instead of waiting for the timer. Default 16384. */
  minWriteBytes?: number | undefined;
  /** Longest time (ms) a line waits in memory before it is written. Default 100. */
  flushIntervalMs?: number | undefined;
  /**
   * Most bytes held in memory while the destination is slower than the lines come. Lines past
   * it are dropped and counted (`droppedLines`), with one warning, so a stuck disk or a full
   * pipe cannot grow the process without bound. Default 8 MiB (8388608).
   */
  maxBufferBytes?: number | undefined;
}

/** A buffered line writer: give its `write` to `accessLog({ write })`. */
export interface LogSink {
  /** Queues one line; the newline is added. Never blocks. */
  write(line: string): void;
  /** Resolves once every line queued so far has been written. */
  flush(): Promise<void>;
  /** Writes every queued line now, blocking (process exit). */
  flushSync(): void;
  /** Flushes, then closes the file (standard streams stay open). Later lines are dropped. */
  close(): Promise<void>;
  /** Lines dropped because the buffer was full or the sink closed. */
  readonly droppedLines: number;
}

const RETRY_MS = 10;

function fail(message: string, cause?: unknown): never {
  throw new RwsError(
    ERROR_CODES.ACCESS_LOG_INVALID_OPTIONS,
    `createLogSink: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    fail(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}

/**
 * Creates a buffered log sink. Throws `RWS_MIDDLEWARE_ACCESS_LOG_INVALID_OPTIONS` when a file
 * cannot be opened for appending.
 *
 * @example
 * ```ts
 * import { accessLog, createLogSink } from '@rws/middleware/access-log';
 *
 * const sink = createLogSink({ destination: '/var/log/rws/access.log' });
 * const log = accessLog({ write: sink.write });
 * // on shutdown: await sink.close();
 * ```
 */
export function createLogSink(options: LogSinkOptions): LogSink {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const destination = options.destination;
  if (typeof destination !== 'string' || destination.length === 0) {
    fail('destination must be "stdout", "stderr" or a file path');
  }
  const minWriteBytes = positive(options.minWriteBytes, 16 * 1024, 'minWriteBytes');
  const flushIntervalMs = positive(options.flushIntervalMs, 100, 'flushIntervalMs');
  const maxBufferBytes = positive(options.maxBufferBytes, 8 * 1024 * 1024, 'maxBufferBytes');
  const isFile = destination !== 'stdout' && destination !== 'stderr';
  let fd: number;
  if (isFile) {
    try {
      fd = openSync(destination, 'a');
    } catch (err) {
      fail(`cannot open ${JSON.stringify(destination)} for appending`, err);
    }
  } else fd = destination === 'stdout' ? 1 : 2;

  // Lines not yet handed to fs.write, encoded as they come (see LineBatch).
  const pending = new LineBatch();
  // Bytes handed to fs.write and not yet confirmed written.
  let writing: Buffer | null = null;
  let timer: NodeJS.Timeout | null = null;
  let isClosed = false;
  let dropped = 0;
  let hasWarned = false;
  let waiters: (() => void)[] = [];

  const settleWaiters = (): void => {
    if (writing !== null || pending.bytes > 0 || waiters.length === 0) return;
    const list = waiters;
    waiters = [];
    for (const resolve of list) resolve();
  };

  const startWrite = (): void => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (writing !== null || pending.bytes === 0) return;
    writing = pending.take();
    writeChunk(writing, 0);
  };

  const writeChunk = (buf: Buffer, offset: number): void => {
    write(fd, buf, offset, buf.length - offset, null, (err, n) => {
      if (err !== null) {
        // A non-blocking pipe (stdout to a slow reader) that is full: try again shortly.
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
          setTimeout(() => writeChunk(buf, offset), RETRY_MS).unref();
          return;
        }
        dropped += countLines(buf, offset);
        warn(`writing the access log failed: ${err.message}`);
      } else if (offset + n < buf.length) {
        writeChunk(buf, offset + n);
        return;
      }
      pending.release(buf);
      writing = null;
      if (pending.bytes >= minWriteBytes || (pending.bytes > 0 && waiters.length > 0)) {
        startWrite();
      } else if (pending.bytes > 0) schedule();
      settleWaiters();
    });
  };

  const schedule = (): void => {
    if (timer !== null) return;
    timer = setTimeout(startWrite, flushIntervalMs);
    // A log line waiting to be written must not keep the process alive: exit flushes it.
    timer.unref();
  };

  const warn = (message: string): void => {
    if (hasWarned) return;
    hasWarned = true;
    process.emitWarning(message, 'RwsAccessLogWarning');
  };

  const flushSync = (): void => {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (pending.bytes === 0) return;
    const buf = pending.take();
    let offset = 0;
    while (offset < buf.length) {
      try {
        offset += writeSync(fd, buf, offset, buf.length - offset);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
        dropped += countLines(buf, offset);
        return;
      }
    }
  };

  process.on('exit', flushSync);

  const flush = (): Promise<void> => {
    if (writing === null && pending.bytes === 0) return Promise.resolve();
    const done = new Promise<void>((resolve) => waiters.push(resolve));
    startWrite();
    return done;
  };

  return {
    write(line: string): void {
      if (isClosed) {
        dropped++;
        return;
      }
      if (pending.bytes + (writing?.length ?? 0) > maxBufferBytes) {
        dropped++;
        warn(`access log lines are dropped: more than ${maxBufferBytes} bytes wait to be written`);
        return;
      }
      pending.add(line);
      if (writing !== null) return;
      if (pending.bytes >= minWriteBytes) startWrite();
      else schedule();
    },
    flush,
    flushSync,
    async close(): Promise<void> {
      if (isClosed) return;
      await flush();
      isClosed = true;
      process.removeListener('exit', flushSync);
      if (isFile) closeSync(fd);
    },
    get droppedLines(): number {
      return dropped;
    },
  };
}

function countLines(buf: Buffer, offset: number): number {
  let n = 0;
  for (let i = buf.indexOf(10, offset); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
