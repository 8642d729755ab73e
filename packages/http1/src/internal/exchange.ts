/**
 * One request/response exchange on a client connection: writes the request (with
 * `Expect: 100-continue` handling), parses the response and streams its body to the caller.
 */

import {
  type AbortSignalLike,
  Body,
  type BodyOptions,
  type BodySource,
  Headers,
  type RwsError,
} from '@rws/core';
import type { ClientConnection } from './client-connection.js';
import { CLIENT_ERROR_CODES, clientError } from './client-errors.js';
import {
  type ClientResponse,
  HttpClientResponse,
  type InformationalResponse,
} from './client-response.js';
import { headerValue, parseKeepAliveTimeout } from './keep-alive-header.js';
import {
  CRLF,
  chunkHeader,
  discardStream,
  LAST_CHUNK,
  lastChunk,
  type PreparedRequest,
  writeHead,
} from './request-writer.js';
import {
  type ResponseHead,
  ResponseParser,
  type ResponseParserHandlers,
} from './response-parser.js';
import { socketTunnel } from './socket-tunnel.js';

/** Per-exchange settings, resolved from request and pool options. */
export interface ExchangeOptions {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxResponseHeaderBytes: number;
  /** The response body's options (its read limit): one object per pool, not per response. */
  readonly bodyOptions: BodyOptions;
  readonly signal: AbortSignalLike | null;
  readonly onInformational: ((info: InformationalResponse) => void) | null;
}

/** Who gets an exchange's outcome: the response once its head arrived, or an error. */
export interface ExchangeSink {
  resolve(res: ClientResponse): void;
  reject(err: RwsError): void;
}

/** How long to hold a body back waiting for `100 Continue` (RFC 9110 §10.1.1). */
const CONTINUE_TIMEOUT_MS = 1000;
/** Buffered response bytes above which the socket is paused until the consumer reads. */
const HIGH_WATER_MARK = 64 * 1024;

/** Error raised when an exchange may be retried on a fresh socket (stale keep-alive). */
export const kRetry: unique symbol = Symbol('rws.http1.retry');

/** One request/response on a connection. */
export class Exchange implements BodySource, ResponseParserHandlers {
  #conn: ClientConnection;
  #req: PreparedRequest;
  #options: ExchangeOptions;
  /** Null once told (the head arrived, or the exchange failed). */
  #sink: ExchangeSink | null;
  #parser: ResponseParser;
  #bodyTimer: NodeJS.Timeout | null = null;
  #continueTimer: NodeJS.Timeout | null = null;
  #onContinue: (() => void) | null = null;
  #isRequestWritten = false;
  #isResponseDone = false;
  #isReusable = true;
  #isFinished = false;
  #error: RwsError | null = null;
  #head: ResponseHead | null = null;
  #hasBody = false;
  // BodySource state
  /**
   * Body chunks not yet read; null while there are none. Made with its first chunk as `[chunk]`:
   * an empty array and a push cost an allocation and a grow of its backing store, per response.
   */
  #queue: Buffer[] | null = null;
  #queuedBytes = 0;
  #isPaused = false;
  #waiter: { resolve: (c: Uint8Array | null) => void; reject: (e: Error) => void } | null = null;
  #trailers: Headers | null = null;
  /** The signal our connection's abort listener is registered on. */
  #listenedSignal: AbortSignalLike | null = null;
  length: number | null = null;

