/**
 * Writing a handler's response on a server connection: validation, the serialised head
 * (framing, keep-alive, Date) and in-memory bodies; streamed bodies go to `pumpBody`.
 */
import {
  type FileBodyInit,
  Headers,
  isNullBodyStatus,
  type Response,
  RwsError,
  type TrailersInit,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { writeLatin1, writeUtf8 } from './buffer-writes.js';
import { clearDeadline } from './connection-deadline.js';
import { ST_CLOSED, ST_UPGRADED, type StreamBody } from './connection-state.js';
import type { H1Request } from './h1-request.js';
import { pumpBody, releaseBody, respondFile } from './pump-body.js';
import { respondError } from './respond-error.js';
import type { ServerConnection } from './server-connection.js';
import { statusLine } from './status.js';

/** In-memory response bodies above this are written in `SLICE_BYTES` slices. */
const LARGE_BODY_BYTES = 1024 * 1024;
const SLICE_BYTES = 256 * 1024;
/** Byte bodies up to this are copied behind the head and sent in one write. */
const COALESCE_BYTES = 16 * 1024;
const CONNECTION_CLOSE = 'connection: close\r\n';
const CONNECTION_KEEP_ALIVE = 'connection: keep-alive\r\n';

/**
 * Takes the handler's response: validates it, then writes it (file bodies through `respondFile`).
 */
export function respond(c: ServerConnection, req: H1Request, res: Response): void {
  if (req !== c.req || c.isResponseDone || c.isResponseStarted) {
    // Too late (timed out, client gone, or a tunnel took over): release what the response
    // holds. An accepted upgrade sent its 101: that response is complete.
    releaseBody(res?.body);
    req.settleSent(0, req === c.req && c.state === ST_UPGRADED);
    return;
  }
  if (c.state === ST_CLOSED) {
    releaseBody(res?.body);
    req.settleSent(0, false);
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
    const err = new RwsError(ERROR_CODES.INVALID_RESPONSE, 'handler returned an invalid response', {
      status: 500,
    });
    c.server.reportError(err, req);
    releaseBody((res as Response | null)?.body);
    respondError(c, err, 500);
    return;
  }
  if (req.upgrade !== undefined && req.upgrade.kind === 'connect' && res.status < 300) {
    // RFC 9110 §9.3.6: a 2xx to CONNECT tells the client the tunnel is open; without
    // `req.upgrade.accept()` there is none, so the method is not implemented here.
    releaseBody(res.body);
    respondError(c, null, 501);
    return;
  }
  const body = res.body;
  if (body !== null && typeof body === 'object' && (body as FileBodyInit).kind === 'file') {
    // respondFile answers its own errors; anything left (a bug) must not become an unhandled
    // rejection that takes the process down.
    respondFile(c, req, res, body as FileBodyInit).catch((err: unknown) => {
      c.server.reportError(err, req);
      c.socket.destroy();
    });
    return;
  }
  writeResponse(c, res, body, -1);
}

/**
 * Serialises the head and, for in-memory bodies, the body, in one write. `fileLength` is
 * the length of a file body (already stat-ed) or -1.
 */
export function writeResponse(
  c: ServerConnection,
  res: Response,
  body: Response['body'],
  fileLength: number,
): StreamBody | null {
  const status = res.status;
  const isHead = c.isHead;
  // One table for every layer: core's (204, 205, 304 here; 1xx never reach this writer).
  const bodyForbidden = isNullBodyStatus(status);
  const sendsNoBody = isHead || bodyForbidden;
  const list = res.headers.toList();
  const opts = c.opts;

  let keepAlive = c.isKeepAlive && !c.server.isClosing;
  if (opts.maxRequestsPerConnection > 0 && c.requestCount >= opts.maxRequestsPerConnection) {
    keepAlive = false;
  }
  // A client still waiting for 100 Continue may or may not send the body now: the only
  // safe way on is to close (RFC 9110 §10.1.1).
  if (c.needsContinue && !c.isBodyDone) keepAlive = false;
  // The fields as the previous response's, where they repeat (see FieldBlocks).
  const blocks = c.server.fieldBlocks;
  blocks.serialize(list);
  if (blocks.isClose) keepAlive = false;
  const hasDate = blocks.hasDate;
  // Trailers need chunked framing (RFC 9112 §7.1.2): on HTTP/1.0 and with a Content-Length
  // or file body they are dropped. A trailers object still empty now may be filled while a
  // stream is sent; it goes out if the body is chunked anyway.
  const trailers = c.minor === 1 ? (res.trailers ?? null) : null;
  // Trailers produced after the body (a function) are known to come, not what they hold.
  const isLate = typeof trailers === 'function';
  const hasTrailers = trailers !== null && (isLate || (trailers as Headers).size > 0);
  const connection = connectionField(c, keepAlive);
  // `date: …\r\n`, the Server field and the blank line, built once per second.
  const end = hasDate ? c.server.headEnd() : c.server.dateHeadEnd();
  const memo = c.server.responseMemo;
  if (typeof body === 'string' && !sendsNoBody && !hasTrailers) {
    const bytes = memo.bytes(status, blocks, connection, end, body);
    if (bytes !== null) {
      // The same response as the last one: its bytes as they were (see ResponseMemo).
      startResponse(c, keepAlive);
      c.sentBytes = memo.bodyBytes;
      c.socket.write(bytes);
      c.responseDone();
      return null;
    }
  } else if (
    body instanceof Uint8Array &&
    !sendsNoBody &&
    !hasTrailers &&
    body.byteLength <= COALESCE_BYTES &&
    writeRepeatedHead(c, status, body, keepAlive, connection, end)
  ) {
    return null;
  }
  return writeFresh(c, res, body, fileLength, keepAlive, trailers, end);
}

/**
 * Writes a small byte-body response whose head is the last one's, but perhaps for its last
 * field's value (see ResponseMemo), as those bytes followed by the body's, in one write;
 * false, writing nothing, when the head differs. Its own function so `writeResponse` stays
 * small enough to be inlined into `respond`.
 */
function writeRepeatedHead(
  c: ServerConnection,
  status: number,
  body: Uint8Array,
  keepAlive: boolean,
  connection: string,
  end: string,
): boolean {
  const blocks = c.server.fieldBlocks;
  const out = c.server.responseMemo.headAndBody(status, blocks, connection, end, body);
  if (out === null) return false;
  startResponse(c, keepAlive);
  c.sentBytes = body.byteLength;
  c.socket.write(out);
  c.responseDone();
  return true;
}

/**
 * `writeResponse` past the repeated-response check: builds the head. Its own function so the
 * hot, short path above is small enough for V8 to optimise early.
 */
function writeFresh(
  c: ServerConnection,
  res: Response,
  body: Response['body'],
  fileLength: number,
  keepAlive: boolean,
  trailers: TrailersInit | null,
  end: string,
): StreamBody | null {
  // What `writeResponse` decided from the same inputs, taken again rather than passed in.
  const status = res.status;
  const blocks = c.server.fieldBlocks;
  const bodyForbidden = isNullBodyStatus(status);
  const handlerLength = blocks.handlerLength;
  const isLate = typeof trailers === 'function';
  const hasTrailers = trailers !== null && (isLate || (trailers as Headers).size > 0);
  const memo = c.server.responseMemo;
  let payload: string | Uint8Array | null = null;
  let stream: StreamBody | null = null;
  let isChunked = false;
  let length = -1;
  let head = statusLine(status) + blocks.text;
  // Where the last field's value starts (see ResponseMemo): the fields end with it and a CRLF.
  const holeStart =
    blocks.tailName === '' ? head.length : head.length - 2 - blocks.tailValue.length;
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
    // RFC 9110 §8.6: no Content-Length in 204; a 304 may repeat the handler's. RFC 9110
    // §15.3.6: a 205 has no content, and Content-Length: 0 tells the client so.
    if (status === 304 && handlerLength >= 0) head += `content-length: ${handlerLength}\r\n`;
    else if (status === 205) head += 'content-length: 0\r\n';
  } else if (c.isHead) {
    // RFC 9110 §9.3.2: HEAD gets the headers GET would, without the body.
    if (length >= 0 && !(body === null && handlerLength >= 0))
      head += `content-length: ${length}\r\n`;
    else if (handlerLength >= 0) head += `content-length: ${handlerLength}\r\n`;
  } else if (hasTrailers && handlerLength < 0 && fileLength < 0) {
    isChunked = true;
    head += 'transfer-encoding: chunked\r\n';
    // RFC 9110 §6.6.2: announce the trailer fields so the recipient can expect them.
    // Late trailers can only be announced by the handler's own `Trailer` field.
    if (!blocks.hasTrailerField && !isLate)
      head += `trailer: ${trailerNames(trailers as Headers)}\r\n`;
    if (payload !== null) {
      stream = singleChunk(payload);
      payload = null;
    } else if (stream === null) {
      // No body but trailers: the last chunk alone carries them.
      stream = noChunks();
    }
  } else if (length >= 0) {
    head += `content-length: ${length}\r\n`;
  } else if (handlerLength >= 0) {
    length = handlerLength;
    head += `content-length: ${handlerLength}\r\n`;
  } else if (c.minor === 1) {
    isChunked = true;
    head += 'transfer-encoding: chunked\r\n';
  } else {
    // HTTP/1.0 cannot chunk: the body ends when the connection does (RFC 9112 §6.3 item 8).
    keepAlive = false;
  }

  // The framing above may have ruled keep-alive out (a close-delimited HTTP/1.0 body).
  const connection = connectionField(c, keepAlive);
  head += connection + end;
  startResponse(c, keepAlive);
  const socket = c.socket;

  if (c.isHead || bodyForbidden) {
    socket.write(head, 'latin1');
    if (stream !== null) releaseBody(stream);
    c.responseDone();
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
    c.sentBytes = length;
    if (payload === null) {
      socket.write(head, 'latin1');
    } else if (typeof payload === 'string') {
      // The head is a byte string (one char per octet, see core's Headers), the text is
      // UTF-8. An ASCII text (as many bytes as chars) is the same in both: one string, one
      // Latin-1 write, a copy rather than the UTF-8 encoder.
      let written: string | Buffer;
      if (length === payload.length) {
        written = head + payload;
        socket.write(written, 'latin1');
      } else {
        const headBytes = head.length;
        const out = Buffer.allocUnsafe(headBytes + length);
        writeLatin1(out, head, 0, headBytes);
        writeUtf8(out, payload, headBytes, length);
        socket.write(out);
        written = out;
      }
      memo.remember(status, blocks, connection, end, payload, length, written, holeStart);
    } else if (payload.byteLength <= COALESCE_BYTES) {
      // One buffer, one write: a corked pair of writes goes through writev, which costs an
      // array, a write request per chunk and more than copying a small body (a cached file).
      // A byte-string head has as many bytes as chars.
      const headBytes = head.length;
      const out = Buffer.allocUnsafe(headBytes + payload.byteLength);
      writeLatin1(out, head, 0, headBytes);
      out.set(payload, headBytes);
      socket.write(out);
      memo.rememberHead(status, blocks, connection, end, out, headBytes, holeStart);
    } else {
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(payload);
      socket.uncork();
    }
    c.responseDone();
    return null;
  }
  socket.write(head, 'latin1');
  if (fileLength >= 0) return stream;
  void pumpBody(c, stream, isChunked, isChunked ? trailers : null, length);
  return null;
}

