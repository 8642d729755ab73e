/**
 * One HTTP/2 stream on the server side: the request body source (flow-controlled by the
 * handler's reads), the send window of the response, and the stream's state (RFC 9113 §5.1).
 */
import type { BodySource, Headers } from '@rws/core';
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** Stream states the server needs (RFC 9113 §5.1). */
const OPEN = 0;
export const HALF_CLOSED_REMOTE = 1;
export const HALF_CLOSED_LOCAL = 2;
export const CLOSED = 3;

/** The request-body side, and what the connection needs to know about the response. */
export class H2Stream implements BodySource {
  readonly id: number;
  state: number = OPEN;
  /** Octets the peer may still send us on this stream. */
  recvWindow: number;
  /** Octets we may still send on this stream. */
  sendWindow: number;
  /** Declared Content-Length, or null. */
  readonly length: number | null;
  /** DATA octets received so far (checked against `length`). */
  received = 0;
  /** True once the response HEADERS (final status) went out. */
  isResponseStarted = false;
  /** True once `req.upgrade.accept()` turned the stream into a tunnel. */
  isTunnel = false;
  /** Aborted on RST_STREAM, connection loss or send timeout. */
  readonly abort: AbortController = new AbortController();
  /** Resolves a writer waiting for window. */
  windowWaiter: (() => void) | null = null;
  /** Trailers the client sent. */
  requestTrailers: Headers | null = null;

  #queue: Uint8Array[] = [];
  #error: unknown = null;
  #isEnded = false;
  #isCancelled = false;
  #waiter: { resolve: (c: Uint8Array | null) => void; reject: (e: unknown) => void } | null = null;
  readonly #onConsumed: (stream: H2Stream, n: number) => void;

  constructor(
    id: number,
    recvWindow: number,
    sendWindow: number,
    length: number | null,
    onConsumed: (stream: H2Stream, n: number) => void,
  ) {
    this.id = id;
    this.recvWindow = recvWindow;
    this.sendWindow = sendWindow;
    this.length = length;
    this.#onConsumed = onConsumed;
  }

  /** A DATA payload arrived. */
  pushData(chunk: Uint8Array): void {
    if (this.#isCancelled) {
      // Nobody reads it: give the window back at once so the peer is not stalled.
      this.#onConsumed(this, chunk.length);
      return;
    }
    if (this.#waiter !== null) {
      const w = this.#waiter;
      this.#waiter = null;
      this.#onConsumed(this, chunk.length);
      w.resolve(chunk);
      return;
    }
    this.#queue.push(chunk);
  }

  /** END_STREAM arrived. */
  end(): void {
    this.#isEnded = true;
    if (this.#waiter !== null && this.#queue.length === 0) {
      const w = this.#waiter;
      this.#waiter = null;
      w.resolve(null);
    }
  }

  /**
   * The body failed (reset, framing error, too large). A body whose END_STREAM already arrived
   * is complete: what is still queued stays readable (RFC 9113 §8.1: a RST_STREAM NO_ERROR
   * after a complete response must not make the receiver discard it).
   */
  fail(err: unknown): void {
    if (this.#isEnded) return;
    this.#error = err;
    this.#queue = [];
    if (this.#waiter !== null) {
      const w = this.#waiter;
      this.#waiter = null;
      w.reject(err);
    }
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#onConsumed(this, chunk.length);
      return Promise.resolve(chunk);
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#isEnded) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  cancel(): void {
    this.#isCancelled = true;
    let n = 0;
    for (const c of this.#queue) n += c.length;
    this.#queue = [];
    if (n > 0) this.#onConsumed(this, n);
  }

  trailers(): Headers | null {
    return this.requestTrailers;
  }
}

/** The error a body read rejects with when the stream was reset. */
export function streamReset(id: number, code: number): RwsError {
  return new RwsError(ERROR_CODES.STREAM_RESET, `stream ${id} was reset (error code ${code})`);
}
