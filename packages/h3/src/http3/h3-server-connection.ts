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
import { QpackDecoder } from '../qpack/qpack-decoder.js';
import { QpackEncoder } from '../qpack/qpack-encoder.js';
import type { QuicConnection } from '../quic/quic-connection.js';
import type { QuicStream } from '../quic/quic-stream.js';
import { readVarint } from '../quic/varint.js';
import { type FrameEvent, FrameReader } from './frame-reader.js';
import {
  encodeFrame,
  encodeVarints,
  FRAME,
  parseSettings,
  parseSingleVarint,
  SETTING,
  UNI_STREAM,
} from './frames.js';
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

/** Dynamic table capacity and blocked streams our QPACK decoder allows the client. */
const QPACK_TABLE_CAPACITY = 4096;
const QPACK_BLOCKED_STREAMS = 16;

/**
 * The HTTP/3 server side of one QUIC connection: control and QPACK streams in both
 * directions, and one request per client bidirectional stream, handed to the handler as a
 * core `Request` and answered from its `Response`.
 * @see RFC 9114 §4, §6, §7
 */
export class Http3ServerConnection {
  readonly #quic: QuicConnection;
  readonly #options: Http3ConnectionOptions;
  readonly #encoder = new QpackEncoder();
  readonly #decoder: QpackDecoder;
  readonly #peerStreams = new Set<number>();
  /** Decoder-stream bytes produced before our decoder stream was opened. */
  #decoderBacklog: Uint8Array[] = [];
  #decoderStream: QuicStream | undefined;
  #isClosed = false;
  readonly #requests = new Set<AbortController>();
  /** Peer settings, once its control stream delivered them. */
  settings: Map<number, number> | undefined;

