/**
 * The `BodySource` of one HTTP/1.1 request: a queue the connection pushes decoded bytes
 * into and the handler pulls from. The socket is paused while the queue holds more than
 * the high-water mark and resumed when `read()` drains it, so a slow reader slows the client.
 */
import { type BodySource, Headers } from '@rws/core';

/** What a body source needs from its connection. */
export interface BodyOwner {
  /** Stop reading the socket (queue full). */
  pauseBody(): void;
  /** Start reading again (queue drained or a read is waiting). */
  resumeBody(): void;
  /** The first `read()`: the moment to send `100 Continue`. */
  onFirstRead(): void;
  /** The consumer gave up: discard what is left. */
  onBodyCancel(): void;
}

export class RequestBody implements BodySource {
  readonly length: number | null;
  #owner: BodyOwner;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #highWaterMark: number;
  #isEnded = false;
  #error: unknown = null;
  #resolve: ((chunk: Uint8Array | null) => void) | null = null;
  #reject: ((err: unknown) => void) | null = null;
  #trailers: string[] | null = null;
  #isCancelled = false;
  #isStarted = false;

  constructor(owner: BodyOwner, length: number | null, highWaterMark: number) {
    this.#owner = owner;
    this.length = length;
    this.#highWaterMark = highWaterMark;
  }

  read(): Promise<Uint8Array | null> {
    if (!this.#isStarted) {
      this.#isStarted = true;
      this.#owner.onFirstRead();
    }
    if (this.#queue.length > 0) {
      const chunk = this.#queue.shift()!;
      this.#queued -= chunk.byteLength;
      if (this.#queued <= this.#highWaterMark >> 1) this.#owner.resumeBody();
      return Promise.resolve(chunk);
    }
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#isEnded || this.#isCancelled) return Promise.resolve(null);
    this.#owner.resumeBody();
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  cancel(): void {
    if (this.#isCancelled) return;
    this.#isCancelled = true;
    this.#queue = [];
    this.#queued = 0;
    if (!this.#isEnded && this.#error === null) this.#owner.onBodyCancel();
  }

  trailers(): Headers | null {
    return this.#trailers === null ? null : Headers.fromTrustedList(this.#trailers);
  }

  /** True once `read()` was called. */
  get isStarted(): boolean {
    return this.#isStarted;
  }

  /** True when the consumer cancelled: pushes are dropped. */
  get isCancelled(): boolean {
    return this.#isCancelled;
  }

  /** Adds decoded bytes (called by the connection). */
  push(chunk: Uint8Array): void {
    if (this.#isCancelled || chunk.byteLength === 0) return;
    const resolve = this.#resolve;
    if (resolve !== null) {
      this.#resolve = null;
      this.#reject = null;
      resolve(chunk);
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    if (this.#queued > this.#highWaterMark) this.#owner.pauseBody();
  }

  /** The body is complete; `trailers` is the trailer list of a chunked body. */
  end(trailers: string[] | null): void {
    this.#isEnded = true;
    this.#trailers = trailers;
    const resolve = this.#resolve;
    if (resolve !== null) {
      this.#resolve = null;
      this.#reject = null;
      resolve(null);
    }
  }

  /** The body failed (framing error, limit, client gone). Pending and later reads reject. */
  fail(err: unknown): void {
    if (this.#isEnded || this.#error !== null) return;
    this.#error = err;
    const reject = this.#reject;
    if (reject !== null) {
      this.#resolve = null;
      this.#reject = null;
      reject(err);
    }
  }
}