/** The Connection field the transport adds: `close`, HTTP/1.0's `keep-alive`, or none. */
function connectionField(c: ServerConnection, keepAlive: boolean): string {
  return !keepAlive ? CONNECTION_CLOSE : c.minor === 0 ? CONNECTION_KEEP_ALIVE : '';
}

/** The response's head is about to be written: keep-alive is decided, the request timer stops. */
function startResponse(c: ServerConnection, keepAlive: boolean): void {
  c.isKeepAlive = keepAlive;
  c.isResponseStarted = true;
  // requestTimeoutMs covers the wait for a response, not its transfer: a long download or
  // an event stream must not be cut off.
  if (c.isBodyDone) clearDeadline(c);
}

/** The distinct field names of `trailers`, comma-separated, for the `Trailer` field. */
function trailerNames(trailers: Headers): string {
  const list = trailers.toList();
  const names = new Set<string>();
  for (let i = 0; i < list.length; i += 2) names.add(list[i]!);
  return [...names].join(', ');
}

async function* slices(payload: string | Uint8Array): AsyncGenerator<Uint8Array> {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  for (let i = 0; i < bytes.byteLength; i += SLICE_BYTES) {
    yield bytes.subarray(i, Math.min(bytes.byteLength, i + SLICE_BYTES));
  }
}

async function* noChunks(): AsyncGenerator<Uint8Array> {}

async function* singleChunk(payload: string | Uint8Array): AsyncGenerator<Uint8Array> {
  yield typeof payload === 'string' ? Buffer.from(payload) : payload;
}
