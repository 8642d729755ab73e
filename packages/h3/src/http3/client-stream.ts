import { Body, Headers, RwsError } from '@rws/core';
import { ERROR_CODES, HTTP3_ERROR, Http3Error, http3Error } from '../errors.js';
import type { HeaderField } from '../qpack/qpack-decoder.js';
import type { QuicStream } from '../quic/quic-stream.js';
import { type FrameEvent, FrameReader } from './frame-reader.js';
import { encodeFrame, encodeFrameHeader, FRAME } from './frames.js';
import { type Http3Session, isStreamEnd } from './h3-session.js';
import { RequestBody } from './request-body.js';
import { streamEvents } from './stream-events.js';

/** A request whose body streams out and whose response streams in (`Http3Client#stream`). */
export interface Http3StreamRequest {
  readonly method?: string;
  /** Origin-form path with query, e.g. `/a?b=1`. */
  readonly path: string;
  /** `:authority` (default: the server name and port). */
  readonly authority?: string;
  readonly headers?: readonly HeaderField[];
  /** Sent as DATA frames as it yields, with QUIC flow control holding it back. */
  readonly body?: Uint8Array | string | AsyncIterable<Uint8Array> | null;
  /** Trailer fields, asked for once the body has been sent. */
  readonly trailers?: () => Headers | null;
  /** Aborting resets the stream (H3_REQUEST_CANCELLED) in both directions. */
  readonly signal?: AbortSignal;
}

/** A response whose body is read as it arrives. */
export interface Http3StreamResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The body: a one-shot core `Body` (cancel it to stop reading, which stops the stream). */
  readonly body: Body;
  /** The trailers, once the body has been read to its end (null when none). */
  trailers(): Headers | null;
}

/**
 * Why a request failed, for the caller: the signal's reason when it aborted; refused
 * (H3_REQUEST_REJECTED, safe to retry elsewhere) as `RWS_H3_REQUEST_REJECTED`; another reset
 * by the server as `Http3Error` `RWS_H3_STREAM_RESET` with the server's code; else `error`.
 */
export function requestFailure(stream: QuicStream, error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted === true) return signal.reason;
  if (stream.peerErrorCode === HTTP3_ERROR.H3_REQUEST_REJECTED) {
    return new RwsError(ERROR_CODES.REQUEST_REJECTED, `the server refused stream ${stream.id}`, {
      cause: error,
    });
  }
  const code = stream.peerErrorCode;
  if (code !== undefined && code !== HTTP3_ERROR.H3_NO_ERROR && isStreamEnd(error)) {
    // The server reset the stream or stopped reading it: applicationCode says why, e.g.
    // H3_MESSAGE_ERROR for a malformed request (RFC 9114 §4.1.2).
    return new Http3Error(
      ERROR_CODES.STREAM_RESET,
      `the server aborted stream ${stream.id} with code ${code} (0x${code.toString(16)})`,
      code,
    );
  }
  return error;
}

/**
 * Runs one request on `stream` with both bodies streaming: HEADERS, then the request body as
 * DATA frames and trailers, while the response is read; resolves at the final response's head
 * (interim 1xx responses are skipped). The response body keeps reading the stream.
 * @see RFC 9114 §4.1
 */