  constructor(quic: QuicConnection, options: Http3ConnectionOptions) {
    this.#quic = quic;
    this.#options = options;
    this.#decoder = new QpackDecoder({
      maxTableCapacity: QPACK_TABLE_CAPACITY,
      maxBlockedStreams: QPACK_BLOCKED_STREAMS,
      maxFieldSectionSize: options.maxFieldSectionSize,
      onDecoderStream: (bytes) => this.#writeDecoderStream(bytes),
    });
    quic.onStream = (stream) => {
      const work = (stream.id & 2) !== 0 ? this.#onUniStream(stream) : this.#onRequest(stream);
      work.catch((error: unknown) => this.#onStreamError(error));
    };
    quic.handshake.then(
      () => this.#openStreams(),
      () => {},
    );
    void quic.closed.then(() => {
      this.#isClosed = true;
      for (const controller of this.#requests) controller.abort();
    });
  }

  /** Closes the connection with H3_NO_ERROR (GOAWAY before it is planned). */
  close(): void {
    this.#quic.close(HTTP3_ERROR.H3_NO_ERROR, '');
  }

  #openStreams(): void {
    try {
      const control = this.#quic.openUniStream();
      const settings = encodeVarints([
        SETTING.QPACK_MAX_TABLE_CAPACITY,
        QPACK_TABLE_CAPACITY,
        SETTING.QPACK_BLOCKED_STREAMS,
        QPACK_BLOCKED_STREAMS,
        SETTING.MAX_FIELD_SECTION_SIZE,
        this.#options.maxFieldSectionSize,
      ]);
      void write(
        control,
        Buffer.concat([Uint8Array.of(UNI_STREAM.CONTROL), encodeFrame(FRAME.SETTINGS, settings)]),
      );
      void write(this.#quic.openUniStream(), Uint8Array.of(UNI_STREAM.QPACK_ENCODER));
      const decoder = this.#quic.openUniStream();
      this.#decoderStream = decoder;
      void write(
        decoder,
        Buffer.concat([Uint8Array.of(UNI_STREAM.QPACK_DECODER), ...this.#decoderBacklog]),
      );
      this.#decoderBacklog = [];
    } catch (error) {
      // The client allows too few unidirectional streams for HTTP/3 (RFC 9114 §6.2).
      this.#fail(http3Error(HTTP3_ERROR.H3_STREAM_CREATION_ERROR, String(error)));
    }
  }

  #writeDecoderStream(bytes: Uint8Array): void {
    if (this.#decoderStream === undefined) this.#decoderBacklog.push(bytes);
    else void write(this.#decoderStream, bytes);
  }

  /** A connection error closes the connection with its code; anything else is reported. */
  #fail(error: unknown): void {
    if (this.#isClosed) return;
    if (error instanceof Http3Error) {
      this.#quic.close(error.applicationCode, error.message);
    } else {
      this.#options.onError(error, null);
      this.#quic.close(HTTP3_ERROR.H3_INTERNAL_ERROR, 'internal error');
    }
    this.#isClosed = true;
  }

  #onStreamError(error: unknown): void {
    // A stream reset or the connection closing ends its reader; that is not our error.
    if (error instanceof Http3Error) this.#fail(error);
    else if (!this.#isClosed && !isStreamEnd(error)) this.#fail(error);
  }

  /** A peer unidirectional stream: its first varint says what it carries (RFC 9114 §6.2). */
  async #onUniStream(stream: QuicStream): Promise<void> {
    const chunks = stream[Symbol.asyncIterator]();
    let head: Uint8Array = new Uint8Array(0);
    let type = -1;
    while (type < 0) {
      const next = await chunks.next();
      if (next.done === true) return;
      head = head.length === 0 ? next.value : Buffer.concat([head, next.value]);
      type = readVarint(head, 0);
    }
    const rest = head.subarray(1 << (head[0]! >> 6));
    const isCritical =
      type === UNI_STREAM.CONTROL ||
      type === UNI_STREAM.QPACK_ENCODER ||
      type === UNI_STREAM.QPACK_DECODER;
    if (isCritical) {
      if (this.#peerStreams.has(type)) {
        throw http3Error(HTTP3_ERROR.H3_STREAM_CREATION_ERROR, `a second stream of type ${type}`);
      }
      this.#peerStreams.add(type);
    } else if (type === UNI_STREAM.PUSH) {
      throw http3Error(HTTP3_ERROR.H3_STREAM_CREATION_ERROR, 'a client opened a push stream');
    }
    const consume =
      type === UNI_STREAM.CONTROL
        ? this.#controlConsumer()
        : type === UNI_STREAM.QPACK_ENCODER
          ? (chunk: Uint8Array) => this.#decoder.onEncoderStream(chunk)
          : type === UNI_STREAM.QPACK_DECODER
            ? (chunk: Uint8Array) => this.#encoder.onDecoderStream(chunk)
            : // Unknown and GREASE stream types are read and discarded (RFC 9114 §6.2).
              () => {};
    if (rest.length > 0) consume(rest);
    for (;;) {
      const next = await chunks.next();
      if (next.done === true) break;
      consume(next.value);
    }
    if (isCritical) {
      throw http3Error(
        HTTP3_ERROR.H3_CLOSED_CRITICAL_STREAM,
        `the client closed stream type ${type}`,
      );
    }
  }

  /** The peer's control stream: SETTINGS first, then GOAWAY, MAX_PUSH_ID, CANCEL_PUSH. */
  #controlConsumer(): (chunk: Uint8Array) => void {
    const reader = new FrameReader(this.#options.maxFieldSectionSize);
    return (chunk) => {
      for (const event of reader.push(chunk)) {
        const type = event.kind === 'data' ? FRAME.DATA : event.type;
        if (this.settings === undefined && type !== FRAME.SETTINGS) {
          throw http3Error(
            HTTP3_ERROR.H3_MISSING_SETTINGS,
            'the control stream does not start with SETTINGS',
          );
        }
        if (event.kind === 'data') {
          throw http3Error(HTTP3_ERROR.H3_FRAME_UNEXPECTED, 'DATA on the control stream');
        }
        switch (event.type) {
          case FRAME.SETTINGS:
            if (this.settings !== undefined) {
              throw http3Error(HTTP3_ERROR.H3_FRAME_UNEXPECTED, 'a second SETTINGS frame');
            }
            this.settings = parseSettings(event.payload);
            break;
          case FRAME.GOAWAY:
          case FRAME.MAX_PUSH_ID:
          case FRAME.CANCEL_PUSH:
            // We never push, and a client's GOAWAY only limits pushes: validated, then unused.
            parseSingleVarint(event.payload, 'control');
            break;
          default:
            throw http3Error(
              HTTP3_ERROR.H3_FRAME_UNEXPECTED,
              `frame 0x${event.type.toString(16)} on the control stream`,
            );
        }
      }
    };
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
      const fields = await this.#decoder.decode(stream.id, event.payload);
      const head = parseRequestFields(fields.flat(), false);
      if (typeof head === 'string') throw malformed(head);
      const pairs: [string, string][] = [];
      for (let i = 0; i < head.fields.length; i += 2)
        pairs.push([head.fields[i]!, head.fields[i + 1]!]);
      const source = new RequestBody(
        {
          next: () => events.next(),
          decodeTrailers: (block) => this.#decoder.decode(stream.id, block),
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
      await sendResponse(stream, this.#encoder, req, res, this.#options.onError);
    } catch (error) {
      if (error instanceof Http3Error && error.applicationCode !== HTTP3_ERROR.H3_MESSAGE_ERROR) {
        throw error;
      }
      if (this.#isClosed || isStreamEnd(error)) return;
      const status = errorStatus(error);
      if (status >= 500) this.#options.onError(error, req);
      const message = status < 500 && error instanceof Error ? error.message : null;
      await sendResponse(stream, this.#encoder, req, plain(status, message), this.#options.onError);
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

/** Writes without waiting; a failed write means the stream or connection is gone. */
function write(stream: QuicStream, bytes: Uint8Array): Promise<void> {
  return stream.write(bytes).catch(() => {});
}

function isStreamEnd(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === 'RWS_H3_STREAM_RESET' ||
    code === 'RWS_H3_PEER_CLOSED' ||
    code === 'RWS_H3_IDLE_TIMEOUT'
  );
}
