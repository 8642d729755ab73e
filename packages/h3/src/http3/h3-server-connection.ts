import {
  Body,
  type ConnectionInfo,
  createRequest,
  errorStatus,
  type Handler,
  Headers,
  type Request,
} from '@rws/core';
import { parseRequestFields } from '@rws/h2';
import { HTTP3_ERROR, Http3Error, http3Error } from '../errors.js';
import type { QuicConnection } from '../quic/quic-connection.js';
import type { QuicStream } from '../quic/quic-stream.js';
import { type FrameEvent, FrameReader } from './frame-reader.js';
import { FRAME } from './frames.js';
import { Http3Session, isStreamEnd } from './h3-session.js';
import { malformed, RequestBody } from './request-body.js';
import { sendResponse } from './send-response.js';

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

  constructor(quic: QuicConnection, options: Http3ConnectionOptions) {
    this.#options = options;
    const session = new Http3Session(quic, options.maxFieldSectionSize, (error) =>
      options.onError(error, null),
    );
    this.#session = session;
    quic.onStream = (stream) => {
      const work =
        (stream.id & 2) !== 0 ? session.onUniStream(stream, true) : this.#onRequest(stream);
      work.catch((error: unknown) => session.onStreamError(error));
    };
    quic.handshake.then(
      () => session.openStreams(),
      () => {},
    );
    void quic.closed.then(() => {
      for (const controller of this.#requests) controller.abort();
    });
  }

  /** Closes the connection with H3_NO_ERROR (GOAWAY before it is planned). */
  close(): void {
    this.#session.quic.close(HTTP3_ERROR.H3_NO_ERROR, '');
  }

  /** A request stream: HEADERS, then DATA, then optional trailers (RFC 9114 §4.1). */
  async #onRequest(stream: QuicStream): Promise<void> {
    const events = requestEvents(stream, new FrameReader(this.#options.maxFieldSectionSize));
    const first = await events.next();
    if (first.done === true) return; // Nothing asked: nothing to answer.
    const event = first.value;
    if (event.kind !== 'frame')
      throw http3Error(HTTP3_ERROR.H3_FRAME_UNEXPECTED, 'DATA before HEADERS');
    const controller = new AbortController();
    this.#requests.add(controller);
    let req: Request | null = null;
    try {
      const fields = await this.#session.decoder.decode(stream.id, event.payload);
      const head = parseRequestFields(fields.flat(), false);
      if (typeof head === 'string') throw malformed(head);
      const pairs: [string, string][] = [];
      for (let i = 0; i < head.fields.length; i += 2)
        pairs.push([head.fields[i]!, head.fields[i + 1]!]);
      const source = new RequestBody(
        {
          next: () => events.next(),
          decodeTrailers: (block) => this.#session.decoder.decode(stream.id, block),
          cancel: () => void events.return(undefined),
        },
        head.contentLength,
        this.#options.maxBodyBytes,
      );
      req = createRequest({
        method: head.method,
        target: head.target,
        headers: new Headers(pairs),
        body: new Body(source, { limit: this.#options.maxBodyBytes }),
        protocol: 'h3',
        conn: this.#options.conn,
        signal: controller.signal,
        authority: head.authority,
        scheme: head.scheme === 'http' ? 'http' : 'https',
      });
      const res = await this.#options.handler(req);
      await sendResponse(stream, this.#session.encoder, req, res, this.#options.onError);
    } catch (error) {
      if (error instanceof Http3Error && error.applicationCode !== HTTP3_ERROR.H3_MESSAGE_ERROR) {
        throw error;
      }
      if (this.#session.isClosed || isStreamEnd(error)) return;
      const status = errorStatus(error);
      if (status >= 500) this.#options.onError(error, req);
      const message = status < 500 && error instanceof Error ? error.message : null;
      await sendResponse(
        stream,
        this.#session.encoder,
        req,
        plain(status, message),
        this.#options.onError,
      );
    } finally {
      this.#requests.delete(controller);
    }
    // Read what the handler left unread so the stream retires and returns its credit
    // (STOP_SENDING from the application is planned).
    await events.return(undefined);
    for await (const _ of stream);
  }
}

/** The frames of a request stream, with anything but DATA and HEADERS refused (RFC 9114 §4.1). */
async function* requestEvents(
  stream: QuicStream,
  reader: FrameReader,
): AsyncGenerator<FrameEvent, void, undefined> {
  for await (const chunk of stream) {
    for (const event of reader.push(chunk)) {
      if (event.kind === 'frame' && event.type !== FRAME.HEADERS) {
        throw http3Error(
          HTTP3_ERROR.H3_FRAME_UNEXPECTED,
          `frame 0x${event.type.toString(16)} on a request stream`,
        );
      }
      yield event;
    }
  }
  if (!reader.isAtBoundary)
    throw http3Error(HTTP3_ERROR.H3_FRAME_ERROR, 'a request stream ends inside a frame');
}

function plain(status: number, message: string | null) {
  return {
    status,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: `${message ?? String(status)}\n`,
  };
}
