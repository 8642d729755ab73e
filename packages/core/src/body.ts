import type { Headers } from './headers.js';
import { RwsError } from './rws-error.js';
import type { BodySource } from './types.js';

/** Options for reading a whole body into memory. */
export interface BodyReadOptions {
  /** Maximum bytes to accept; more throws `RWS_CORE_BODY_TOO_LARGE` (413). */
  limit?: number | undefined;
}

/** Options of a `Body`. */
export interface BodyOptions {
  /**
   * The default limit for `bytes()`/`text()`/`json()`/`form()` when the call gives none.
   * Transports set it from their `maxBodyBytes`. Default 1 MiB.
   */
  limit?: number | undefined;
}

/** The default in-memory read limit: 1 MiB, like fastify's `bodyLimit`. */
export const DEFAULT_BODY_LIMIT: number = 1024 * 1024;

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

/**
 * A request body: a one-shot stream of bytes. Read it once, in one of these ways: `bytes()`,
 * `text()`, `json()`, `form()`, `for await (const chunk of body)` or `stream()`. Reading is
 * pull-based, so a handler that reads slowly slows the client down (backpressure) and a
 * handler that never reads never buffers anything.
 */
export class Body implements AsyncIterable<Uint8Array> {
  #source: BodySource | null;
  #isUsed = false;
  #limit: number;

  constructor(source: BodySource | null, options: BodyOptions = {}) {
    this.#source = source;
    this.#limit = options.limit ?? DEFAULT_BODY_LIMIT;
  }

  /** A body with no bytes. */
  static empty(): Body {
    return new Body(null);
  }

  /** A body over bytes, text, an async iterable or a web stream (for tests and adapters). */
  static from(
    init: string | Uint8Array | AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null,
    options?: BodyOptions,
  ): Body {
    if (init === null) return new Body(null, options);
    if (typeof init === 'string')
      return new Body(bytesSource(new TextEncoder().encode(init)), options);
    if (init instanceof Uint8Array) return new Body(bytesSource(init), options);
    return new Body(iterableSource(init as AsyncIterable<Uint8Array>), options);
  }

  /** The declared length in bytes (Content-Length), 0 for no body, or null when unknown. */
  get length(): number | null {
    return this.#source === null ? 0 : this.#source.length;
  }

  /** False when the request certainly has no body bytes. */
  get hasBody(): boolean {
    return this.#source !== null && this.#source.length !== 0;
  }

  /** True once reading has started. A body can be read only once. */
  get isUsed(): boolean {
    return this.#isUsed;
  }

  /** The default read limit of this body. */
  get limit(): number {
    return this.#limit;
  }

  /** Trailer fields (chunked HTTP/1.1, h2, h3), available after the body has been read. */
  trailers(): Headers | null {
    return this.#source?.trailers?.() ?? null;
  }

  /** Reads the whole body. Throws `RWS_CORE_BODY_TOO_LARGE` (413) past the limit. */
  async bytes(options: BodyReadOptions = {}): Promise<Uint8Array> {
    const limit = options.limit ?? this.#limit;
    const source = this.#take();
    if (source === null) return EMPTY;
    if (source.length !== null && source.length > limit) {
      source.cancel();
      throw tooLarge(limit);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = await source.read();
      if (chunk === null) break;
      total += chunk.byteLength;
      if (total > limit) {
        source.cancel();
        throw tooLarge(limit);
      }
      chunks.push(chunk);
    }
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }

  /** Reads the whole body as UTF-8 text (invalid sequences become U+FFFD). */
  async text(options?: BodyReadOptions): Promise<string> {
    return decoder.decode(await this.bytes(options));
  }

  /** Reads and parses JSON. Invalid JSON throws `RWS_CORE_BODY_INVALID_JSON` (400). */
  async json<T = unknown>(options?: BodyReadOptions): Promise<T> {
    const text = await this.text(options);
    try {
      return JSON.parse(text) as T;
    } catch (cause) {
      throw new RwsError(
        'RWS_CORE_BODY_INVALID_JSON',
        `request body is not valid JSON: ${(cause as Error).message}`,
        {
          status: 400,
          cause,
        },
      );
    }
  }

  /** Reads an `application/x-www-form-urlencoded` body. */
  async form(options?: BodyReadOptions): Promise<URLSearchParams> {
    return new URLSearchParams(await this.text(options));
  }

  /** Gives up on the body; the transport discards what is left. */
  cancel(reason?: unknown): void {
    const source = this.#source;
    this.#isUsed = true;
    this.#source = null;
    source?.cancel(reason);
  }

  /** The body as a web `ReadableStream` (pull-based, so backpressure carries through). */
  stream(): ReadableStream<Uint8Array> {
    const source = this.#take();
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const chunk = source === null ? null : await source.read();
          if (chunk === null) controller.close();
          else controller.enqueue(chunk);
        },
        cancel(reason) {
          source?.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /**
   * Iterates the chunks. Not an async generator on purpose: a generator's `return()` before its
   * first `next()` skips its `finally`, so a transport releasing an unsent response body would
   * never cancel it and an upstream exchange would stay open. Here `return()` always cancels
   * what is left, read or not.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let source: BodySource | null | undefined; // undefined: not taken yet
    let isDone = false;
    const finish = (): IteratorReturnResult<undefined> => {
      isDone = true;
      return { done: true, value: undefined };
    };
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        if (isDone) return { done: true, value: undefined };
        if (source === undefined) source = this.#take();
        if (source === null) return finish();
        let chunk: Uint8Array | null;
        try {
          chunk = await source.read();
        } catch (err) {
          isDone = true;
          throw err;
        }
        return chunk === null ? finish() : { done: false, value: chunk };
      },
      return: async (): Promise<IteratorResult<Uint8Array>> => {
        if (isDone) return { done: true, value: undefined };
        // A consumer that stops early (break, release before reading) cancels the rest.
        if (source === undefined) this.cancel();
        else source?.cancel();
        return finish();
      },
    };
  }

  #take(): BodySource | null {
    if (this.#isUsed) {
      throw new RwsError('RWS_CORE_BODY_USED', 'request body has already been read', {
        status: 500,
      });
    }
    this.#isUsed = true;
    return this.#source;
  }
}

function tooLarge(limit: number): RwsError {
  return new RwsError(
    'RWS_CORE_BODY_TOO_LARGE',
    `request body is larger than the limit of ${limit} bytes`,
    {
      status: 413,
    },
  );
}

function bytesSource(bytes: Uint8Array): BodySource {
  let isRead = false;
  return {
    length: bytes.byteLength,
    read: () => {
      if (isRead || bytes.byteLength === 0) return Promise.resolve(null);
      isRead = true;
      return Promise.resolve(bytes);
    },
    cancel: () => {
      isRead = true;
    },
  };
}

function iterableSource(
  iterable: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
): BodySource {
  const iterator = (iterable as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return {
    length: null,
    read: async () => {
      const { value, done } = await iterator.next();
      return done ? null : value;
    },
    cancel: (reason) => {
      // Not awaited (a generator parked on an await settles return() only at its next yield),
      // but caught: a return() that rejects must not become an unhandled rejection.
      try {
        void Promise.resolve(iterator.return?.(reason)).catch(noop);
      } catch {
        // A return() that throws synchronously has nothing more to release.
      }
    },
  };
}

function noop(): void {}
