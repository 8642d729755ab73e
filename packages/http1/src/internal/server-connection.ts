/**
 * One HTTP/1.1 server connection: reads request heads and bodies off a socket, calls the
 * handler, and writes responses in order. Requests on a connection are handled one at a
 * time; pipelined bytes that arrive early wait in `#pending` (and pause the socket when
 * they pile up), so responses always go out in request order (RFC 9112 §9.3.2).
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import {
  Body,
  type ConnectionInfo,
  type FileBodyInit,
  type Handler,
  Headers,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { ERROR_CODES, type Http1ErrorCode } from '../errors.js';
import { ChunkedDecoder } from './chunked-decoder.js';
import {
  CONN_CLOSE,
  CONN_KEEP_ALIVE,
  CONN_UPGRADE,
  TE_ABSENT,
  TE_CHUNKED,
  TE_CODINGS_THEN_CHUNKED,
} from './field-parser.js';
import { H1Request, type InterimWriter } from './h1-request.js';
import { type BodyOwner, RequestBody } from './request-body.js';
import { parseRequestHead, RequestHead } from './request-head.js';
import { reasonPhrase, statusLine } from './status.js';

const CR = 13;
const LF = 10;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');
const LFCRLF = Buffer.from('\n\r\n');
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const EMPTY = Buffer.alloc(0);

/** The options a connection reads, already resolved to numbers. */
export interface ConnectionOptions {
  maxHeaderBytes: number;
  maxUrlBytes: number;
  maxHeaderCount: number;
  maxBodyBytes: number;
  bodyHighWaterMark: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
  sendTimeoutMs: number;
  maxRequestsPerConnection: number;
  serverHeader: string | null;
}

/** What a connection needs from its server. */
export interface ServerContext {
  readonly handler: Handler;
  readonly options: ConnectionOptions;
  readonly isClosing: boolean;
  readonly onUpgrade: ((req: Request, socket: Socket, head: Buffer) => void) | null;
  readonly onConnect: ((req: Request, socket: Socket, head: Buffer) => void) | null;
  /** The cached `Date` value for this second. */
  date(): string;
  reportError(err: unknown, req: Request | null): void;
  connectionClosed(conn: ServerConnection): void;
}

// Connection states.
const ST_HEAD = 0;
const ST_BODY = 1;
const ST_WAIT = 2;
const ST_CLOSED = 3;
const ST_UPGRADED = 4;

// Body framing of the current request.
const BODY_NONE = 0;
const BODY_LENGTH = 1;
const BODY_CHUNKED = 2;

// What the connection deadline means.
const DL_NONE = 0;
const DL_IDLE = 1;
const DL_HEADERS = 2;
const DL_REQUEST = 3;
const DL_LINGER = 4;
/**
 * Response bytes are waiting for the peer to read them. Sits on top of the deadline it
 * interrupted (kept in `#savedKind`/`#savedDeadline`), which comes back once the queue empties.
 */
const DL_SEND = 5;

/** How long a connection we are closing may linger for the peer to read our last response. */
const LINGER_MS = 2000;

/** In-memory response bodies above this are written in `SLICE_BYTES` slices. */
const LARGE_BODY_BYTES = 1024 * 1024;
const SLICE_BYTES = 256 * 1024;

/** Largest unread request body rest that is read and dropped to keep a connection alive. */
const MAX_DISCARD_BYTES = 64 * 1024;

/** Status of each parser error. */
const ERROR_STATUS: Record<string, number> = {
  [ERROR_CODES.VERSION_NOT_SUPPORTED]: 505,
  [ERROR_CODES.UNSUPPORTED_TRANSFER_CODING]: 501,
  [ERROR_CODES.HEADERS_TOO_LARGE]: 431,
  [ERROR_CODES.TOO_MANY_HEADERS]: 431,
  [ERROR_CODES.URI_TOO_LONG]: 414,
  [ERROR_CODES.BODY_TOO_LARGE]: 413,
  [ERROR_CODES.EXPECTATION_FAILED]: 417,
};

function statusOf(code: Http1ErrorCode): number {
  return ERROR_STATUS[code] ?? 400;
}

type StreamBody = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;

export class ServerConnection implements BodyOwner, InterimWriter {
  readonly socket: Socket;
  readonly info: ConnectionInfo;
  /** Absolute time (ms) at which `onTimeout` should run, or 0. Read by the server's tick. */
  deadline = 0;
  #deadlineKind = DL_NONE;
  #savedKind = DL_NONE;
  #savedDeadline = 0;
  /** Unsent bytes when the send watch was last armed: less at expiry means progress. */
  #sendMark = 0;
  #server: ServerContext;
  #opts: ConnectionOptions;
  /** Shared by every request body of the connection (Body only reads it). */
  #bodyOptions: { limit: number };
  #state = ST_HEAD;
  #pending: Buffer | null = null;
  #scanFrom = 0;
  #isProcessing = false;
  #requestCount = 0;
  #hasHeadBytes = false;

  // The current request.
  #req: H1Request | null = null;
  #body: RequestBody | null = null;
  #bodyMode = BODY_NONE;
  #bodyRemaining = 0;
  #decoder: ChunkedDecoder | null = null;
  #isBodyDone = true;
  #isResponseDone = true;
  #isResponseStarted = false;
  #isKeepAlive = true;
  #minor = 1;
  #needsContinue = false;
  #isHead = false;
  /** The request body is being thrown away (handler answered without reading it all). */
  #isDiscarding = false;
  #discarded = 0;

  // Socket flow control.
  #isPausedByBody = false;
  #isPausedByPipeline = false;
  #isPeerEnded = false;
  #drainResolve: (() => void) | null = null;
  #activeIterator: AsyncIterator<Uint8Array> | null = null;
  #isSendTimedOut = false;

  constructor(server: ServerContext, socket: Socket, info: ConnectionInfo) {
    this.#server = server;
    this.#opts = server.options;
    this.#bodyOptions = { limit: server.options.maxBodyBytes };
    this.socket = socket;
    this.info = info;
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onClose);
    socket.on('error', noop);
    socket.on('drain', this.#onDrain);
    // A fresh connection has headersTimeoutMs to send its first head (slowloris).
    this.#setDeadline(DL_HEADERS, this.#opts.headersTimeoutMs);
  }