  constructor(
    conn: ClientConnection,
    req: PreparedRequest,
    options: ExchangeOptions,
    sink: ExchangeSink,
  ) {
    this.#conn = conn;
    this.#req = req;
    this.#options = options;
    this.#sink = sink;
    if (req.wantsClose) this.#isReusable = false;
    this.#parser = new ResponseParser(this, {
      maxHeaderBytes: options.maxResponseHeaderBytes,
      isHeadRequest: req.isHead,
      tunnel: req.tunnel,
    });
  }

  start(): void {
    const signal = this.#options.signal;
    if (signal !== null) {
      if (signal.aborted) {
        this.fail(clientError(CLIENT_ERROR_CODES.ABORTED, 'request aborted', signal.reason));
        return;
      }
      // The connection's listener (one per socket, not per request) calls `onSignalAbort`.
      signal.addEventListener('abort', this.#conn.abortListener, { once: true });
      this.#listenedSignal = signal;
    }
    const socket = this.#conn.socket;
    const req = this.#req;
    this.#conn.armHeadersTimer(this.#options.headersTimeoutMs);
    writeHead(socket, req.head, req.expectsContinue ? null : req.bytes);
    if (req.bytes === null && req.stream === null) {
      this.#isRequestWritten = true;
      return;
    }
    if (!req.expectsContinue) {
      if (req.bytes !== null) this.#isRequestWritten = true;
      else void this.#writeStream();
      return;
    }
    // RFC 9110 §10.1.1: wait for 100 Continue, but not indefinitely.
    this.#onContinue = () => {
      this.#onContinue = null;
      if (this.#continueTimer !== null) clearTimeout(this.#continueTimer);
      this.#continueTimer = null;
      if (this.#isFinished || this.#head !== null) return;
      if (req.bytes !== null) {
        socket.write(req.bytes);
        this.#isRequestWritten = true;
        this.#maybeFinish();
      } else void this.#writeStream();
    };
    this.#continueTimer = setTimeout(() => this.#onContinue?.(), CONTINUE_TIMEOUT_MS);
  }

  async #writeStream(): Promise<void> {
    const socket = this.#conn.socket;
    const req = this.#req;
    let written = 0;
    try {
      for await (const item of req.stream!) {
        if (this.#isFinished) return;
        const chunk: Uint8Array = typeof item === 'string' ? Buffer.from(item) : item;
        if (!(chunk instanceof Uint8Array)) throw new TypeError('body chunk is not a Uint8Array');
        if (chunk.byteLength === 0) continue;
        written += chunk.byteLength;
        if (req.contentLength !== -1 && written > req.contentLength) break;
        let ok: boolean;
        if (req.isChunked) {
          socket.cork();
          socket.write(chunkHeader(chunk.byteLength));
          socket.write(chunk);
          ok = socket.write(CRLF);
          socket.uncork();
        } else ok = socket.write(chunk);
        if (!ok) await this.#drain();
      }
    } catch (cause) {
      if (this.#isFinished) return;
      this.fail(
        clientError(
          CLIENT_ERROR_CODES.REQUEST_BODY_FAILED,
          `request body stream failed: ${(cause as Error)?.message ?? String(cause)}`,
          cause,
        ),
      );
      return;
    }
    if (this.#isFinished) return;
    if (req.contentLength !== -1 && written !== req.contentLength) {
      this.fail(
        clientError(
          CLIENT_ERROR_CODES.REQUEST_BODY_LENGTH_MISMATCH,
          `request body produced ${written} bytes, content-length is ${req.contentLength}`,
        ),
      );
      return;
    }
    if (req.isChunked) {
      let trailers: Headers | null = null;
      try {
        const init = req.trailers;
        trailers = typeof init === 'function' ? ((await init()) ?? null) : init;
        if (trailers !== null && !(trailers instanceof Headers)) {
          throw new TypeError('the trailers function returned no Headers');
        }
      } catch (cause) {
        if (this.#isFinished) return;
        this.fail(
          clientError(
            CLIENT_ERROR_CODES.REQUEST_BODY_FAILED,
            `request trailers failed: ${(cause as Error)?.message ?? String(cause)}`,
            cause,
          ),
        );
        return;
      }
      if (this.#isFinished) return;
      socket.write(
        trailers === null || trailers.size === 0 ? LAST_CHUNK : lastChunk(trailers),
        'latin1',
      );
    }
    this.#isRequestWritten = true;
    this.#maybeFinish();
  }

  /** The caller's signal aborted. */
  onSignalAbort(): void {
    this.fail(
      clientError(
        CLIENT_ERROR_CODES.ABORTED,
        this.#head === null
          ? 'request aborted before the response head'
          : 'request aborted while reading the body',
        this.#options.signal?.reason,
      ),
    );
  }

  /** No response head within `headersTimeoutMs`. */
  onHeadersTimeout(): void {
    this.fail(
      clientError(
        CLIENT_ERROR_CODES.HEADERS_TIMEOUT,
        `no response head within ${this.#options.headersTimeoutMs} ms`,
      ),
    );
  }

  #drain(): Promise<void> {
    const socket = this.#conn.socket;
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  /** Response bytes; `isLent`: a view of the shared read buffer, valid during the call only. */
  onData(chunk: Buffer, isLent = false): void {
    if (this.#isFinished) return;
    if (this.#bodyTimer !== null) this.#bodyTimer.refresh();
    try {
      this.#parser.execute(chunk, isLent);
    } catch (err) {
      this.fail(err as RwsError);
      return;
    }
    // The body timer starts once a chunk left the body unfinished: a response that came
    // whole with its head (the usual small one) never sets a timer it would clear at once.
    if (
      this.#head !== null &&
      this.#bodyTimer === null &&
      !this.#isResponseDone &&
      !this.#isFinished &&
      !this.#isPaused &&
      this.#hasBody
    ) {
      this.#armBodyTimer();
    }
  }

  onEnd(): void {
    if (this.#isFinished) return;
    const err = this.#parser.finish();
    if (err !== null) this.#failClosed(err);
  }

  onSocketError(err: Error | null): void {
    if (this.#isFinished) return;
    if (this.#isResponseDone) {
      // The response is complete; a late write error (server closed after answering) only
      // means the socket is not reusable.
      this.#isReusable = false;
      this.#isRequestWritten = true;
      this.#maybeFinish();
      return;
    }
    const finishErr = err === null ? this.#parser.finish() : null;
    if (err === null && finishErr === null) return; // close-delimited body completed
    this.#failClosed(
      finishErr ??
        clientError(
          CLIENT_ERROR_CODES.SOCKET_CLOSED,
          `connection error: ${err?.message ?? 'closed'}`,
          err ?? undefined,
        ),
    );
  }

  /** A socket closed under us: retry when the request cannot have been processed. */
  #failClosed(err: RwsError): void {
    if (
      this.#head === null &&
      !this.#parser.hasStarted &&
      this.#conn.exchanges > 0 &&
      this.#req.isRetryable
    ) {
      (err as RwsError & { [kRetry]?: true })[kRetry] = true;
    }
    this.fail(err);
  }

  /** @internal ResponseParserHandlers */
  onInformational(status: number, statusText: string, fields: string[]): void {
    if (status === 100) this.#onContinue?.();
    const cb = this.#options.onInformational;
    if (cb !== null) {
      try {
        cb({ status, statusText, headers: Headers.fromTrustedList(fields) });
      } catch {
        // A throwing callback must not break the exchange.
      }
    }
  }

  /** @internal ResponseParserHandlers */
  onHead(head: ResponseHead): void {
    this.#head = head;
    this.#conn.disarmHeadersTimer();
    if (this.#onContinue !== null) {
      // RFC 9110 §10.1.1: a final response before 100 Continue; the body was never sent, so
      // the server may still expect it: the socket cannot be reused.
      this.#onContinue = null;
      if (this.#continueTimer !== null) clearTimeout(this.#continueTimer);
      this.#isReusable = false;
      this.#isRequestWritten = true;
      if (this.#req.stream !== null) discardStream(this.#req.stream);
    }
    if (!head.isKeepAlive) this.#isReusable = false;
    else {
      const ka = headerValue(head.fields, 'keep-alive');
      if (ka !== null) this.#conn.serverIdleTimeoutMs = parseKeepAliveTimeout(ka);
    }
    if (head.framing === 'tunnel') return; // resolved by onTunnel, with the bytes after the head
    if (this.#req.tunnel === 'connect') this.#isReusable = false; // a refused CONNECT
    const headers = Headers.fromTrustedList(head.fields);
    const hasBody = head.framing !== 'none';
    this.length = head.framing === 'length' ? head.contentLength : null;
    this.#hasBody = hasBody;
    const res = new HttpClientResponse(
      head.status,
      head.statusText,
      head.versionMinor === 1 ? 'http/1.1' : 'http/1.0',
      headers,
      new Body(hasBody ? this : null, this.#options.bodyOptions),
      this,
      null,
    );
    const sink = this.#sink!;
    this.#sink = null;
    sink.resolve(res);
  }

  /** @internal ResponseParserHandlers: the socket leaves HTTP and the pool. */
  onTunnel(rest: Buffer): void {
    const head = this.#head!;
    this.#cleanup();
    const socket = this.#conn.detach(this);
    const res = new HttpClientResponse(
      head.status,
      head.statusText,
      head.versionMinor === 1 ? 'http/1.1' : 'http/1.0',
      Headers.fromTrustedList(head.fields),
      new Body(null, this.#options.bodyOptions),
      null,
      socketTunnel(socket, rest.length === 0 ? null : Buffer.from(rest)),
    );
    const sink = this.#sink!;
    this.#sink = null;
    sink.resolve(res);
  }

  #armBodyTimer(): void {
    const ms = this.#options.bodyTimeoutMs;
    this.#bodyTimer = setTimeout(() => {
      this.fail(
        clientError(CLIENT_ERROR_CODES.BODY_TIMEOUT, `no response body bytes for ${ms} ms`),
      );
    }, ms);
  }

  /** @internal ResponseParserHandlers */
  onBody(chunk: Buffer): void {
    if (chunk.length === 0) return;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve(chunk);
      return;
    }
    if (this.#queue === null) this.#queue = [chunk];
    else this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#queuedBytes >= HIGH_WATER_MARK && !this.#isPaused) {
      // Backpressure: stop reading until the consumer catches up. The body timer measures
      // the server's silence, so it does not run while we are the ones not reading.
      this.#isPaused = true;
      this.#conn.socket.pause();
      if (this.#bodyTimer !== null) clearTimeout(this.#bodyTimer);
      this.#bodyTimer = null;
    }
  }

  /** @internal ResponseParserHandlers */
  onComplete(trailers: string[] | null, hasExtra: boolean): void {
    if (this.#isResponseDone) {
      this.#isReusable = false; // more bytes after the complete response
      return;
    }
    this.#isResponseDone = true;
    if (hasExtra) this.#isReusable = false; // bytes after the response: out of step
    if (trailers !== null) this.#trailers = Headers.fromTrustedList(trailers);
    if (this.#bodyTimer !== null) clearTimeout(this.#bodyTimer);
    this.#bodyTimer = null;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve(null);
    }
    this.#maybeFinish();
  }

  #maybeFinish(): void {
    if (this.#isFinished || !this.#isResponseDone || !this.#isRequestWritten) return;
    this.#cleanup();
    this.#conn.release(this, this.#isReusable);
  }

  #cleanup(): void {
    this.#isFinished = true;
    this.#conn.disarmHeadersTimer();
    if (this.#bodyTimer !== null) clearTimeout(this.#bodyTimer);
    if (this.#continueTimer !== null) clearTimeout(this.#continueTimer);
    const signal = this.#listenedSignal;
    if (signal !== null) {
      this.#listenedSignal = null;
      signal.removeEventListener('abort', this.#conn.abortListener);
    }
    if (this.#isPaused) {
      this.#isPaused = false;
      this.#conn.socket.resume();
    }
  }

  /** Ends the exchange with an error: the socket is destroyed, never reused. */
  fail(err: RwsError): void {
    if (this.#isFinished) {
      // Response complete but the body not yet consumed: an abort still errors the reader.
      return;
    }
    this.#error = err;
    this.#cleanup();
    const sink = this.#sink;
    this.#sink = null;
    if (sink !== null) sink.reject(err);
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.reject(err);
    }
    this.#conn.socket.destroy();
    this.#conn.release(this, false);
  }

  /** The complete body's bytes taken out of the queue, or null while the response is open. */
  takeComplete(): Uint8Array | null {
    if (!this.#isResponseDone || this.#error !== null) return null;
    const queue = this.#queue;
    if (queue === null) return Buffer.alloc(0);
    const total = this.#queuedBytes;
    this.#queuedBytes = 0;
    // `pop()` leaves the (now empty) array in place: one private-field store less per response
    // in code V8 has not fully optimised, where such a store is an IC call.
    if (queue.length === 1) return queue.pop()!;
    this.#queue = null;
    return Buffer.concat(queue, total);
  }

  trailerFields(): Headers | null {
    return this.#trailers;
  }

  // BodySource

  read(): Promise<Uint8Array | null> {
    const chunk = this.#queue?.shift();
    if (chunk !== undefined) {
      this.#queuedBytes -= chunk.length;
      if (this.#isPaused && this.#queuedBytes < HIGH_WATER_MARK) {
        this.#isPaused = false;
        this.#conn.socket.resume();
        if (!this.#isResponseDone) this.#armBodyTimer();
      }
      return Promise.resolve(chunk);
    }
    if (this.#isResponseDone) return Promise.resolve(null);
    if (this.#error !== null) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  cancel(reason?: unknown): void {
    if (this.#queue !== null && this.#queue.length !== 0) this.#queue = null;
    this.#queuedBytes = 0;
    if (this.#isResponseDone) return;
    // The rest of the body is still on the wire: the socket cannot be reused.
    this.fail(clientError(CLIENT_ERROR_CODES.ABORTED, 'response body cancelled', reason));
  }

  trailers(): Headers | null {
    return this.#trailers;
  }
}
