import {
  Body,
  type ConnectionInfo,
  createRequest,
  errorStatus,
  type Handler,
  Headers,
  type HeadersInit,
  type Request,
  RwsError,
  validateInformational,
} from '@rws/core';
import { isConnectionSpecific, parseRequestFields } from '@rws/h2';
import { ERROR_CODES, HTTP3_ERROR, Http3Error, http3Error } from '../errors.js';
import type { HeaderField } from '../qpack/qpack-decoder.js';
import type { QuicConnection } from '../quic/quic-connection.js';
import type { QuicStream } from '../quic/quic-stream.js';
import { FrameReader } from './frame-reader.js';
import { encodeFrame, FRAME } from './frames.js';
import { Http3Session, isStreamEnd } from './h3-session.js';
import { H3Upgrade } from './h3-upgrade.js';
import { isMalformed, malformed, RequestBody } from './request-body.js';
import { sendResponse } from './send-response.js';
import { streamEvents } from './stream-events.js';

/** What an HTTP/3 connection needs from its server. */
export interface Http3ConnectionOptions {
  readonly handler: Handler;
  /** Request bodies larger than this are answered with 413 (default 1 MiB as in core). */
  readonly maxBodyBytes: number;
  /** Largest field section we accept, SETTINGS_MAX_FIELD_SECTION_SIZE (default 64 KiB). */
  readonly maxFieldSectionSize: number;
  /** The request's connection info (addresses, TLS). */
  readonly conn: ConnectionInfo;
  /** Errors of handlers and of the connection that no peer sees. */
  readonly onError: (error: unknown, req: Request | null) => void;
  /** Advertise SETTINGS_ENABLE_CONNECT_PROTOCOL and take extended CONNECT (RFC 9220). */
  readonly enableConnectProtocol: boolean;
}

/**
 * The HTTP/3 server side of one QUIC connection: control and QPACK streams in both
 * directions, and one request per client bidirectional stream, handed to the handler as a
 * core `Request` and answered from its `Response`.
 * @see RFC 9114 §4, §6, §7
 */
export class Http3ServerConnection {
  readonly #session: Http3Session;
  readonly #options: Http3ConnectionOptions;
  readonly #requests = new Set<AbortController>();
  /** Aborts every request's `drain` signal: we or the client sent GOAWAY. */
  readonly #drain = new AbortController();
  /** The lowest client request stream id not seen yet (what a GOAWAY of ours names). */
  #nextRequestId = 0;
  /** The id our GOAWAY named: streams from it on are refused. */
  #goawayId: number | undefined;
  #idleWaiters: Array<() => void> = [];