  /** True when no request is in progress: safe to close during a graceful shutdown. */
  get isIdle(): boolean {
    return (
      this.#state === ST_HEAD &&
      !this.#hasHeadBytes &&
      this.#isResponseDone &&
      this.#pending === null
    );
  }

  /** Closes the connection if it is idle (graceful shutdown). */
  closeIfIdle(): void {
    if (this.isIdle) this.destroy();
  }

  /** Closes the connection now. */
  destroy(): void {
    this.socket.destroy();
  }

  // ---------------------------------------------------------------- reading

  #onData = (chunk: Buffer): void => {
    const state = this.#state;
    if (state === ST_CLOSED || state === ST_UPGRADED) return;
    const pending = this.#pending;
    if (pending !== null) {
      this.#pending = null;
      chunk = Buffer.concat([pending, chunk]);
    }
    this.#process(chunk, 0);
  };

  #process(buf: Buffer, pos: number): void {
    this.#isProcessing = true;
    const len = buf.length;
    let heads = 0;
    for (;;) {
      const state = this.#state;
      if (state === ST_HEAD) {
        if (pos >= len) break;
        if (this.socket.writableNeedDrain) {
          // A client that pipelines without reading its responses must not make us buffer
          // responses without bound: stop parsing until the socket drains.
          this.#state = ST_WAIT;
          this.#holdPipelined(buf, pos);
          if (!this.#isPausedByPipeline) {
            this.#isPausedByPipeline = true;
            this.socket.pause();
          }
          this.#armSendTimeout();
          break;
        }
        if (!this.#hasHeadBytes) {
          // RFC 9112 §2.2: ignore empty lines before the request line.
          while (pos < len && (buf[pos] === CR || buf[pos] === LF)) pos++;
          if (pos >= len) break;
          this.#hasHeadBytes = true;
          if (this.#baseDeadlineKind() !== DL_HEADERS) {
            this.#setDeadline(DL_HEADERS, this.#opts.headersTimeoutMs);
          }
        }
        const at = buf.indexOf(CRLFCRLF, pos + this.#scanFrom);
        if (at === -1) {
          this.#headIncomplete(buf, pos);
          break;
        }
        const headEnd = at + 4;
        if (headEnd - pos > this.#opts.maxHeaderBytes) {
          this.#reject(
            this.#lineEnds(buf, pos, at) ? ERROR_CODES.HEADERS_TOO_LARGE : ERROR_CODES.URI_TOO_LONG,
          );
          break;
        }
        this.#scanFrom = 0;
        const head = new RequestHead();
        const err = parseRequestHead(buf, pos, at + 2, this.#opts, head);
        if (err !== null) {
          this.#reject(err);
          break;
        }
        pos = headEnd;
        this.#hasHeadBytes = false;
        // Responses written synchronously while one buffer is parsed (pipelining) leave in
        // one writev instead of one syscall each. Cork only once a second request shows up:
        // the common single request per read then writes straight through.
        if (++heads === 2) this.socket.cork();
        if (!this.#startRequest(head, buf, pos)) break;
        continue;
      }
      if (state === ST_BODY) {
        if (pos >= len) break;
        pos = this.#readBody(buf, pos);
        if (pos < 0) break;
        continue;
      }
      if (state === ST_WAIT) {
        // The response to the current request is not done yet: keep pipelined bytes for later.
        if (pos < len) this.#holdPipelined(buf, pos);
        break;
      }
      break;
    }
    if (heads >= 2) this.socket.uncork();
    this.#isProcessing = false;
  }

  /** True when the request line of the head at `pos` ends before `limit` (for 431 vs 414). */
  #lineEnds(buf: Buffer, pos: number, limit: number): boolean {
    const lf = buf.indexOf(LF, pos);
    return lf !== -1 && lf <= limit && lf - pos <= this.#opts.maxUrlBytes + 16;
  }

  #headIncomplete(buf: Buffer, pos: number): void {
    const avail = buf.length - pos;
    if (avail > this.#opts.maxHeaderBytes) {
      this.#reject(
        this.#lineEnds(buf, pos, buf.length)
          ? ERROR_CODES.HEADERS_TOO_LARGE
          : ERROR_CODES.URI_TOO_LONG,
      );
      return;
    }
    // A head that only uses bare LF line endings never contains CRLFCRLF: reject it now
    // instead of waiting for the size limit or the timeout (RFC 9112 §2.2).
    const from = pos + this.#scanFrom;
    if (buf.indexOf(LFLF, from) !== -1 || buf.indexOf(LFCRLF, from) !== -1) {
      this.#reject(ERROR_CODES.INVALID_LINE_ENDING);
      return;
    }
    if (avail > this.#opts.maxUrlBytes + 32 && buf.indexOf(LF, pos) === -1) {
      this.#reject(ERROR_CODES.URI_TOO_LONG);
      return;
    }
    this.#pending = pos === 0 ? buf : buf.subarray(pos);
    this.#scanFrom = Math.max(0, avail - 3);
  }

  #holdPipelined(buf: Buffer, pos: number): void {
    const rest = pos === 0 ? buf : buf.subarray(pos);
    const pending = this.#pending;
    this.#pending = pending === null ? rest : Buffer.concat([pending, rest]);
    if (this.#pending.length > this.#opts.maxHeaderBytes && !this.#isPausedByPipeline) {
      this.#isPausedByPipeline = true;
      this.socket.pause();
    }
  }

  /**
   * Sets up the request whose head was just parsed and calls the handler. Returns false when
   * processing must stop (the connection closed or was upgraded).
   */
  #startRequest(head: RequestHead, buf: Buffer, pos: number): boolean {
    const fields = head.fields;
    const opts = this.#opts;
    const minor = head.minor;
    // Framing checks (RFC 9112 §6.1, §6.3): anything ambiguous is a 400 and a closed connection.
    let mode = BODY_NONE;
    let length = 0;
    const te = fields.transferEncoding;
    if (te !== TE_ABSENT) {
      if (fields.contentLength !== -1) return this.#reject(ERROR_CODES.CONFLICTING_FRAMING);
      if (minor === 0) return this.#reject(ERROR_CODES.INVALID_TRANSFER_ENCODING);
      if (te === TE_CODINGS_THEN_CHUNKED)
        return this.#reject(ERROR_CODES.UNSUPPORTED_TRANSFER_CODING);
      if (te !== TE_CHUNKED) return this.#reject(ERROR_CODES.INVALID_TRANSFER_ENCODING);
      mode = BODY_CHUNKED;
    } else if (fields.contentLength > 0) {
      mode = BODY_LENGTH;
      length = fields.contentLength;
      // Announced too large: answer 413 before reading a byte (and before any 100 Continue).
      if (length > opts.maxBodyBytes) return this.#reject(ERROR_CODES.BODY_TOO_LARGE);
    }

    // RFC 9110 §9.3.6: CONNECT has no content; bytes after its head belong to the tunnel, so
    // framing fields on it could only desynchronise us from a proxy in front.
    const isConnect = head.method === 'CONNECT';
    if (isConnect) {
      if (mode === BODY_CHUNKED) return this.#reject(ERROR_CODES.INVALID_TRANSFER_ENCODING);
      if (mode === BODY_LENGTH) return this.#reject(ERROR_CODES.INVALID_CONTENT_LENGTH);
      // Without a tunnel owner we do not implement the method (RFC 9110 §15.6.2).
      if (this.#server.onConnect === null) return this.#rejectStatus(501);
    }

    let needsContinue = false;
    const expect = fields.expect;
    if (expect !== null) {
      if (expect.length === 12 && expect.toLowerCase() === '100-continue') {
        // RFC 9110 §10.1.1: ignore 100-continue from HTTP/1.0 clients.
        needsContinue = minor === 1 && mode !== BODY_NONE;
      } else {
        return this.#reject(ERROR_CODES.EXPECTATION_FAILED);
      }
    }

    const conn = fields.connection;
    this.#minor = minor;
    this.#isKeepAlive =
      minor === 1
        ? (conn & CONN_CLOSE) === 0
        : (conn & CONN_KEEP_ALIVE) !== 0 && (conn & CONN_CLOSE) === 0;
    this.#requestCount++;
    this.#isHead = head.method === 'HEAD';
    this.#needsContinue = needsContinue;
    this.#isResponseDone = false;
    this.#isResponseStarted = false;
    this.#isDiscarding = false;
    this.#discarded = 0;

    const headers = Headers.fromTrustedList(fields.list);
    let body: Body;
    let source: RequestBody | null = null;
    if (mode === BODY_NONE) {
      body = new Body(null, this.#bodyOptions);
    } else {
      source = new RequestBody(this, mode === BODY_LENGTH ? length : null, opts.bodyHighWaterMark);
      body = new Body(source, this.#bodyOptions);
    }
    const req = new H1Request(
      head.method,
      head.target,
      headers,
      body,
      minor === 1 ? 'http/1.1' : 'http/1.0',
      this.info,
      this,
    );
    this.#req = req;
    this.#body = source;
    this.#bodyMode = mode;
    this.#bodyRemaining = length;
    this.#isBodyDone = mode === BODY_NONE;
    this.#decoder = mode === BODY_CHUNKED ? new ChunkedDecoder() : null;

    if (isConnect) {
      this.#handOver(this.#server.onConnect!, req, buf.subarray(pos));
      return false;
    }
    // Upgrade (RFC 9110 §7.8): hand the socket over when someone wants it. An Upgrade that is
    // not also a `Connection` option, on HTTP/1.0, or on a request with content (whose bytes
    // would have to be read before switching) is ignored: the request is answered normally.
    const onUpgrade = this.#server.onUpgrade;
    if (
      onUpgrade !== null &&
      fields.upgrade !== null &&
      (conn & CONN_UPGRADE) !== 0 &&
      minor === 1 &&
      mode === BODY_NONE
    ) {
      this.#handOver(onUpgrade, req, buf.subarray(pos));
      return false;
    }

    this.#setDeadline(DL_REQUEST, opts.requestTimeoutMs);
    this.#state = this.#isBodyDone ? ST_WAIT : ST_BODY;
    this.#callHandler(req);
    // The handler may have answered synchronously (and even closed the connection).
    const state = this.#state;
    return state !== ST_CLOSED && state !== ST_UPGRADED;
  }

  /** Gives the socket to `onUpgrade` / `onConnect`; this connection is done with it. */
  #handOver(
    onUpgrade: (req: Request, socket: Socket, head: Buffer) => void,
    req: H1Request,
    head: Buffer,
  ): void {
    this.#state = ST_UPGRADED;
    this.#resetDeadlines();
    const socket = this.socket;
    socket.removeListener('data', this.#onData);
    socket.removeListener('end', this.#onEnd);
    socket.removeListener('close', this.#onClose);
    socket.removeListener('drain', this.#onDrain);
    this.#server.connectionClosed(this);
    // The new owner gets a paused socket and the bytes we already read past the head.
    socket.pause();
    try {
      onUpgrade(req, socket, head.length === 0 ? EMPTY : Buffer.from(head));
    } catch (err) {
      this.#server.reportError(err, req);
      socket.destroy();
    }
  }

  /** Feeds body bytes; returns the new position, or -1 to stop processing. */
  #readBody(buf: Buffer, pos: number): number {
    // A client that sends the body without waiting needs no 100 Continue (RFC 9110 §10.1.1).
    this.#needsContinue = false;
    const source = this.#body!;
    const isDropping = this.#isDiscarding || source.isCancelled;
    if (this.#bodyMode === BODY_LENGTH) {
      const n = Math.min(this.#bodyRemaining, buf.length - pos);
      if (!isDropping)
        source.push(pos === 0 && n === buf.length ? buf : buf.subarray(pos, pos + n));
      pos += n;
      this.#bodyRemaining -= n;
      if (this.#bodyRemaining === 0) this.#bodyComplete(null);
      return pos;
    }
    const decoder = this.#decoder!;
    const out: Uint8Array[] = [];
    const next = decoder.decode(buf, pos, out);
    if (next === -1) {
      this.#bodyFailed(
        new RwsError(decoder.error!, 'invalid chunked request body', {
          status: statusOf(decoder.error!),
        }),
      );
      return -1;
    }
    if (decoder.bodyBytes > this.#opts.maxBodyBytes) {
      this.#bodyFailed(
        new RwsError(
          ERROR_CODES.BODY_TOO_LARGE,
          `request body is larger than the limit of ${this.#opts.maxBodyBytes} bytes`,
          { status: 413 },
        ),
      );
      return -1;
    }
    if (!isDropping) {
      for (let i = 0; i < out.length; i++) source.push(out[i]!);
    } else if (!decoder.isDone && (this.#discarded += next - pos) > MAX_DISCARD_BYTES) {
      // A chunked rest that keeps coming is not worth reading to keep the connection.
      this.#isKeepAlive = false;
      if (this.#isResponseDone) {
        this.#closeAfterWrite();
        return -1;
      }
    }
    if (decoder.isDone) this.#bodyComplete(decoder.trailers);
    return next;
  }

  #bodyComplete(trailers: string[] | null): void {
    this.#isBodyDone = true;
    if (this.#isResponseStarted && this.#baseDeadlineKind() === DL_REQUEST) this.#clearDeadline();
    this.#body!.end(trailers);
    this.#resumeIfPausedByBody();
    if (this.#isResponseDone) this.#nextRequest();
    else this.#state = ST_WAIT;
  }

  /** The request body is broken or too large: fail reads, answer if possible, then close. */
  #bodyFailed(err: RwsError): void {
    this.#isKeepAlive = false;
    this.#body?.fail(err);
    this.#state = ST_WAIT;
    this.#pending = null;
    if (this.#isResponseDone) {
      this.#closeAfterWrite();
      return;
    }
    // If the handler does not answer soon (it is not reading the body), answer for it.
    if (this.#body === null || !this.#body.isStarted) this.#respondError(err, err.status ?? 400);
  }

  // ------------------------------------------------------------ BodyOwner

  pauseBody(): void {
    if (!this.#isPausedByBody && this.#state === ST_BODY) {
      this.#isPausedByBody = true;
      this.socket.pause();
    }
  }

  resumeBody(): void {
    this.#resumeIfPausedByBody();
  }

  #resumeIfPausedByBody(): void {
    if (this.#isPausedByBody) {
      this.#isPausedByBody = false;
      if (!this.#isPausedByPipeline) this.socket.resume();
    }
  }

  onFirstRead(): void {
    // RFC 9110 §10.1.1: send 100 Continue when the handler actually wants the body.
    if (this.#needsContinue) {
      this.#needsContinue = false;
      if (!this.#isResponseStarted && this.#state === ST_BODY) this.socket.write(CONTINUE);
    }
  }

  onBodyCancel(): void {
    this.#discardBody();
  }

  /**
   * Throws the rest of the request body away. A client still waiting for 100 Continue never
   * sends it, so that connection is closed instead.
   */
  #discardBody(): void {
    if (this.#isBodyDone) return;
    this.#isDiscarding = true;
    // Reading a large rest only to throw it away costs more than a new connection.
    if (this.#bodyMode === BODY_LENGTH && this.#bodyRemaining > MAX_DISCARD_BYTES) {
      this.#isKeepAlive = false;
    }
    if (this.#needsContinue) {
      this.#needsContinue = false;
      this.#isKeepAlive = false;
    }
    this.#resumeIfPausedByBody();
  }

  // ------------------------------------------------------------ handler

  #callHandler(req: H1Request): void {
    let result: Response | Promise<Response>;
    try {
      result = this.#server.handler(req);
    } catch (err) {
      this.#handlerError(req, err);
      return;
    }
    if (result !== null && typeof (result as Promise<Response>).then === 'function') {
      (result as Promise<Response>).then(
        (res) => this.#respond(req, res),
        (err) => this.#handlerError(req, err),
      );
    } else {
      this.#respond(req, result as Response);
    }
  }

  #handlerError(req: H1Request, err: unknown): void {
    if (req !== this.#req || this.#isResponseDone) return;
    if (this.#isResponseStarted) {
      this.#server.reportError(err, req);
      this.socket.destroy();
      return;
    }
    let status = 500;
    let expose = false;
    if (typeof err === 'object' && err !== null) {
      const s =
        (err as { status?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
      if (typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599) {
        status = s;
        const e = (err as { expose?: unknown }).expose;
        expose = typeof e === 'boolean' ? e : s < 500;
      }
    }
    if (status >= 500) this.#server.reportError(err, req);
    this.#respondError(err, status, expose);
  }

  /** Writes an error response to the current request (status line, short text body). */
  #respondError(err: unknown, status: number, expose = status < 500): void {
    if (this.#isResponseStarted || this.#state === ST_CLOSED) return;
    const message =
      expose && err instanceof Error && err.message.length > 0 ? err.message : reasonPhrase(status);
    // A body we have not read is not worth reading now: close after an error mid-body.
    if (!this.#isBodyDone) this.#isKeepAlive = false;
    this.#writeSimple(status, message, this.#isKeepAlive);
    this.#responseDone();
  }

  // ------------------------------------------------------------ writing

  /**
   * Writes a 1xx interim response (103 Early Hints) for the current request. Refused (false)
   * once the final response started, for another request, or to an HTTP/1.0 client
   * (RFC 9110 §15.2). 1xx carry no body and do not change keep-alive (RFC 9112 §6.3 item 1).
   */
  writeInterim(req: H1Request, status: number, headers: Headers): boolean {
    if (
      req !== this.#req ||
      this.#isResponseStarted ||
      this.#isResponseDone ||
      this.#minor === 0 ||
      this.#state === ST_CLOSED ||
      this.#state === ST_UPGRADED ||
      status < 102 ||
      status > 199
    ) {
      return false;
    }
    let head = statusLine(status);
    const list = headers.toList();
    for (let i = 0; i < list.length; i += 2) head += `${list[i]}: ${list[i + 1]}\r\n`;
    this.socket.write(`${head}\r\n`);
    return true;
  }

  #respond(req: H1Request, res: Response): void {
    if (req !== this.#req || this.#isResponseDone || this.#isResponseStarted) {
      // Too late (timed out, client gone): release what the response holds.
      releaseBody(res?.body);
      return;
    }
    if (this.#state === ST_CLOSED) {
      releaseBody(res?.body);
      return;
    }
    if (
      typeof res !== 'object' ||
      res === null ||
      typeof res.status !== 'number' ||
      !Number.isInteger(res.status) ||
      res.status < 200 ||
      res.status > 999 ||
      !(res.headers instanceof Headers)
    ) {
      const err = new RwsError(
        ERROR_CODES.INVALID_RESPONSE,
        'handler returned an invalid response',
        {
          status: 500,
        },
      );
      this.#server.reportError(err, req);
      releaseBody((res as Response | null)?.body);
      this.#respondError(err, 500);
      return;
    }
    const body = res.body;
    if (body !== null && typeof body === 'object' && (body as FileBodyInit).kind === 'file') {
      void this.#respondFile(req, res, body as FileBodyInit);
      return;
    }
    this.#writeResponse(res, body, -1);
  }

  /**
   * Serialises the head and, for in-memory bodies, the body, in one write. `fileLength` is
   * the length of a file body (already stat-ed) or -1.
   */
  #writeResponse(res: Response, body: Response['body'], fileLength: number): StreamBody | null {
    const status = res.status;
    const isHead = this.#isHead;
    const bodyForbidden = status === 204 || status === 304;
    const sendsNoBody = isHead || bodyForbidden;
    const list = res.headers.toList();
    const opts = this.#opts;

    let keepAlive = this.#isKeepAlive && !this.#server.isClosing;
    if (opts.maxRequestsPerConnection > 0 && this.#requestCount >= opts.maxRequestsPerConnection) {
      keepAlive = false;
    }
    // A client still waiting for 100 Continue may or may not send the body now: the only
    // safe way on is to close (RFC 9110 §10.1.1).
    if (this.#needsContinue && !this.#isBodyDone) keepAlive = false;
    let head = statusLine(status);
    let hasDate = false;
    let hasTrailerField = false;
    let handlerLength = -1;
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      const value = list[i + 1]!;
      switch (name.length) {
        case 10:
          // The transport owns Connection; a handler asking to close is honoured.
          if (name === 'connection') {
            if (value.toLowerCase().indexOf('close') !== -1) keepAlive = false;
            continue;
          }
          break;
        case 14:
          if (name === 'content-length') {
            handlerLength = parseLength(value);
            continue;
          }
          break;
        case 17:
          if (name === 'transfer-encoding') continue;
          break;
        case 4:
          if (name === 'date') hasDate = true;
          break;
        case 7:
          if (name === 'trailer') hasTrailerField = true;
          break;
      }
      head += `${name}: ${value}\r\n`;
    }

    let payload: string | Uint8Array | null = null;
    let stream: StreamBody | null = null;
    let isChunked = false;
    let length = -1;
    // Trailers need chunked framing (RFC 9112 §7.1.2): on HTTP/1.0 and with a Content-Length
    // or file body they are dropped. A trailers object still empty now may be filled while a
    // stream is sent; it goes out if the body is chunked anyway.
    const trailers = this.#minor === 1 ? (res.trailers ?? null) : null;
    const hasTrailers = trailers !== null && trailers.size > 0;
    if (body === null) {
      length = 0;
    } else if (typeof body === 'string') {
      payload = body;
      length = body.length === 0 ? 0 : Buffer.byteLength(body);
    } else if (body instanceof Uint8Array) {
      payload = body;
      length = body.byteLength;
    } else if (fileLength >= 0) {
      length = fileLength;
      stream = body as StreamBody;
    } else {
      stream = body as StreamBody;
    }

    if (bodyForbidden) {
      // RFC 9110 §8.6: no Content-Length in 204; a 304 may repeat the handler's.
      if (status === 304 && handlerLength >= 0) head += `content-length: ${handlerLength}\r\n`;
    } else if (isHead) {
      // RFC 9110 §9.3.2: HEAD gets the headers GET would, without the body.
      if (length >= 0 && !(body === null && handlerLength >= 0))
        head += `content-length: ${length}\r\n`;
      else if (handlerLength >= 0) head += `content-length: ${handlerLength}\r\n`;
    } else if (hasTrailers && handlerLength < 0 && fileLength < 0) {
      isChunked = true;
      head += 'transfer-encoding: chunked\r\n';
      // RFC 9110 §6.6.2: announce the trailer fields so the recipient can expect them.
      if (!hasTrailerField) head += `trailer: ${trailerNames(trailers)}\r\n`;
      if (payload !== null) {
        stream = singleChunk(payload);
        payload = null;
      }
    } else if (length >= 0) {
      head += `content-length: ${length}\r\n`;
    } else if (handlerLength >= 0) {
      length = handlerLength;
      head += `content-length: ${handlerLength}\r\n`;
    } else if (this.#minor === 1) {
      isChunked = true;
      head += 'transfer-encoding: chunked\r\n';
    } else {
      // HTTP/1.0 cannot chunk: the body ends when the connection does (RFC 9112 §6.3 item 8).
      keepAlive = false;
    }

    if (!keepAlive) head += 'connection: close\r\n';
    else if (this.#minor === 0) head += 'connection: keep-alive\r\n';
    if (!hasDate) head += `date: ${this.#server.date()}\r\n`;
    if (opts.serverHeader !== null) head += `server: ${opts.serverHeader}\r\n`;
    head += '\r\n';

    this.#isKeepAlive = keepAlive;
    this.#isResponseStarted = true;
    // requestTimeoutMs covers the wait for a response, not its transfer: a long download or
    // an event stream must not be cut off.
    if (this.#isBodyDone) this.#clearDeadline();
    const socket = this.socket;

    if (sendsNoBody) {
      socket.write(head);
      if (stream !== null) releaseBody(stream);
      this.#responseDone();
      return null;
    }
    if (payload !== null && length > LARGE_BODY_BYTES) {
      // One huge write shows no progress until all of it is out, and would sit in the
      // socket's buffer whole: send it in slices through the pump, which waits for 'drain'
      // and lets sendTimeoutMs see a slow reader move.
      stream = slices(payload);
      payload = null;
    }
    if (stream === null) {
      if (payload === null) {
        socket.write(head);
      } else if (typeof payload === 'string') {
        // Head and text go out in one write; the head is written as UTF-8 too, so a
        // non-Latin-1 character in a header value can never turn into a CR or LF byte.
        socket.write(head + payload);
      } else {
        socket.cork();
        socket.write(head);
        socket.write(payload);
        socket.uncork();
      }
      this.#responseDone();
      return null;
    }
    socket.write(head);
    if (fileLength >= 0) return stream;
    void this.#pump(stream, isChunked, isChunked ? trailers : null, length);
    return null;
  }

  async #respondFile(req: H1Request, res: Response, file: FileBodyInit): Promise<void> {
    let handle: FileHandle | null = null;
    let start = 0;
    let length = 0;
    try {
      handle = await open(file.path, 'r');
      const st = await handle.stat();
      const size = st.size;
      start = Math.max(0, file.start ?? 0);
      const end = Math.min(size - 1, file.end ?? size - 1);
      length = Math.max(0, end - start + 1);
    } catch (err) {
      await handle?.close();
      const code = (err as NodeJS.ErrnoException).code;
      this.#handlerError(
        req,
        code === 'ENOENT' || code === 'EISDIR'
          ? new RwsError('RWS_HTTP1_FILE_NOT_FOUND', 'file not found', { status: 404, cause: err })
          : err,
      );
      return;
    }
    if (req !== this.#req || this.#isResponseDone || this.#state === ST_CLOSED) {
      await handle.close();
      return;
    }
    const stream = handle.createReadStream({
      start,
      end: start + length - 1,
      highWaterMark: 64 * 1024,
    });
    const pending = this.#writeResponse(
      res,
      length === 0 ? null : stream,
      length === 0 ? -1 : length,
    );
    if (pending === null) {
      stream.destroy();
      return;
    }
    await this.#pump(pending, false, null, length);
    stream.destroy();
  }

  /** Writes a streamed body with backpressure; ends the response when the stream ends. */
  async #pump(
    body: StreamBody,
    isChunked: boolean,
    trailers: Headers | null,
    expected: number,
  ): Promise<void> {
    const socket = this.socket;
    let it: AsyncIterator<Uint8Array>;
    try {
      it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    } catch (err) {
      this.#server.reportError(err, this.#req);
      socket.destroy();
      return;
    }
    this.#activeIterator = it;
    let written = 0;
    try {
      for (;;) {
        const { value, done } = await it.next();
        if (this.#state === ST_CLOSED) {
          await it.return?.();
          return;
        }
        if (done) break;
        const chunk: Uint8Array =
          typeof value === 'string' ? Buffer.from(value as unknown as string) : value;
        const n = chunk.byteLength;
        if (n === 0) continue;
        written += n;
        let ok: boolean;
        if (isChunked) {
          socket.cork();
          socket.write(`${n.toString(16)}\r\n`);
          socket.write(chunk);
          ok = socket.write('\r\n');
          socket.uncork();
        } else {
          if (expected >= 0 && written > expected) {
            // More bytes than announced would desynchronise the client: stop here.
            throw new RwsError(
              ERROR_CODES.INVALID_RESPONSE,
              'response body longer than content-length',
            );
          }
          ok = socket.write(chunk);
        }
        if (!ok) await this.#waitDrain();
        if (this.#state === ST_CLOSED) {
          await it.return?.();
          return;
        }
      }
    } catch (err) {
      this.#activeIterator = null;
      if (this.#state !== ST_CLOSED) {
        this.#server.reportError(err, this.#req);
        socket.destroy();
      }
      return;
    }
    this.#activeIterator = null;
    if (expected >= 0 && !isChunked && written < expected) {
      this.#server.reportError(
        new RwsError(ERROR_CODES.INVALID_RESPONSE, 'response body shorter than content-length'),
        this.#req,
      );
      socket.destroy();
      return;
    }
    if (isChunked)
      socket.write(
        trailers === null || trailers.size === 0
          ? '0\r\n\r\n'
          : `0\r\n${serializeTrailers(trailers)}\r\n`,
      );
    this.#responseDone();
  }

  #waitDrain(): Promise<void> {
    this.#armSendTimeout();
    return new Promise((resolve) => {
      this.#drainResolve = resolve;
    });
  }

  #onDrain = (): void => {
    if (this.#deadlineKind === DL_SEND) this.#restoreDeadline();
    const resolve = this.#drainResolve;
    if (resolve !== null) {
      this.#drainResolve = null;
      resolve();
    }
    if (this.#isPausedByPipeline && this.#state === ST_WAIT && this.#isResponseDone) {
      this.#continueAfterDrain();
    }
  };

  /** A short text response written outside the handler (errors, timeouts). */
  #writeSimple(status: number, message: string, keepAlive: boolean): void {
    const body = `${message}\n`;
    let head = `${statusLine(status)}content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    if (!keepAlive) head += 'connection: close\r\n';
    else if (this.#minor === 0) head += 'connection: keep-alive\r\n';
    head += `date: ${this.#server.date()}\r\n`;
    if (this.#opts.serverHeader !== null) head += `server: ${this.#opts.serverHeader}\r\n`;
    this.#isKeepAlive = keepAlive;
    this.#isResponseStarted = true;
    this.socket.write(this.#isHead ? `${head}\r\n` : `${head}\r\n${body}`);
  }

  /** Rejects the request being parsed with the status of `code`, then closes. */
  #reject(code: Http1ErrorCode): false {
    return this.#rejectStatus(statusOf(code));
  }

  /** Answers the request being parsed with a bare `status`, then closes. */
  #rejectStatus(status: number): false {
    this.#isHead = false;
    this.#minor = 1;
    this.#writeSimple(status, reasonPhrase(status), false);
    this.#closeAfterWrite();
    return false;
  }

  /** The current response is complete. */
  #responseDone(): void {
    this.#isResponseDone = true;
    this.#activeIterator = null;
    if (!this.#isKeepAlive) {
      if (!this.#isBodyDone) this.#body?.cancel();
      this.#closeAfterWrite();
      return;
    }
    if (!this.#isBodyDone) {
      // Answered before the body was read: drop the rest, then take the next request.
      if (this.#body !== null && !this.#body.isCancelled) this.#body.cancel();
      this.#discardBody();
      if (!this.#isKeepAlive) this.#closeAfterWrite();
      return;
    }
    this.#nextRequest();
  }

  /** Both the request body and the response are done: move on to the next request. */
  #nextRequest(): void {
    if (!this.#isKeepAlive) {
      this.#closeAfterWrite();
      return;
    }
    this.#state = ST_HEAD;
    this.#req = null;
    this.#body = null;
    this.#decoder = null;
    if (this.#server.isClosing) {
      this.#closeAfterWrite();
      return;
    }
    if (this.#isPeerEnded && this.#pending === null) {
      this.#closeAfterWrite();
      return;
    }
    this.#setDeadline(DL_IDLE, this.#opts.keepAliveTimeoutMs);
    // A large response still queued: the peer gets sendTimeoutMs per bit of progress, and
    // the keep-alive idle time only starts once it has read it.
    if (this.socket.writableNeedDrain) this.#armSendTimeout();
    if (this.#isProcessing) return;
    // A client that does not read its responses must not make us buffer without bound.
    if (this.socket.writableNeedDrain) {
      this.#state = ST_WAIT;
      if (!this.#isPausedByPipeline) {
        this.#isPausedByPipeline = true;
        this.socket.pause();
      }
      this.#isResponseDone = true;
      return;
    }
    this.#continueAfterDrain();
  }

  #continueAfterDrain(): void {
    this.#state = ST_HEAD;
    // The keep-alive idle time starts now that our responses are out.
    this.#setDeadline(DL_IDLE, this.#opts.keepAliveTimeoutMs);
    if (this.#isPausedByPipeline) {
      this.#isPausedByPipeline = false;
      if (!this.#isPausedByBody) this.socket.resume();
    }
    const pending = this.#pending;
    if (pending !== null) {
      this.#pending = null;
      this.#process(pending, 0);
    }
    if (
      this.#isPeerEnded &&
      this.#state === ST_HEAD &&
      this.#pending === null &&
      this.#isResponseDone
    ) {
      this.#closeAfterWrite();
    }
  }

  /** Ends our side after the queued writes and lingers briefly so the peer can read them. */
  #closeAfterWrite(): void {
    if (this.#state === ST_CLOSED) return;
    this.#state = ST_CLOSED;
    this.#pending = null;
    const socket = this.socket;
    // Keep reading (and dropping) what the peer still sends: closing with unread data would
    // make the kernel send RST and the peer could lose our response.
    if (this.#isPausedByBody || this.#isPausedByPipeline) socket.resume();
    socket.end();
    this.#setDeadline(DL_LINGER, LINGER_MS);
    if (socket.writableNeedDrain) this.#armSendTimeout();
  }

  // ------------------------------------------------------------ lifecycle

  #onEnd = (): void => {
    this.#isPeerEnded = true;
    const state = this.#state;
    if (state === ST_CLOSED) {
      this.socket.destroySoon();
      return;
    }
    if (state === ST_BODY && !this.#isBodyDone) {
      const err = new RwsError(ERROR_CODES.BODY_INCOMPLETE, 'client closed before the body ended', {
        status: 400,
      });
      this.#body?.fail(err);
      this.#isKeepAlive = false;
      this.#isBodyDone = true;
      if (this.#isResponseDone) this.#closeAfterWrite();
      else this.#req?.abort(err);
      return;
    }
    if (!this.#isResponseDone) {
      // Like node:http, a client that stops sending mid-request is treated as gone for the
      // handler's signal; a response the handler still produces is written all the same.
      this.#req?.abort(
        new RwsError(ERROR_CODES.CLIENT_ABORTED, 'client closed its side of the connection'),
      );
      return;
    }
    if (state === ST_HEAD) {
      // A partial head that will never complete, or nothing at all: we are done.
      this.#closeAfterWrite();
    }
  };

  #onClose = (): void => {
    const wasClosed = this.#state === ST_CLOSED;
    this.#state = ST_CLOSED;
    this.#resetDeadlines();
    this.#pending = null;
    const req = this.#req;
    if (req !== null && !(wasClosed && this.#isResponseDone)) {
      const err = new RwsError(
        ERROR_CODES.CLIENT_ABORTED,
        this.#isSendTimedOut
          ? 'client stopped reading the response (sendTimeoutMs)'
          : 'client closed the connection',
      );
      if (!this.#isBodyDone) this.#body?.fail(err);
      if (!this.#isResponseDone) req.abort(err);
    }
    this.#isResponseDone = true;
    const it = this.#activeIterator;
    if (it !== null) {
      this.#activeIterator = null;
      // Stop the producer: return() ends generators and cancels web streams.
      void Promise.resolve()
        .then(() => it.return?.())
        .catch(noop);
    }
    const resolve = this.#drainResolve;
    if (resolve !== null) {
      this.#drainResolve = null;
      resolve();
    }
    this.#server.connectionClosed(this);
  };

  // ------------------------------------------------------------ timeouts

  #setDeadline(kind: number, ms: number): void {
    const isOff = ms <= 0 || !Number.isFinite(ms);
    const k = isOff ? DL_NONE : kind;
    const at = isOff ? 0 : Date.now() + ms;
    if (this.#deadlineKind === DL_SEND) {
      // The send watch stays on top; this deadline applies once our bytes are out.
      this.#savedKind = k;
      this.#savedDeadline = at;
      return;
    }
    this.#deadlineKind = k;
    this.deadline = at;
  }

  #clearDeadline(): void {
    if (this.#deadlineKind === DL_SEND) {
      this.#savedKind = DL_NONE;
      this.#savedDeadline = 0;
      return;
    }
    this.#deadlineKind = DL_NONE;
    this.deadline = 0;
  }

  /** No deadline at all, send watch included (closed or handed over). */
  #resetDeadlines(): void {
    this.#deadlineKind = DL_NONE;
    this.deadline = 0;
    this.#savedKind = DL_NONE;
    this.#savedDeadline = 0;
  }

  /** The deadline in force once the send watch (if any) is over. */
  #baseDeadlineKind(): number {
    return this.#deadlineKind === DL_SEND ? this.#savedKind : this.#deadlineKind;
  }

  /**
   * Response bytes wait for the peer: give it `sendTimeoutMs` to make progress. Called when
   * a write asked us to wait for 'drain' and when a deadline finds bytes still queued.
   */
  #armSendTimeout(): void {
    const ms = this.#opts.sendTimeoutMs;
    if (ms <= 0 || this.#state === ST_UPGRADED) return;
    if (this.#deadlineKind !== DL_SEND) {
      this.#savedKind = this.#deadlineKind;
      this.#savedDeadline = this.deadline;
      this.#deadlineKind = DL_SEND;
    }
    this.#sendMark = this.#unsent();
    this.deadline = Date.now() + ms;
  }

  /** The send watch is over: the interrupted deadline applies again. */
  #restoreDeadline(): void {
    const kind = this.#savedKind;
    let at = this.#savedDeadline;
    // Idle and linger time count from the moment our bytes are out, not from when they
    // were queued.
    if (kind === DL_IDLE) at = Date.now() + this.#opts.keepAliveTimeoutMs;
    else if (kind === DL_LINGER) at = Date.now() + LINGER_MS;
    this.#deadlineKind = kind;
    this.deadline = at;
    this.#savedKind = DL_NONE;
    this.#savedDeadline = 0;
  }

  /**
   * Bytes we wrote that the kernel has not accepted yet. A write leaves this count only
   * when all of it is out, which is why large bodies are written in slices.
   */
  #unsent(): number {
    return this.socket.writableLength;
  }

  /** Called by the server's tick once `deadline` has passed. */
  onTimeout(): void {
    const kind = this.#deadlineKind;
    if (kind === DL_SEND) {
      const unsent = this.#unsent();
      if (unsent === 0) {
        // Everything went out without a 'drain' (small writes): back to the deadline below.
        this.#restoreDeadline();
      } else if (unsent < this.#sendMark) {
        this.#armSendTimeout();
      } else {
        // The peer has not read a byte for sendTimeoutMs: stop the response and let go.
        this.#isSendTimedOut = true;
        this.socket.destroy();
      }
      return;
    }
    // Idle or lingering while our last response is still queued: that is a send, not idleness.
    if ((kind === DL_IDLE || kind === DL_LINGER) && this.#unsent() > 0) {
      this.#setDeadline(kind, kind === DL_IDLE ? this.#opts.keepAliveTimeoutMs : LINGER_MS);
      this.#armSendTimeout();
      return;
    }
    this.#clearDeadline();
    switch (kind) {
      case DL_IDLE:
        this.socket.destroy();
        return;
      case DL_HEADERS:
        // Slowloris: a head that does not arrive in time. Answer 408 when we have not
        // answered anything on this connection yet or a head is half-sent; a reused idle
        // connection is simply closed.
        if (this.#state === ST_HEAD && (this.#hasHeadBytes || this.#requestCount === 0)) {
          this.#isHead = false;
          this.#minor = 1;
          this.#writeSimple(408, reasonPhrase(408), false);
          this.#closeAfterWrite();
        } else {
          this.socket.destroy();
        }
        return;
      case DL_REQUEST: {
        const req = this.#req;
        const err = new RwsError(ERROR_CODES.REQUEST_TIMEOUT, 'request timed out', {
          status: this.#isBodyDone ? 503 : 408,
        });
        req?.abort(err);
        this.#body?.fail(err);
        if (!this.#isResponseStarted && this.#state !== ST_CLOSED) {
          this.#writeSimple(err.status!, reasonPhrase(err.status!), false);
          this.#isResponseDone = true;
          this.#closeAfterWrite();
        } else {
          this.socket.destroy();
        }
        return;
      }
      case DL_LINGER:
        this.socket.destroy();
        return;
    }
  }
}