export async function streamExchange(
  session: Http3Session,
  stream: QuicStream,
  authority: string,
  init: Http3StreamRequest,
): Promise<Http3StreamResponse> {
  const cancel = (): void => {
    stream.reset(HTTP3_ERROR.H3_REQUEST_CANCELLED);
    stream.stopSending(HTTP3_ERROR.H3_REQUEST_CANCELLED);
  };
  const signal = init.signal;
  signal?.addEventListener('abort', cancel, { once: true });
  const events = streamEvents(stream, new FrameReader(65536));
  const fields: HeaderField[] = [
    [':method', init.method ?? 'GET'],
    [':scheme', 'https'],
    [':authority', init.authority ?? authority],
    [':path', init.path],
    ...(init.headers ?? []),
  ];
  // `Http3Client#stream` checked these fields (its checkRequestBytes) before the stream opened.
  const head = encodeFrame(FRAME.HEADERS, session.encoder.encodeTrusted(fields, stream.id));
  // A server may answer before reading the whole request and stop it (STOP_SENDING): the
  // response still counts (RFC 9114 §4.1), so a failed send is not the exchange's end.
  void sendRequest(session, stream, head, init).catch(() => {
    if (stream.peerErrorCode === undefined) cancel();
  });
  try {
    const { status, headers } = await finalResponseHead(session, stream, events);
    const length = Number(headers.get('content-length') ?? -1);
    const source = new RequestBody(
      {
        next: () => events.next(),
        decodeTrailers: (block) => session.decoder.decode(stream.id, block),
        cancel: () => {
          void events.return(undefined);
          if (!stream.isReadDone) stream.stopSending(HTTP3_ERROR.H3_REQUEST_CANCELLED);
        },
        reject: () => stream.stopSending(HTTP3_ERROR.H3_MESSAGE_ERROR),
      },
      Number.isSafeInteger(length) ? length : -1,
      Number.MAX_SAFE_INTEGER,
    );
    return {
      status,
      headers,
      body: new Body(source, { limit: Number.MAX_SAFE_INTEGER }),
      trailers: () => source.trailers(),
    };
  } catch (error) {
    signal?.removeEventListener('abort', cancel);
    throw requestFailure(stream, error, signal);
  }
}

async function sendRequest(
  session: Http3Session,
  stream: QuicStream,
  head: Uint8Array,
  init: Http3StreamRequest,
): Promise<void> {
  await stream.write(head);
  const body = typeof init.body === 'string' ? Buffer.from(init.body) : init.body;
  if (body instanceof Uint8Array) {
    if (body.length > 0) await sendData(stream, body);
  } else if (body != null) {
    for await (const chunk of body) if (chunk.length > 0) await sendData(stream, chunk);
  }
  const trailers = init.trailers?.();
  if (trailers != null) {
    // A core `Headers`, which refuses a char above 0xFF when set: no second check.
    const list: HeaderField[] = [...trailers];
    if (list.length > 0)
      await stream.write(
        encodeFrame(FRAME.HEADERS, session.encoder.encodeTrusted(list, stream.id)),
      );
  }
  stream.end();
}

function sendData(stream: QuicStream, bytes: Uint8Array): Promise<void> {
  // Header and payload in one write, so a DATA frame is never split across two waits.
  return stream.write([encodeFrameHeader(FRAME.DATA, bytes.length), bytes]);
}

/**
 * Reads a response's HEADERS until the final (non-1xx) head; interim responses go to
 * `onInformational`. DATA before it, or the stream's end, is H3_FRAME_UNEXPECTED.
 */
export async function finalResponseHead(
  session: Http3Session,
  stream: QuicStream,
  events: AsyncGenerator<FrameEvent, void, undefined>,
  onInformational?: (status: number, headers: Headers) => void,
): Promise<{ status: number; headers: Headers }> {
  for (;;) {
    const next = await events.next();
    if (next.done === true) throw unexpected('the end of the stream');
    const event = next.value;
    if (event.kind === 'data') throw unexpected('DATA');
    const [first, ...rest] = await session.decoder.decode(stream.id, event.payload);
    if (first?.[0] !== ':status')
      throw http3Error(HTTP3_ERROR.H3_MESSAGE_ERROR, 'the response has no :status');
    const status = Number(first[1]);
    if (status < 100 || status >= 200) return { status, headers: new Headers(rest) };
    onInformational?.(status, new Headers(rest));
  }
}

export function unexpected(what: string): Error {
  return http3Error(HTTP3_ERROR.H3_FRAME_UNEXPECTED, `unexpected ${what} in the response`);
}