  constructor(quic: QuicConnection, options: Http3ConnectionOptions) {
    this.#options = options;
    const session = new Http3Session(
      quic,
      options.maxFieldSectionSize,
      (error) => options.onError(error, null),
      options.enableConnectProtocol,
    );
    this.#session = session;
    session.onGoaway = () => this.#drain.abort();
    quic.onStream = (stream) => {
      const work =
        (stream.id & 2) !== 0 ? session.onUniStream(stream, true) : this.#onRequestStream(stream);
      work.catch((error: unknown) => session.onStreamError(error));
    };
    quic.handshake.then(
      () => {
        session.openStreams();
        // A connection accepted while the server drains learns it at once.
        if (this.#goawayId !== undefined) session.sendGoaway(this.#goawayId);
      },
      () => {},
    );
    void quic.closed.then(() => {
      for (const controller of this.#requests) controller.abort();
      this.#drain.abort();
    });
  }

  /** Requests being handled or answered. */
  get activeRequests(): number {
    return this.#requests.size;
  }

  /**
   * Graceful shutdown, step one: GOAWAY names the first request stream we will not process
   * (later ones are refused with H3_REQUEST_REJECTED, so the client may retry them elsewhere)
   * and every request's `drain` signal aborts. Requests already received run to completion.
   * @see RFC 9114 §5.2
   */
  drain(): void {
    if (this.#goawayId !== undefined) return;
    this.#goawayId = this.#nextRequestId;
    this.#session.sendGoaway(this.#goawayId);
    this.#drain.abort();
  }

  /** Resolves when no request is in flight. */
  idle(): Promise<void> {
    if (this.#requests.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Closes the connection with H3_NO_ERROR. */
  close(): void {
    this.#session.quic.close(HTTP3_ERROR.H3_NO_ERROR, '');
  }

  async #onRequestStream(stream: QuicStream): Promise<void> {
    this.#nextRequestId = Math.max(this.#nextRequestId, stream.id + 4);
    if (this.#goawayId !== undefined && stream.id >= this.#goawayId) {
      // Not processed at all: the client may safely retry it (RFC 9114 §4.1.1).
      stream.stopSending(HTTP3_ERROR.H3_REQUEST_REJECTED);
      stream.reset(HTTP3_ERROR.H3_REQUEST_REJECTED);
      return;
    }
    const controller = new AbortController();
    this.#requests.add(controller);
    stream.onAbort = (error) => {
      controller.abort(error);
      // A section still waiting for encoder instructions is abandoned (RFC 9204 §2.2.2.2).
      if (stream.peerErrorCode !== undefined) this.#session.decoder.cancelStream(stream.id);
    };
    try {
      await this.#onRequest(stream, controller.signal);
      // In flight until the client has the whole response, so a shutdown does not cut it off.
      await stream.delivered();
    } finally {
      this.#requests.delete(controller);
      if (this.#requests.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** A request stream: HEADERS, then DATA, then optional trailers (RFC 9114 §4.1). */
  async #onRequest(stream: QuicStream, signal: AbortSignal): Promise<void> {
    const events = streamEvents(stream, new FrameReader(this.#options.maxFieldSectionSize));
    const first = await events.next();
    if (first.done === true) {
      // The client ended the stream without asking anything (RFC 9114 §4.1).
      stream.reset(HTTP3_ERROR.H3_REQUEST_INCOMPLETE);
      return;
    }
    const event = first.value;
    if (event.kind !== 'frame')
      throw http3Error(HTTP3_ERROR.H3_FRAME_UNEXPECTED, 'DATA before HEADERS');
    const encoder = this.#session.encoder;
    let req: Request | null = null;
    let isFinal = false;
    let upgrade: H3Upgrade | undefined;
    const reject = (): void => this.#rejectMalformed(stream);
    try {
      const fields = await this.#decodeHead(stream.id, event.payload);
      // `:protocol` is malformed unless our SETTINGS allowed it (RFC 9220 §3).
      const head = parseRequestFields(fields.flat(), this.#options.enableConnectProtocol);
      if (typeof head === 'string') throw malformed(head);
      // CONNECT (RFC 9114 §4.4) and extended CONNECT (RFC 9220): the stream's DATA is the
      // tunnel's, not a request body.
      const isConnect = head.method === 'CONNECT';
      if (isConnect) {
        upgrade = new H3Upgrade(
          stream,
          encoder,
          events,
          { isOver: () => isFinal || signal.aborted },
          head.protocol?.toLowerCase() ?? null,
        );
      }
      const pairs: [string, string][] = [];
      for (let i = 0; i < head.fields.length; i += 2)
        pairs.push([head.fields[i]!, head.fields[i + 1]!]);
      const source = new RequestBody(
        {
          next: () => events.next(),
          decodeTrailers: (block) => this.#session.decoder.decode(stream.id, block),
          cancel: () => void events.return(undefined),
          reject,
        },
        head.contentLength,
        this.#options.maxBodyBytes,
      );
      req = createRequest({
        method: head.method,
        target: head.target,
        headers: new Headers(pairs),
        body: isConnect ? Body.empty() : new Body(source, { limit: this.#options.maxBodyBytes }),
        protocol: 'h3',
        conn: this.#options.conn,
        signal,
        drain: this.#drain.signal,
        authority: head.authority,
        scheme: head.scheme === 'http' ? 'http' : 'https',
        sendInformational: (status: number, headers?: HeadersInit) => {
          const list = validateInformational(status, headers);
          if (isFinal || signal.aborted) return false;
          const section: HeaderField[] = [[':status', String(status)]];
          for (const [name, value] of list) {
            if (!isConnectionSpecific(name)) section.push([name, value]);
          }
          let block: Uint8Array;
          try {
            block = encoder.encodeTrusted(section, stream.id);
          } catch {
            // Over the client's SETTINGS_MAX_FIELD_SECTION_SIZE: an interim response is optional.
            return false;
          }
          void stream.write(encodeFrame(FRAME.HEADERS, block)).catch(() => {});
          return true;
        },
        upgrade,
      });
      const res = await this.#options.handler(req);
      isFinal = true;
      const tunnel = upgrade?.opened;
      if (tunnel != null) {
        // Accepted: the 200 went out and the handler's response is not sent. The request is
        // in flight until both directions of the tunnel are over (or the stream is aborted).
        await Promise.race([tunnel.finished, aborted(signal)]);
        return;
      }
      await sendResponse(stream, encoder, req, res, this.#options.onError);
    } catch (error) {
      if (isMalformed(error)) {
        reject();
        await events.return(undefined).catch(() => {});
        return;
      }
      if (error instanceof Http3Error) throw error;
      if (this.#session.isClosed) return;
      if (upgrade?.opened != null) {
        // The handler failed after accepting: the tunnel's stream is abandoned.
        this.#options.onError(error, req);
        stream.reset(HTTP3_ERROR.H3_INTERNAL_ERROR);
        stream.stopSending(HTTP3_ERROR.H3_INTERNAL_ERROR);
        return;
      }
      if (!isStreamEnd(error) && !signal.aborted) {
        isFinal = true;
        const status = errorStatus(error);
        if (status >= 500) this.#options.onError(error, req);
        const message = status < 500 && error instanceof Error ? error.message : null;
        await sendResponse(stream, encoder, req, plain(status, message), this.#options.onError);
      }
    }
    // The response is complete: what the client still sends is not needed, and H3_NO_ERROR
    // tells it so without failing the request (RFC 9114 §4.1). A pending read ends with it.
    stream.stopSending(HTTP3_ERROR.H3_NO_ERROR);
    await events.return(undefined).catch(() => {});
  }

  /**
   * The request's header section. One larger than our SETTINGS_MAX_FIELD_SECTION_SIZE is
   * not malformed: it is answered with 431 (RFC 9114 §4.2.2), and the QPACK decoder learns
   * the section was abandoned (Stream Cancellation, RFC 9204 §4.4.2).
   */
  async #decodeHead(streamId: number, block: Uint8Array): Promise<HeaderField[]> {
    try {
      return await this.#session.decoder.decode(streamId, block);
    } catch (error) {
      if (!(error instanceof Http3Error) || error.applicationCode !== HTTP3_ERROR.H3_EXCESSIVE_LOAD)
        throw error;
      this.#session.decoder.cancelStream(streamId);
      throw new RwsError(ERROR_CODES.FIELD_SECTION_TOO_LARGE, error.message, {
        status: 431,
        cause: error,
      });
    }
  }

  /**
   * A malformed request is a stream error of type H3_MESSAGE_ERROR (RFC 9114 §4.1.2): both
   * directions are aborted with that code. The RFC lets a server answer first, but
   * RESET_STREAM may discard that answer in flight, so none is sent.
   */
  #rejectMalformed(stream: QuicStream): void {
    stream.reset(HTTP3_ERROR.H3_MESSAGE_ERROR);
    stream.stopSending(HTTP3_ERROR.H3_MESSAGE_ERROR);
    this.#session.decoder.cancelStream(stream.id);
  }
}

/** Resolves when `signal` aborts (the stream was reset or the connection closed). */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}

function plain(status: number, message: string | null) {
  return {
    status,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: `${message ?? String(status)}\n`,
  };
}
