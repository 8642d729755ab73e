/**
 * One HTTP/1.1 server connection: reads request heads and bodies off a socket, calls the
 * handler, and writes responses in order. Requests on a connection are handled one at a
 * time; pipelined bytes that arrive early wait in `pending` (and pause the socket when
 * they pile up), so responses always go out in request order (RFC 9112 §9.3.2).
 */
import type { Socket } from 'node:net';
import {
  type ConnectionInfo,
  type Handler,
  type Headers,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import type { ChunkedDecoder } from './chunked-decoder.js';
import {
  armBodyTimeout,
  armSendTimeout,
  handleBodyTimeout,
  handleTimeout,
  resetDeadlines,
  restoreDeadline,
  setDeadline,
  setLazyDeadline,
} from './connection-deadline.js';
import {
  BODY_NONE,
  DL_HEADERS,
  DL_IDLE,
  DL_LINGER,
  DL_NONE,
  DL_SEND,
  LINGER_MS,
  noop,
  ST_BODY,
  ST_CLOSED,
  ST_HEAD,
  ST_UPGRADED,
  ST_WAIT,
} from './connection-state.js';
import type { FieldBlocks } from './field-block.js';
import type { H1Request, InterimWriter } from './h1-request.js';
import { lendReads, returnReads } from './lent-reads.js';
import { processInput } from './process-input.js';
import { discardBody, resumeIfPausedByBody } from './read-body.js';
import type { BodyOwner, RequestBody } from './request-body.js';
import { handlerError } from './respond-error.js';
import type { ResponseMemo } from './response-memo.js';
import { settleWhenFlushed } from './settle-when-flushed.js';
import { statusLine } from './status.js';
import { respond } from './write-response.js';

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

/** The options a connection reads, already resolved to numbers. */
export interface ConnectionOptions {
  maxHeaderBytes: number;
  maxUrlBytes: number;
  maxHeaderCount: number;
  maxBodyBytes: number;
  /** Default read limit of `req.body.bytes()`/`json()`… (not the transport cap). */
  bodyLimit: number;
  bodyHighWaterMark: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  requestTimeoutMs: number;
  sendTimeoutMs: number;
  bodyTimeoutMs: number;
  maxRequestsPerConnection: number;
  serverHeader: string | null;
}

/** What a connection needs from its server. */
export interface ServerContext {
  readonly handler: Handler;
  readonly options: ConnectionOptions;
  /** Set by the server when `close()` starts. */
  isClosing: boolean;
  /** Aborts when the server starts a graceful shutdown (`req.drain`). */
  readonly drainSignal: AbortSignal;
  /** The cached `Date` value for this second. */
  date(): string;
  /** `date: <now>\r\n`, the Server field if any, and the blank line ending a head. */
  dateHeadEnd(): string;
  /** The Server field if any and the blank line ending a head (the handler set Date). */
  headEnd(): string;
  /** The serialised fields of the last response, reused where the next repeats them. */
  readonly fieldBlocks: FieldBlocks;
  /** The bytes of the last text response, reused when the next is the same. */
  readonly responseMemo: ResponseMemo;
  reportError(err: unknown, req: Request | null): void;
  connectionClosed(conn: ServerConnection): void;
}

/**
 * The state of one connection. Its fields are plain (not `#private`) because the functions
 * that read requests, write responses and keep deadlines live in sibling modules
 * (process-input, start-request, read-body, write-response, pump-body, respond-error,
 * connection-deadline) and take the connection as their first argument: a direct call, no
 * extra object per request. Nothing outside `src/internal` sees them.
 */
export class ServerConnection implements BodyOwner, InterimWriter {
  readonly socket: Socket;
  readonly info: ConnectionInfo;
  /**
   * Absolute time (ms) at which `onTimeout` should run, 0 for none, or `-ms` when set without a
   * clock read (`setLazyDeadline`), stamped by the server's next tick.
   */
  deadline = 0;
  deadlineKind: number = DL_NONE;
  savedKind: number = DL_NONE;
  savedDeadline = 0;
  /**
   * When the request body times out for lack of bytes (`bodyTimeoutMs`), or 0. Separate from
   * `deadline`: it runs alongside the request timeout and the send watch.
   */
  bodyDeadline = 0;
  /** Unsent bytes when the send watch was last armed: less at expiry means progress. */
  sendMark = 0;
  server: ServerContext;
  opts: ConnectionOptions;
  /** Shared by every request body of the connection (Body only reads it). */
  bodyOptions: { limit: number };
  state: number = ST_HEAD;
  pending: Buffer | null = null;
  scanFrom = 0;
  isProcessing = false;
  requestCount = 0;
  hasHeadBytes = false;

  // The current request.
  req: H1Request | null = null;
  body: RequestBody | null = null;
  bodyMode: number = BODY_NONE;
  bodyRemaining = 0;
  decoder: ChunkedDecoder | null = null;
  isBodyDone = true;
  isResponseDone = true;
  isResponseStarted = false;
  isKeepAlive = true;
  minor = 1;
  needsContinue = false;
  isHead = false;
  /** Body bytes of the current response written to the socket (for `onResponseSent`). */
  sentBytes = 0;
  /** The request body is being thrown away (handler answered without reading it all). */
  isDiscarding = false;
  discarded = 0;

  // Socket flow control.
  isPausedByBody = false;
  isPausedByPipeline = false;
  isPeerEnded = false;
  drainResolve: (() => void) | null = null;
  activeIterator: AsyncIterator<Uint8Array> | null = null;
  isSendTimedOut = false;
  /**
   * Bytes past the head of an Upgrade/CONNECT request while its handler runs synchronously
   * (later they are in `pending`): the first bytes of the tunnel if the handler accepts.
   */
  tunnelHead: Buffer | null = null;

  constructor(server: ServerContext, socket: Socket, info: ConnectionInfo) {
    this.server = server;
    this.opts = server.options;
    this.bodyOptions = { limit: server.options.bodyLimit };
    this.socket = socket;
    this.info = info;
    socket.setNoDelay(true);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', noop);
    socket.on('drain', this.onDrain);
    // A fresh connection has headersTimeoutMs to send its first head (slowloris).
    setDeadline(this, DL_HEADERS, this.opts.headersTimeoutMs);
  }

  /**
   * Starts reading (after the server registered the connection: a first request answered at
   * once may already close it). A plain TCP socket reads into the buffer all sockets share
   * (lent-reads.ts): no Buffer, stream push, 'data' event or `nextTick` per read.
   */
  start(): void {
    const socket = this.socket;
    (socket as ConnectionSocket)[kConnection] = this;
    const lent = lendReads(socket, onLentRead);
    if (!lent.isLent) {
      socket.on('data', this.onData);
      return;
    }
    // Bytes read before (a sniffed preface put back) are the connection's own Buffer.
    if (lent.buffered !== null && lent.buffered.length > 0) this.onData(lent.buffered);
  }

  /** True when no request is in progress: safe to close during a graceful shutdown. */
  get isIdle(): boolean {
    return (
      this.state === ST_HEAD && !this.hasHeadBytes && this.isResponseDone && this.pending === null
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

  onData = (chunk: Buffer): void => {
    const state = this.state;
    if (state === ST_CLOSED || state === ST_UPGRADED) return;
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      chunk = Buffer.concat([pending, chunk]);
    }
    processInput(this, chunk, 0, chunk.length, false);
  };

  /**
   * The socket leaves HTTP (upgrade): it is paused for its new owner, its reads go to its
   * readable side, where the owner finds them, and it no longer keeps this connection alive.
   */
  releaseReads(): void {
    const socket = this.socket as ConnectionSocket;
    socket.removeListener('data', this.onData);
    socket[kConnection] = undefined;
    returnReads(socket);
  }

  /** `bytes` read into the shared `buf`: lent for this call only (see `processInput`). */
  onLentBytes(bytes: number, buf: Buffer): void {
    const state = this.state;
    if (state === ST_CLOSED || state === ST_UPGRADED) return;
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      const joined = Buffer.concat([pending, buf.subarray(0, bytes)]);
      processInput(this, joined, 0, joined.length, false);
      return;
    }
    processInput(this, buf, 0, bytes, true);
  }

  // ------------------------------------------------------------ BodyOwner

  pauseBody(): void {
    if (!this.isPausedByBody && this.state === ST_BODY) {
      this.isPausedByBody = true;
      this.socket.pause();
    }
  }

  resumeBody(): void {
    resumeIfPausedByBody(this);
  }

  onFirstRead(): void {
    // RFC 9110 §10.1.1: send 100 Continue when the handler actually wants the body.
    if (this.needsContinue) {
      this.needsContinue = false;
      if (!this.isResponseStarted && this.state === ST_BODY) {
        this.socket.write(CONTINUE);
        // The client sends the body only now: its clock starts here.
        armBodyTimeout(this);
      }
    }
  }

  onBodyCancel(): void {
    discardBody(this);
  }

  // ------------------------------------------------------------ handler

  callHandler(req: H1Request): void {
    let result: Response | Promise<Response>;
    try {
      result = this.server.handler(req);
    } catch (err) {
      handlerError(this, req, err);
      return;
    }
    if (result !== null && typeof (result as Promise<Response>).then === 'function') {
      (result as Promise<Response>).then(
        (res) => respond(this, req, res),
        (err) => handlerError(this, req, err),
      );
    } else {
      respond(this, req, result as Response);
    }
  }

  // ------------------------------------------------------------ writing

  get drainSignal(): AbortSignal {
    return this.server.drainSignal;
  }

  /**
   * Writes a 1xx interim response (`req.sendInformational`, already validated) for the
   * current request. Refused (false) once the final response started, for another request,
   * or to an HTTP/1.0 client (RFC 9110 §15.2). 1xx carry no body and do not change
   * keep-alive (RFC 9112 §6.3 item 1).
   */
  writeInterim(req: H1Request, status: number, headers: Headers): boolean {
    if (
      req !== this.req ||
      this.isResponseStarted ||
      this.isResponseDone ||
      this.minor === 0 ||
      this.state === ST_CLOSED ||
      this.state === ST_UPGRADED ||
      status < 100 ||
      status === 101 ||
      status > 199
    ) {
      return false;
    }
    // A handler's own 100 Continue answers the client's expectation: do not send a second.
    if (status === 100) this.needsContinue = false;
    let head = statusLine(status);
    const list = headers.toList();
    for (let i = 0; i < list.length; i += 2) head += `${list[i]}: ${list[i + 1]}\r\n`;
    this.socket.write(`${head}\r\n`, 'latin1');
    return true;
  }

  onDrain = (): void => {
    if (this.deadlineKind === DL_SEND) restoreDeadline(this);
    const resolve = this.drainResolve;
    if (resolve !== null) {
      this.drainResolve = null;
      resolve();
    }
    if (this.isPausedByPipeline && this.state === ST_WAIT && this.isResponseDone) {
      this.continueAfterDrain();
    }
  };

  /** The current response is complete. */
  responseDone(): void {
    this.isResponseDone = true;
    const req = this.req;
    if (req?.hasSentListener === true) settleWhenFlushed(this.socket, req, this.sentBytes);
    this.activeIterator = null;
    if (!this.isKeepAlive) {
      if (!this.isBodyDone) this.body?.cancel();
      this.closeAfterWrite();
      return;
    }
    if (!this.isBodyDone) {
      // Answered before the body was read: drop the rest, then take the next request.
      if (this.body !== null && !this.body.isCancelled) this.body.cancel();
      discardBody(this);
      if (!this.isKeepAlive) this.closeAfterWrite();
      return;
    }
    this.nextRequest();
  }

  /** Both the request body and the response are done: move on to the next request. */
  nextRequest(): void {
    if (!this.isKeepAlive) {
      this.closeAfterWrite();
      return;
    }
    this.state = ST_HEAD;
    this.req = null;
    this.body = null;
    this.decoder = null;
    if (this.server.isClosing) {
      this.closeAfterWrite();
      return;
    }
    if (this.isPeerEnded && this.pending === null) {
      this.closeAfterWrite();
      return;
    }
    const needsDrain = this.socket.writableNeedDrain;
    if (!this.isProcessing && !needsDrain) {
      // Sets the keep-alive deadline itself.
      this.continueAfterDrain();
      return;
    }
    setLazyDeadline(this, DL_IDLE, this.opts.keepAliveTimeoutMs);
    // A large response still queued: the peer gets sendTimeoutMs per bit of progress, and
    // the keep-alive idle time only starts once it has read it.
    if (needsDrain) armSendTimeout(this);
    if (this.isProcessing) return;
    // A client that does not read its responses must not make us buffer without bound.
    this.state = ST_WAIT;
    if (!this.isPausedByPipeline) {
      this.isPausedByPipeline = true;
      this.socket.pause();
    }
    this.isResponseDone = true;
  }

  continueAfterDrain(): void {
    this.state = ST_HEAD;
    // The keep-alive idle time starts now that our responses are out.
    setLazyDeadline(this, DL_IDLE, this.opts.keepAliveTimeoutMs);
    if (this.isPausedByPipeline) {
      this.isPausedByPipeline = false;
      if (!this.isPausedByBody) this.socket.resume();
    }
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      processInput(this, pending, 0, pending.length, false);
    }
    if (
      this.isPeerEnded &&
      this.state === ST_HEAD &&
      this.pending === null &&
      this.isResponseDone
    ) {
      this.closeAfterWrite();
    }
  }

  /** Ends our side after the queued writes and lingers briefly so the peer can read them. */
  closeAfterWrite(): void {
    if (this.state === ST_CLOSED) return;
    this.state = ST_CLOSED;
    this.pending = null;
    const socket = this.socket;
    // Keep reading (and dropping) what the peer still sends: closing with unread data would
    // make the kernel send RST and the peer could lose our response.
    if (this.isPausedByBody || this.isPausedByPipeline) socket.resume();
    socket.end();
    setDeadline(this, DL_LINGER, LINGER_MS);
    if (socket.writableNeedDrain) armSendTimeout(this);
  }

  // ------------------------------------------------------------ lifecycle

  onEnd = (): void => {
    this.isPeerEnded = true;
    const state = this.state;
    if (state === ST_CLOSED) {
      this.socket.destroySoon();
      return;
    }
    // Tell whoever listens on `req.halfClose`; the request itself goes on (see below).
    if (!this.isResponseDone) this.req?.markHalfClosed();
    if (state === ST_BODY && !this.isBodyDone) {
      const err = new RwsError(ERROR_CODES.BODY_INCOMPLETE, 'client closed before the body ended', {
        status: 400,
      });
      this.body?.fail(err);
      this.isKeepAlive = false;
      this.isBodyDone = true;
      if (this.isResponseDone) this.closeAfterWrite();
      else this.req?.abort(err);
      return;
    }
    if (!this.isResponseDone) {
      // A half-close after a complete request (RFC 9112 §9.6 lets a client signal "no more
      // requests" this way) is not an abort: the response is written, then we close. A
      // client that is really gone closes or resets the socket, which `onClose` handles.
      return;
    }
    if (state === ST_HEAD) {
      // A partial head that will never complete, or nothing at all: we are done.
      this.closeAfterWrite();
    }
  };

  onClose = (): void => {
    const wasClosed = this.state === ST_CLOSED;
    this.state = ST_CLOSED;
    resetDeadlines(this);
    this.bodyDeadline = 0;
    this.pending = null;
    const req = this.req;
    if (req !== null && !(wasClosed && this.isResponseDone)) {
      const err = new RwsError(
        ERROR_CODES.CLIENT_ABORTED,
        this.isSendTimedOut
          ? 'client stopped reading the response (sendTimeoutMs)'
          : 'client closed the connection',
      );
      if (!this.isBodyDone) this.body?.fail(err);
      if (!this.isResponseDone) req.abort(err);
    }
    // Cut short (or never answered): what was written is all the client may have got.
    req?.settleSent(this.sentBytes, false);
    this.isResponseDone = true;
    const it = this.activeIterator;
    if (it !== null) {
      this.activeIterator = null;
      // Stop the producer: return() ends generators and cancels web streams.
      void Promise.resolve()
        .then(() => it.return?.())
        .catch(noop);
    }
    const resolve = this.drainResolve;
    if (resolve !== null) {
      this.drainResolve = null;
      resolve();
    }
    this.server.connectionClosed(this);
  };

  /** Called by the server's tick once `deadline` has passed. */
  onTimeout(): void {
    handleTimeout(this);
  }

  /** Called by the server's tick once `bodyDeadline` has passed. */
  onBodyTimeout(): void {
    handleBodyTimeout(this);
  }
}

/** Where the shared read callback finds a socket's connection. */
const kConnection: unique symbol = Symbol('rws.http1.connection');
type ConnectionSocket = Socket & { [kConnection]?: ServerConnection | undefined };

/** The lent-read callback of every server connection (`this` is the socket). */
function onLentRead(this: Socket, bytes: number, buf: Buffer): void {
  (this as ConnectionSocket)[kConnection]?.onLentBytes(bytes, buf);
}
