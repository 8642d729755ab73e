/**
 * The request side of a server connection: HEADERS and CONTINUATION frames become header
 * blocks, header blocks become core `Request`s (or trailers), DATA frames feed request bodies
 * within the receive windows (RFC 9113 §5.2, §6.1, §6.2, §8.1).
 */
import { Body, createRequest, Headers, type HeadersInit, RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { H2ConnectionError } from '../frame-parser.js';
import { FLAG, H2_ERROR, windowUpdateFrame } from '../frames.js';
import { parseRequestFields, trailerProblem } from '../request-fields.js';
import { calm, frameSize, protocol } from './connection-errors.js';
import { CLOSED, H2Stream, HALF_CLOSED_LOCAL, HALF_CLOSED_REMOTE } from './h2-stream.js';
import { H2Upgrade } from './h2-upgrade.js';
import type { ServerConnection } from './server-connection.js';
import { informational, respondPlain, run } from './server-response.js';

/** Connection window we keep open for the peer: generous, since streams bound buffering. */
export const CONNECTION_WINDOW: number = 1 << 24;

export function onDataFrame(
  c: ServerConnection,
  flags: number,
  streamId: number,
  payload: Buffer,
): void {
  if (streamId === 0) throw protocol('DATA on stream 0');
  let data = payload;
  if ((flags & FLAG.PADDED) !== 0) {
    if (payload.length === 0 || payload[0]! >= payload.length)
      throw protocol('DATA padding too long');
    data = payload.subarray(1, payload.length - payload[0]!);
  }
  // The whole frame counts against the windows, padding included (RFC 9113 §6.9.1).
  consumeConnection(c, payload.length);
  if (streamId > c.lastStreamId) throw protocol('DATA on an idle stream');
  const s = c.streams.get(streamId);
  // A stream we closed or reset: frames the peer sent before it learnt so are ignored
  // (RFC 9113 §5.4.2, §6.4); the connection window was accounted above.
  if (s === undefined) return;
  if (s.state === HALF_CLOSED_REMOTE || s.state === CLOSED) {
    c.resetStream(streamId, H2_ERROR.STREAM_CLOSED);
    return;
  }
  s.recvWindow -= payload.length;
  if (s.recvWindow < 0) {
    c.streamError(s, H2_ERROR.FLOW_CONTROL_ERROR, 'the client overran the stream window');
    return;
  }
  s.received += data.length;
  if (s.length !== null && s.received > s.length) {
    c.streamError(s, H2_ERROR.PROTOCOL_ERROR, 'more DATA than content-length');
    return;
  }
  if (s.received > c.opts.maxBodyBytes) {
    s.fail(
      new RwsError(
        ERROR_CODES.BODY_TOO_LARGE,
        `request body larger than ${c.opts.maxBodyBytes} bytes`,
        { status: 413 },
      ),
    );
    s.cancel();
    return;
  }
  if (data.length > 0) s.pushData(data);
  if (payload.length > data.length) streamConsumed(c, s, payload.length - data.length);
  if ((flags & FLAG.END_STREAM) !== 0) remoteEnd(c, s);
}

function remoteEnd(c: ServerConnection, s: H2Stream): void {
  if (s.length !== null && s.received !== s.length) {
    c.streamError(s, H2_ERROR.PROTOCOL_ERROR, 'DATA shorter than content-length');
    return;
  }
  s.end();
  if (s.state === HALF_CLOSED_LOCAL) c.closeStream(s, null);
  else s.state = HALF_CLOSED_REMOTE;
}

/** Connection-level receive accounting: the window is handed back in large steps. */
function consumeConnection(c: ServerConnection, n: number): void {
  c.recvUnacked += n;
  if (c.recvUnacked >= CONNECTION_WINDOW >>> 1) {
    c.write(windowUpdateFrame(0, c.recvUnacked));
    c.recvUnacked = 0;
  }
}

/** The handler consumed `n` body octets of `s`: reopen the stream window by as much. */
export function streamConsumed(c: ServerConnection, s: H2Stream, n: number): void {
  if (n === 0 || s.state === CLOSED || s.state === HALF_CLOSED_REMOTE) return;
  s.recvWindow += n;
  c.write(windowUpdateFrame(s.id, n));
}

export function onHeaders(
  c: ServerConnection,
  flags: number,
  streamId: number,
  payload: Buffer,
): void {
  if (streamId === 0) throw protocol('HEADERS on stream 0');
  let start = 0;
  let end = payload.length;
  if ((flags & FLAG.PADDED) !== 0) {
    if (payload.length === 0) throw frameSize('PADDED HEADERS without a pad length');
    const pad = payload[0]!;
    start = 1;
    end -= pad;
  }
  if ((flags & FLAG.PRIORITY) !== 0) start += 5; // RFC 9113 §5.3.2: priority signals are ignored.
  if (end < start) throw protocol('HEADERS padding longer than the payload');
  const fragment = payload.subarray(start, end);
  if ((flags & FLAG.END_HEADERS) !== 0) {
    headerBlock(c, streamId, flags, fragment);
    return;
  }
  c.blockStream = streamId;
  c.blockFlags = flags;
  c.blockParts = [fragment];
  c.blockBytes = fragment.length;
  c.blockFrames = 1;
}

export function onContinuation(
  c: ServerConnection,
  flags: number,
  streamId: number,
  payload: Buffer,
): void {
  if (c.blockStream === 0 || streamId !== c.blockStream) {
    throw protocol('CONTINUATION without a header block on that stream');
  }
  c.blockParts.push(payload);
  c.blockBytes += payload.length;
  // CONTINUATION flood (CVE-2024-27316 family): cap the buffered block before decoding.
  if (c.blockBytes > c.opts.maxHeaderBlockBytes || ++c.blockFrames > c.opts.maxContinuationFrames) {
    throw calm('header block too large or in too many CONTINUATION frames');
  }
  if ((flags & FLAG.END_HEADERS) === 0) return;
  const block = Buffer.concat(c.blockParts);
  const blockFlags = c.blockFlags;
  c.blockStream = 0;
  c.blockParts = [];
  headerBlock(c, streamId, blockFlags, block);
}

/** A complete header block: decode (always, to keep HPACK in step), then act on it. */
function headerBlock(c: ServerConnection, streamId: number, flags: number, block: Buffer): void {
  const list = c.decoder.decode(block);
  const isTooLarge = c.decoder.isListTooLarge;
  const isEndStream = (flags & FLAG.END_STREAM) !== 0;
  const existing = c.streams.get(streamId);
  if (existing !== undefined) {
    // Trailers (RFC 9113 §8.1): they must end the stream.
    if (existing.state === HALF_CLOSED_REMOTE || existing.state === CLOSED) {
      throw new H2ConnectionError(
        ERROR_CODES.PROTOCOL_ERROR,
        'HEADERS on a half-closed stream',
        H2_ERROR.STREAM_CLOSED,
      );
    }
    if (!isEndStream) {
      c.streamError(existing, H2_ERROR.PROTOCOL_ERROR, 'trailers without END_STREAM');
      return;
    }
    const problem = isTooLarge ? 'trailers too large' : trailerProblem(list);
    if (problem !== null) {
      c.streamError(existing, H2_ERROR.PROTOCOL_ERROR, problem);
      return;
    }
    existing.requestTrailers = Headers.fromTrustedList(list);
    remoteEnd(c, existing);
    return;
  }
  // Trailers (or a late block) on a stream we reset: decoded above, otherwise ignored.
  if (c.resetIds.has(streamId)) return;
  if ((streamId & 1) === 0) throw protocol('a client stream id must be odd');
  if (streamId <= c.lastStreamId) {
    throw new H2ConnectionError(
      ERROR_CODES.PROTOCOL_ERROR,
      `HEADERS on closed stream ${streamId}`,
      H2_ERROR.STREAM_CLOSED,
    );
  }
  c.lastStreamId = streamId;
  startRequest(c, streamId, list, isTooLarge, isEndStream);
}

/**
 * A new stream's request header list (decoded from HEADERS, or the HTTP/1.1 request an
 * `Upgrade: h2c` turned into stream 1): opens the stream and runs the handler.
 */
export function startRequest(
  c: ServerConnection,
  streamId: number,
  list: string[],
  isTooLarge: boolean,
  isEndStream: boolean,
): void {
  if (streamId > c.acceptUpTo || c.isClosed) return;
  if (c.streams.size >= c.opts.maxConcurrentStreams) {
    c.sendRst(streamId, H2_ERROR.REFUSED_STREAM);
    return;
  }
  c.disarmIdle();
  if (isTooLarge) {
    const s = openStream(c, streamId, null, isEndStream);
    void respondPlain(c, s, null, 431);
    return;
  }
  const head = parseRequestFields(list, c.opts.enableConnectProtocol);
  if (typeof head === 'string') {
    c.sendRst(streamId, H2_ERROR.PROTOCOL_ERROR);
    c.armIdle();
    return;
  }
  const length = head.contentLength === -1 ? (isEndStream ? 0 : null) : head.contentLength;
  if (isEndStream && head.contentLength > 0) {
    c.sendRst(streamId, H2_ERROR.PROTOCOL_ERROR);
    c.armIdle();
    return;
  }
  const s = openStream(c, streamId, length, isEndStream);
  if (length !== null && length > c.opts.maxBodyBytes) {
    s.cancel();
    void respondPlain(c, s, null, 413);
    return;
  }
  const upgrade =
    head.method === 'CONNECT'
      ? new H2Upgrade(c, s, head.protocol?.toLowerCase() ?? null)
      : undefined;
  const req = createRequest({
    method: head.method,
    target: head.target,
    headers: Headers.fromTrustedList(head.fields),
    body: isEndStream ? Body.empty() : new Body(s, { limit: c.opts.maxBodyBytes }),
    protocol: 'h2',
    conn: c.conn,
    signal: s.abort.signal,
    authority: head.authority,
    scheme: head.scheme === 'https' || head.scheme === 'http' ? head.scheme : c.scheme,
    drain: c.drainController.signal,
    sendInformational: (status: number, headers?: HeadersInit) =>
      informational(c, s, status, headers),
    upgrade,
  });
  void run(c, s, req);
}

function openStream(
  c: ServerConnection,
  id: number,
  length: number | null,
  isEndStream: boolean,
): H2Stream {
  const s = new H2Stream(
    id,
    c.opts.initialWindowSize,
    c.peerInitialWindow,
    length,
    c.onStreamConsumed,
  );
  c.streams.set(id, s);
  if (isEndStream) {
    s.end();
    s.state = HALF_CLOSED_REMOTE;
  }
  return s;
}