function noop(): void {}

/** Parses a Content-Length a handler set; -1 when it is not a plain number. */
function parseLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The distinct field names of `trailers`, comma-separated, for the `Trailer` field. */
function trailerNames(trailers: Headers): string {
  const list = trailers.toList();
  const names = new Set<string>();
  for (let i = 0; i < list.length; i += 2) names.add(list[i]!);
  return [...names].join(', ');
}

function serializeTrailers(trailers: Headers): string {
  let out = '';
  const list = trailers.toList();
  for (let i = 0; i < list.length; i += 2) out += `${list[i]}: ${list[i + 1]}\r\n`;
  return out;
}

async function* slices(payload: string | Uint8Array): AsyncGenerator<Uint8Array> {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  for (let i = 0; i < bytes.byteLength; i += SLICE_BYTES) {
    yield bytes.subarray(i, Math.min(bytes.byteLength, i + SLICE_BYTES));
  }
}

async function* singleChunk(payload: string | Uint8Array): AsyncGenerator<Uint8Array> {
  yield typeof payload === 'string' ? Buffer.from(payload) : payload;
}

/** Lets go of a body that will not be sent (cancels streams, closes iterators). */
function releaseBody(body: unknown): void {
  if (body === null || typeof body !== 'object') return;
  if (
    typeof (body as ReadableStream).cancel === 'function' &&
    typeof (body as ReadableStream).getReader === 'function'
  ) {
    if (!(body as ReadableStream).locked) void (body as ReadableStream).cancel().catch(noop);
    return;
  }
  const iterate = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator];
  if (typeof iterate === 'function') {
    try {
      const it = iterate.call(body);
      void it.return?.()?.catch?.(noop);
    } catch {
      // An iterable that cannot even be opened holds nothing to release.
    }
  }
  if (typeof (body as { destroy?: unknown }).destroy === 'function') {
    (body as { destroy(): void }).destroy();
  }
}
