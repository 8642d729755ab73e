import { stat } from 'node:fs/promises';
import {
  type FileBodyInit,
  Headers,
  isNullBodyStatus,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { isConnectionSpecific } from '@rws/h2';
import { ERROR_CODES, HTTP3_ERROR } from '../errors.js';
import type { HeaderField } from '../qpack/qpack-decoder.js';
import type { QpackEncoder } from '../qpack/qpack-encoder.js';
import type { QuicStream } from '../quic/quic-stream.js';
import { sendFileBody } from './file-body.js';
import { encodeFrame, encodeFrameHeader, FRAME } from './frames.js';
import { isStreamEnd } from './h3-session.js';

const EMPTY = new Headers();

/**
 * Writes a core `Response` on a request stream: HEADERS, DATA frames as the body yields bytes
 * (bytes, text, async iterables, web streams, files), trailers in a last HEADERS frame, FIN.
 * `stream.write()` waits while the stream is full, so a slow client slows the body's producer.
 * @see RFC 9114 §4.1
 */
export async function sendResponse(
  stream: QuicStream,
  encoder: QpackEncoder,
  req: Request | null,
  res: Response,
  onError: (error: unknown, req: Request | null) => void,
): Promise<void> {
  const status = res.status;
  if (!Number.isInteger(status) || status < 200 || status > 999) {
    onError(
      new RwsError(ERROR_CODES.INVALID_RESPONSE, `the handler returned status ${String(status)}`),
      req,
    );
    await sendResponse(
      stream,
      encoder,
      req,
      { status: 500, headers: res.headers, body: null },
      onError,
    );
    return;
  }
  const fields: HeaderField[] = [[':status', String(status)]];
  let hasLength = false;
  for (const [name, value] of res.headers) {
    if (isConnectionSpecific(name)) continue;
    if (name === 'content-length') hasLength = true;
    fields.push([name, value]);
  }
  let body = isNullBodyStatus(status) || req?.method === 'HEAD' ? null : res.body;
  if (typeof body === 'string') body = Buffer.from(body);
  if (!hasLength && !isNullBodyStatus(status)) {
    const length = await knownLength(res.body);
    if (length >= 0) fields.push(['content-length', String(length)]);
  }
  let head: Uint8Array;
  try {
    head = encoder.encodeTrusted(fields, stream.id);
  } catch (error) {
    // Larger than the client's SETTINGS_MAX_FIELD_SECTION_SIZE: it would likely refuse it
    // (RFC 9114 §4.2.2), so it gets a bare 500 instead; if even that does not fit, a reset.
    cancelBody(res.body);
    onError(error, req);
    if (res.headers === EMPTY) stream.reset(HTTP3_ERROR.H3_INTERNAL_ERROR);
    else
      await sendResponse(
        stream,
        encoder,
        req,
        { status: 500, headers: EMPTY, body: null },
        onError,
      );
    return;
  }
  if (body === null) cancelBody(res.body);
  await stream.write(encodeFrame(FRAME.HEADERS, head));
  try {
    await sendBody(stream, encoder, res, body);
  } catch (error) {
    // After HEADERS no other status can be sent: the client learns of the failure from
    // RESET_STREAM with H3_INTERNAL_ERROR (RFC 9114 §4.1.1). A reset by the peer is no failure.
    if (isStreamEnd(error)) throw error;
    onError(error, req);
    stream.reset(HTTP3_ERROR.H3_INTERNAL_ERROR);
    cancelBody(res.body);
  }
}

async function sendBody(
  stream: QuicStream,
  encoder: QpackEncoder,
  res: Response,
  body: Exclude<Response['body'], string>,
): Promise<void> {
  if (body instanceof Uint8Array) {
    if (body.length > 0) await sendData(stream, body);
  } else if (body !== null && isFile(body)) {
    await sendFileBody(stream, body);
  } else if (body !== null) {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (bytes.length > 0) await sendData(stream, bytes);
    }
  }
  const trailers: Headers | null | undefined =
    typeof res.trailers === 'function' ? await res.trailers() : res.trailers;
  if (trailers != null) {
    const list: HeaderField[] = [];
    for (const [name, value] of trailers) if (!isConnectionSpecific(name)) list.push([name, value]);
    if (list.length > 0)
      await stream.write(encodeFrame(FRAME.HEADERS, encoder.encodeTrusted(list, stream.id)));
  }
  stream.end();
}

function sendData(stream: QuicStream, bytes: Uint8Array): Promise<void> {
  // Header and payload go in one write so a DATA frame is never split across two waits.
  return stream.write([encodeFrameHeader(FRAME.DATA, bytes.length), bytes]);
}

function isFile(body: object): body is FileBodyInit {
  return (body as { kind?: unknown }).kind === 'file';
}

/** The body's length when known up front (bytes, text, a file range), else -1. */
async function knownLength(body: Response['body']): Promise<number> {
  if (body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.length;
  if (!isFile(body)) return -1;
  const size = (await stat(body.path)).size;
  const end = Math.min(body.end ?? size - 1, size - 1);
  return Math.max(0, end - (body.start ?? 0) + 1);
}

function cancelBody(body: Response['body']): void {
  if (body instanceof ReadableStream) void body.cancel().catch(() => {});
}
