/**
 * `accessLog()`: one line per request — JSON, Combined Log Format or a short coloured form —
 * written when the response is finished, streamed bodies included; `createLogSink()`: the
 * buffered, asynchronous writer that makes leaving it on cheap.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import {
  errorStatus,
  type FileBodyInit,
  type Handler,
  isNullBodyStatus,
  isPromise,
  isToken,
  type MaybePromise,
  type Middleware,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';

export {
  type AccessLogFields,
  type AccessLogFieldValue,
  type AccessLogFieldValues,
  defineLogFields,
} from './log-fields.js';
export { createLogSink, type LogSink, type LogSinkOptions } from './log-sink.js';

import { countAsyncIterable, countReadableStream } from '../internal/access-log/count-body.js';
import {
  formatCombined,
  formatPretty,
  type LogEntry,
  protocolName,
} from '../internal/access-log/format.js';
import { formatJson, formatJsonFields } from '../internal/access-log/json-line.js';
import { type AccessLogFields, declaredFields } from './log-fields.js';

/** What one access-log line is built from; given to a custom `format` function. */
export type AccessLogEntry = LogEntry;

/** A built-in format, or a function that turns an entry into one line (no newline). */
export type AccessLogFormat = 'json' | 'combined' | 'pretty' | ((entry: AccessLogEntry) => string);

/** Options of `accessLog()`. */
export interface AccessLogOptions {
  /**
   * `'json'` (default): one JSON object per line. `'combined'`: the Combined Log Format of
   * Apache and nginx. `'pretty'`: `GET /path 200 1.2 ms 512 B`, for development.
   */
  format?: AccessLogFormat | undefined;
  /**
   * Receives each line, without a trailing newline. Default: one `process.stdout.write` per
   * line (with the newline).
   */
  write?: ((line: string) => void) | undefined;
  /**
   * The clock, in milliseconds since the epoch: the line's time and the duration both come
   * from it. Default `performance.timeOrigin + performance.now()` (sub-millisecond).
   */
  now?: (() => number) | undefined;
  /** Colour the status in `'pretty'` lines. Default: stdout is a TTY and `NO_COLOR` is unset. */
  isTTY?: boolean | undefined;
  /** Write Combined Log Format times in `'utc'` or `'local'` (default, as Apache and nginx). */
  timeZone?: 'local' | 'utc' | undefined;
  /** The header holding the request id (request, then response). Default `x-request-id`. */
  requestIdHeader?: string | undefined;
  /** Return true to write no line for this request (health checks, …). */
  skip?: ((req: Request, status: number) => boolean) | undefined;
  /**
   * Extra fields for this request's line, called when the line is written (after a streamed
   * body finished; `res` is null when the handler threw). JSON lines get them as keys of their
   * own (a standard key such as `status` is never replaced); `combined` and `pretty` lines end
   * with ` key="value"` pairs (`combined` writes null as `"-"`, `pretty` leaves it out). A throw
   * writes the line without them and emits a warning.
   *
   * @example
   * ```ts
   * // getProxyInfo comes from the @rws/proxy package (a layer above this one).
   * accessLog({ fields: (req) => ({ upstream_error: getProxyInfo(req)?.error ?? null }) });
   * ```
   *
   * The same keys on every line? `defineLogFields(keys, values)` makes this function from keys
   * declared once, and JSON lines then read only the values.
   */
  fields?: AccessLogFields | undefined;
}

function fail(message: string): never {
  throw new RwsError(ERROR_CODES.ACCESS_LOG_INVALID_OPTIONS, `accessLog: ${message}`);
}

function isFileBody(body: unknown): body is FileBodyInit {
  return typeof body === 'object' && body !== null && (body as FileBodyInit).kind === 'file';
}

function isReadableStream(body: unknown): body is ReadableStream<Uint8Array> {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as ReadableStream).getReader === 'function'
  );
}

function defaultWrite(line: string): void {
  process.stdout.write(`${line}\n`);
}

// Imported, not the global: `globalThis.performance` is a lazy getter Node runs on every read.
const TIME_ORIGIN = performance.timeOrigin;

function defaultNow(): number {
  return TIME_ORIGIN + performance.now();
}

function defaultIsTTY(): boolean {
  const noColor = process.env['NO_COLOR'];
  return process.stdout.isTTY === true && (noColor === undefined || noColor === '');
}

/**
 * Creates the access-log middleware. Put it first (outermost) so the duration covers the
 * whole pipeline.
 *
 * The line is written when the response is finished. Over a transport that reports it
 * (`req.onResponseSent`, HTTP/1.1), that is when the last byte was handed to the operating
 * system, with the body bytes actually written, as nginx's `$request_time` and
 * `$body_bytes_sent`: a 1 MiB download logs the time it took to send, a client that went
 * away logs what it got. Elsewhere (h2, in-process): for string and byte bodies as soon as
 * `next()` returns them; for streamed bodies (async iterables, web streams) when the
 * transport has pulled the last chunk, or stops early (the line then shows the bytes sent so
 * far); for file bodies with the length of the file range. HEAD requests and 1xx/204/304
 * responses log 0 bytes. An error thrown by `next()` is logged with the status the App will
 * answer (the error's 4xx/5xx `status`, else 500) and rethrown.
 *
 * @example
 * ```ts
 * import { accessLog } from '@rws/middleware/access-log';
 *
 * const log = accessLog({ format: 'combined' });
 * // 127.0.0.1 - - [21/Nov/2026:23:40:00 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl/8.5.0"
 * ```
 */
