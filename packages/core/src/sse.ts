import { Headers } from './headers.js';
import { checkStatus } from './internal/check-status.js';
import type { ResponseInit } from './response-helpers.js';
import { RwsError } from './rws-error.js';
import type { Response } from './types.js';

/** One server-sent event. Every field is optional; an empty object sends an empty message. */
export interface SseEvent {
  /** The data; a non-string is sent as JSON. Multi-line text becomes several `data:` lines. */
  data?: unknown;
  /** The event type (`event:`); no CR or LF. */
  event?: string | undefined;
  /** The last-event-ID (`id:`); no CR, LF or NUL. */
  id?: string | undefined;
  /** Reconnection time in milliseconds (`retry:`), a non-negative integer. */
  retry?: number | undefined;
  /** A comment line (`: …`), ignored by clients; useful for keep-alive and debugging. */
  comment?: string | undefined;
}

/** Options of `sse()`. */
export interface SseOptions extends ResponseInit {
  /**
   * Sends a `: keep-alive` comment after this many ms without an event, so proxies and load
   * balancers do not drop an idle stream. 0 disables it. Default 15000.
   */
  keepAliveMs?: number | undefined;
}

const encoder = new TextEncoder();

function invalid(field: string): RwsError {
  return new RwsError('RWS_CORE_SSE_INVALID', `server-sent event ${field} is invalid`, {
    status: 500,
  });
}

/** Appends `prefix + line + LF` for each line of `value`, split at CRLF, CR or LF. */
function appendLines(out: string, prefix: string, value: string): string {
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 10 || c === 13) {
      out += prefix + value.slice(start, i) + '\n';
      if (c === 13 && value.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
    }
  }
  return out + prefix + value.slice(start) + '\n';
}

function hasLineBreak(value: string, alsoNul: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 10 || c === 13 || (alsoNul && c === 0)) return true;
  }
  return false;
}

/**
 * Serialises one event in the `text/event-stream` format (HTML Living Standard §9.2.5).
 * A string is shorthand for `{ data: string }`. The result ends with the blank line that
 * dispatches the event (a comment-only event just ends its comment lines).
 */
export function serializeSseEvent(event: SseEvent | string): string {
  if (typeof event === 'string') return appendLines('', 'data: ', event) + '\n';
  let out = '';
  if (event.comment !== undefined) out = appendLines(out, ': ', event.comment);
  if (event.event !== undefined) {
    if (hasLineBreak(event.event, false)) throw invalid('event type');
    out += 'event: ' + event.event + '\n';
  }
  if (event.id !== undefined) {
    // §9.2.6: an id containing NUL is ignored by clients; CR/LF would inject fields.
    if (hasLineBreak(event.id, true)) throw invalid('id');
    out += 'id: ' + event.id + '\n';
  }
  if (event.retry !== undefined) {
    if (!Number.isSafeInteger(event.retry) || event.retry < 0) throw invalid('retry');
    out += 'retry: ' + event.retry + '\n';
  }
  const data = event.data;
  if (data !== undefined) {
    const value = typeof data === 'string' ? data : (JSON.stringify(data) ?? 'null');
    out = appendLines(out, 'data: ', value);
  } else if (event.event === undefined && event.id === undefined && event.retry === undefined) {
    // A comment alone dispatches nothing; an empty object is an empty message.
    if (event.comment !== undefined) return out;
    out += 'data: \n';
  }
  return out + '\n';
}

function noop(): void {}

const KEEP_ALIVE = encoder.encode(': keep-alive\n\n');

/**
 * The body iterator of an SSE response: pulls the next event from the source, serialises it
 * and yields it at once (no buffering), interleaving keep-alive comments while the source is
 * idle. `return()` (the client went away) stops the source and the timer.
 */
class SseBody implements AsyncIterableIterator<Uint8Array> {
  #source: AsyncIterator<SseEvent | string>;
  #keepAliveMs: number;
  #pending: Promise<IteratorResult<SseEvent | string>> | null = null;
  #isDone = false;

  constructor(source: AsyncIterable<SseEvent | string>, keepAliveMs: number) {
    this.#source = source[Symbol.asyncIterator]();
    this.#keepAliveMs = keepAliveMs;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#isDone) return { done: true, value: undefined };
    const pending = (this.#pending ??= this.#source.next());
    let result: IteratorResult<SseEvent | string> | null;
    if (this.#keepAliveMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const idle = new Promise<null>((resolve) => {
        timer = setTimeout(resolve, this.#keepAliveMs, null);
      });
      try {
        result = await Promise.race([pending, idle]);
      } catch (err) {
        this.#isDone = true;
        throw err;
      } finally {
        clearTimeout(timer);
      }
      if (result === null) return { done: false, value: KEEP_ALIVE };
    } else {
      try {
        result = await pending;
      } catch (err) {
        this.#isDone = true;
        throw err;
      }
    }
    this.#pending = null;
    if (result.done) {
      this.#isDone = true;
      return { done: true, value: undefined };
    }
    let chunk: string;
    try {
      chunk = serializeSseEvent(result.value);
    } catch (err) {
      // A bad event ends the stream; stop the source too, nothing more will be pulled.
      void this.return();
      throw err;
    }
    return { done: false, value: encoder.encode(chunk) };
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#isDone) {
      this.#isDone = true;
      this.#pending = null;
      // Not awaited: an async generator parked on an `await` settles return() only when it
      // next yields, and the transport must not hang on that while cleaning up a dead client.
      void Promise.resolve(this.#source.return?.()).catch(noop);
    }
    return Promise.resolve({ done: true, value: undefined });
  }
}

/**
 * A `text/event-stream` response that writes each event as the source produces it. Sets
 * `Cache-Control: no-cache` and `X-Accel-Buffering: no` (so nginx-style proxies do not buffer).
 *
 * @example
 * ```ts
 * import { sse } from '@rws/core';
 * async function* ticks() {
 *   for (let i = 0; i < 3; i++) yield { event: 'tick', data: { i } };
 * }
 * const res = sse(ticks());
 * ```
 */
export function sse(source: AsyncIterable<SseEvent | string>, init?: SseOptions): Response {
  const headers = new Headers(init?.headers);
  if (!headers.has('content-type')) headers.set('content-type', 'text/event-stream');
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-cache');
  if (!headers.has('x-accel-buffering')) headers.set('x-accel-buffering', 'no');
  const keepAliveMs = init?.keepAliveMs ?? 15_000;
  return {
    status: init?.status === undefined ? 200 : checkStatus(init.status),
    headers,
    body: new SseBody(source, keepAliveMs),
  };
}
