import { type BodySource, Headers, RwsError } from '@rws/core';
import { trailerProblem } from '@rws/h2';
import { ERROR_CODES, HTTP3_ERROR, Http3Error, http3Error } from '../errors.js';
import type { HeaderField } from '../qpack/qpack-decoder.js';
import type { FrameEvent } from './frame-reader.js';

/** What the body needs from its stream: the next frame event, and trailer decoding. */
export interface RequestStreamEvents {
  next(): Promise<IteratorResult<FrameEvent>>;
  decodeTrailers(block: Uint8Array): Promise<HeaderField[]>;
  /** The reader gave up: stop reading the stream. */
  cancel(): void;
  /** The request turned out malformed: the stream ends in H3_MESSAGE_ERROR at once. */
  reject(): void;
}

/**
 * A request body read from DATA frames as the handler asks for them, so QUIC flow control
 * holds the client back while the handler is slow. Checks Content-Length against the DATA
 * received and the body-size limit; a trailing HEADERS frame becomes the trailers.
 * @see RFC 9114 §4.1, §4.1.2
 */
export class RequestBody implements BodySource {
  readonly length: number | null;
  readonly #events: RequestStreamEvents;
  readonly #maxBodyBytes: number;
  #received = 0;
  #isDone = false;
  #trailers: Headers | null = null;

  constructor(events: RequestStreamEvents, contentLength: number, maxBodyBytes: number) {
    this.#events = events;
    this.length = contentLength >= 0 ? contentLength : null;
    this.#maxBodyBytes = maxBodyBytes;
  }

  async read(): Promise<Uint8Array | null> {
    while (!this.#isDone) {
      const next = await this.#events.next();
      if (next.done === true) return this.#end();
      const event = next.value;
      if (event.kind === 'data') {
        if (this.#trailers !== null) throw this.#malformed('DATA after the trailers');
        this.#received += event.chunk.length;
        if (this.length !== null && this.#received > this.length) {
          throw this.#malformed('more DATA than content-length');
        }
        if (this.#received > this.#maxBodyBytes) {
          this.cancel();
          throw new RwsError(
            ERROR_CODES.BODY_TOO_LARGE,
            `request body larger than ${this.#maxBodyBytes} bytes`,
            { status: 413 },
          );
        }
        if (event.chunk.length > 0) return event.chunk;
      } else {
        // The stream's event source lets only DATA and HEADERS through.
        if (this.#trailers !== null) throw this.#malformed('a second trailer section');
        const fields = await this.#events.decodeTrailers(event.payload);
        const list = fields.flat();
        const problem = trailerProblem(list);
        if (problem !== null) throw this.#malformed(problem);
        this.#trailers = new Headers(fields);
      }
    }
    return null;
  }

  #end(): null {
    this.#isDone = true;
    if (this.length !== null && this.#received !== this.length) {
      throw this.#malformed('DATA shorter than content-length');
    }
    return null;
  }

  /**
   * A malformed body is a stream error (RFC 9114 §4.1.2): the stream is reset before the
   * handler can answer, so a response built from a half-read body never reaches the client.
   */
  #malformed(problem: string): RwsError {
    this.#isDone = true;
    this.#events.reject();
    return malformed(problem);
  }

  cancel(): void {
    this.#isDone = true;
    this.#events.cancel();
  }

  trailers(): Headers | null {
    return this.#trailers;
  }
}

/**
 * A malformed request (RFC 9114 §4.1.2): a stream error of type H3_MESSAGE_ERROR. The status
 * 400 only matters to code that sees the error outside a request stream.
 */
export function malformed(problem: string): RwsError {
  const error = http3Error(HTTP3_ERROR.H3_MESSAGE_ERROR, `malformed request: ${problem}`);
  return new RwsError(ERROR_CODES.HTTP3_ERROR, error.message, { status: 400, cause: error });
}

/** Whether `error` is a malformed message (H3_MESSAGE_ERROR, itself or as the cause). */
export function isMalformed(error: unknown): boolean {
  const h3 = error instanceof RwsError && !(error instanceof Http3Error) ? error.cause : error;
  return h3 instanceof Http3Error && h3.applicationCode === HTTP3_ERROR.H3_MESSAGE_ERROR;
}