export function accessLog(options: AccessLogOptions = {}): Middleware {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const format = options.format ?? 'json';
  if (
    format !== 'json' &&
    format !== 'combined' &&
    format !== 'pretty' &&
    typeof format !== 'function'
  ) {
    fail(`format must be 'json', 'combined', 'pretty' or a function, got ${String(format)}`);
  }
  const write = options.write ?? defaultWrite;
  if (typeof write !== 'function') fail('write must be a function');
  const now = options.now ?? defaultNow;
  if (typeof now !== 'function') fail('now must be a function');
  const skip = options.skip ?? null;
  if (skip !== null && typeof skip !== 'function') fail('skip must be a function');
  const fields = options.fields ?? null;
  if (fields !== null && typeof fields !== 'function') fail('fields must be a function');
  if (options.isTTY !== undefined && typeof options.isTTY !== 'boolean') {
    fail('isTTY must be a boolean');
  }
  const isColor = options.isTTY ?? defaultIsTTY();
  const timeZone = options.timeZone ?? 'local';
  if (timeZone !== 'local' && timeZone !== 'utc') fail(`timeZone must be 'local' or 'utc'`);
  const isUtc = timeZone === 'utc';
  const idHeader = options.requestIdHeader ?? 'x-request-id';
  if (typeof idHeader !== 'string' || !isToken(idHeader)) {
    fail(`requestIdHeader must be a header name, got ${JSON.stringify(idHeader)}`);
  }

  // JSON lines of a `defineLogFields` function take its values in the declared order.
  const declared = fields !== null && format === 'json' ? declaredFields(fields) : undefined;
  const declaredKeys = declared?.keys ?? [];
  const render: (entry: LogEntry) => string =
    typeof format === 'function'
      ? format
      : format === 'json'
        ? formatJson
        : format === 'combined'
          ? (e) => formatCombined(e, isUtc)
          : (e) => formatPretty(e, isColor);

  const emit = (
    req: Request,
    res: Response | null,
    status: number,
    startMs: number,
    bytes: number,
  ): void => {
    if (skip?.(req, status) === true) return;
    const headers = req.headers;
    let extra: LogEntry['fields'] = null;
    let values: readonly unknown[] | null = null;
    if (fields !== null) {
      try {
        if (declared === undefined) extra = fields(req, res) ?? null;
        else values = declared.values(req, res) ?? null;
      } catch (err) {
        process.emitWarning(
          `accessLog: the fields function threw: ${String(err)}`,
          'RwsAccessLogWarning',
        );
      }
    }
    const entry: LogEntry = {
      startMs,
      remoteAddress: req.conn.remoteAddress,
      method: req.method,
      target: req.target,
      protocol: protocolName(req.protocol),
      status,
      bytes,
      durationMs: Math.max(0, now() - startMs),
      userAgent: headers.get('user-agent'),
      referer: headers.get('referer'),
      requestId: headers.get(idHeader) ?? res?.headers.get(idHeader) ?? null,
      fields: extra,
    };
    try {
      write(values === null ? render(entry) : formatJsonFields(entry, declaredKeys, values));
    } catch (err) {
      // A failing log sink must not break the response being sent.
      process.emitWarning(
        `accessLog: writing a line failed: ${String(err)}`,
        'RwsAccessLogWarning',
      );
    }
  };

  const finish = (req: Request, res: Response, startMs: number): Response => {
    const status = res.status;
    const whenSent = req.onResponseSent;
    if (typeof whenSent === 'function') {
      // The transport says when the last byte left and how many went: the duration and
      // bytes nginx's `$request_time` and `$body_bytes_sent` report, for every kind of body.
      whenSent.call(req, (bytes) => emit(req, res, status, startMs, bytes));
      return res;
    }
    const body = res.body;
    // RFC 9110 §9.3.2 / §6.4.1: no body is sent for HEAD, 1xx, 204 and 304.
    if (body === null || req.method === 'HEAD' || isNullBodyStatus(status)) {
      emit(req, res, status, startMs, 0);
      return res;
    }
    if (typeof body === 'string') {
      emit(req, res, status, startMs, Buffer.byteLength(body));
      return res;
    }
    if (body instanceof Uint8Array) {
      emit(req, res, status, startMs, body.byteLength);
      return res;
    }
    if (isFileBody(body)) {
      const start = body.start ?? 0;
      if (body.end !== undefined) {
        emit(req, res, status, startMs, Math.max(0, body.end - start + 1));
      } else {
        // The range runs to the end of the file: its size is one stat away.
        stat(body.path).then(
          (s) => emit(req, res, status, startMs, Math.max(0, s.size - start)),
          () => emit(req, res, status, startMs, 0),
        );
      }
      return res;
    }
    const onEnd = (bytes: number): void => emit(req, res, status, startMs, bytes);
    res.body = isReadableStream(body)
      ? countReadableStream(body, onEnd)
      : countAsyncIterable(body as AsyncIterable<Uint8Array>, onEnd);
    return res;
  };

  /** A handler that threw: logged with the status the App answers, once that is sent. */
  const failed = (req: Request, err: unknown, startMs: number): void => {
    const status = errorStatus(err);
    const whenSent = req.onResponseSent;
    if (typeof whenSent === 'function') {
      whenSent.call(req, (bytes) => emit(req, null, status, startMs, bytes));
    } else emit(req, null, status, startMs, 0);
  };

  return {
    handle(req: Request, next: Handler): MaybePromise<Response> {
      const startMs = now();
      let res: MaybePromise<Response>;
      try {
        res = next(req);
      } catch (err) {
        failed(req, err, startMs);
        throw err;
      }
      if (isPromise(res)) {
        return res.then(
          (r) => finish(req, r, startMs),
          (err: unknown) => {
            failed(req, err, startMs);
            throw err;
          },
        );
      }
      return finish(req, res, startMs);
    },
  };
}
