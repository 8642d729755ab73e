/**
 * Serialises client requests (RFC 9112 §3, §6): the request line, the header section with the
 * framing fields the client owns, and the body with Content-Length when its length is known
 * and chunked transfer coding otherwise.
 */
import type { Socket } from 'node:net';
import {
  Body,
  Headers,
  type HeadersInit,
  isIdempotentMethod,
  isToken,
  parseContentLength,
  type TrailersInit,
} from '@rws/core';
import { CLIENT_ERROR_CODES, clientError } from './client-errors.js';

/** What a request body may be. `Body` lets a proxy forward an incoming request body as is. */
export type RequestBodyInit =
  | string
  | Uint8Array
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>
  | Body
  | null;

/** A request ready for a connection: serialised head and a body plan. */
export interface PreparedRequest {
  readonly method: string;
  readonly path: string;
  /** Request line and header section, terminated by the empty line (latin1). */
  readonly head: string;
  /** The whole body when it is in memory (written with the head), else null. */
  readonly bytes: Uint8Array | null;
  /** A streaming body, or null. */
  readonly stream: AsyncIterable<Uint8Array> | null;
  /** Content-Length sent, or -1 when chunked / no body. */
  readonly contentLength: number;
  readonly isChunked: boolean;
  readonly isHead: boolean;
  /** `Expect: 100-continue` was sent and there is a body to hold back. */
  readonly expectsContinue: boolean;
  /** The request asked for `Connection: close`. */
  readonly wantsClose: boolean;
  /** Safe to send again on a fresh socket (idempotent method, body in memory). */
  readonly isRetryable: boolean;
  /**
   * `upgrade` (an `Upgrade` field: a 101 makes the socket a tunnel), `connect` (CONNECT: a
   * 2xx does), or null.
   */
  readonly tunnel: 'upgrade' | 'connect' | null;
  /** Trailer fields to send after the (then always chunked) body, or null. */
  readonly trailers: TrailersInit | null;
}

/** RFC 9110 §8.6: a user agent sends Content-Length: 0 for these even without content. */
function expectsContent(method: string): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

function invalid(message: string): Error {
  return clientError(CLIENT_ERROR_CODES.INVALID_REQUEST_OPTIONS, message);
}

/** Builds the head and body plan, validating everything the caller supplied. */
export function prepareRequest(
  method: string,
  path: string,
  host: string,
  headersInit: HeadersInit | null | undefined,
  body: RequestBodyInit | undefined,
  expectContinue: boolean,
  trailers: TrailersInit | null = null,
): PreparedRequest {
  if (method.length === 0) throw invalid('empty method');
  // RFC 9110 §9.1: a method is a token.
  if (!isToken(method)) throw invalid(`invalid method ${JSON.stringify(method)}`);
  const isConnect = method === 'CONNECT';
  if (isConnect) {
    // RFC 9110 §9.3.6: CONNECT names the tunnel's far end in authority-form, host:port.
    const colon = path.lastIndexOf(':');
    if (colon <= 0 || colon === path.length - 1 || path.includes('/') || path.includes('@')) {
      throw invalid(
        `a CONNECT path is host:port (authority-form), got ${JSON.stringify(path.slice(0, 64))}`,
      );
    }
  } else if (path !== '*' && path.charCodeAt(0) !== 47) {
    throw invalid(`path must start with "/" (got ${JSON.stringify(path.slice(0, 64))})`);
  }
  // RFC 9112 §3.2: the target is visible ASCII; spaces or controls would split the line.
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      throw invalid('path contains a space, control or non-ASCII character (percent-encode it)');
    }
  }

  const headers = headersInit instanceof Headers ? headersInit : new Headers(headersInit ?? null);
  const list = headers.toList();
  let fields = '';
  let hasHost = false;
  let userLength = -1;
  let userChunked = false;
  let wantsClose = false;
  let hasExpect = false;
  let hasUpgrade = false;
  let hasConnectionUpgrade = false;
  let hasTrailerField = false;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    // Every value is a byte string, one char per octet: core's Headers refuses a char above
    // 0xFF and the parsers (ours, Web Headers) make none, so the head is written as Latin-1
    // without a scan here.
    const value = list[i + 1]!;
    switch (name) {
      case 'host':
        if (hasHost) throw invalid('more than one host header');
        hasHost = true;
        break;
      case 'content-length': {
        const n = parseContentLength(value.trim());
        if (n === -1 || (userLength !== -1 && userLength !== n)) {
          throw invalid(`invalid content-length ${JSON.stringify(value.slice(0, 32))}`);
        }
        userLength = n;
        continue; // re-emitted below with the framing we choose
      }
      case 'transfer-encoding':
        if (value.trim().toLowerCase() !== 'chunked') {
          throw invalid('transfer-encoding other than chunked is not supported');
        }
        userChunked = true;
        continue;
      case 'upgrade':
        hasUpgrade = true;
        break;
      case 'connection': {
        const v = value.toLowerCase();
        if (v.includes('upgrade')) hasConnectionUpgrade = true;
        if (v.includes('close')) wantsClose = true;
        break;
      }
      case 'expect':
        if (value.trim().toLowerCase() === '100-continue') hasExpect = true;
        break;
      case 'trailer':
        hasTrailerField = true;
        break;
    }
    // `+` rather than a template literal: a substitution costs a ToString call even on a
    // string (11 per proxied request, callgrind).
    fields += name + ': ' + value + '\r\n';
  }
  if (userLength !== -1 && userChunked) {
    throw invalid('both content-length and transfer-encoding given (RFC 9112 §6.3)');
  }
  if (hasConnectionUpgrade && !hasUpgrade)
    throw invalid('connection: upgrade without an upgrade field');
  // RFC 9110 §7.8: Upgrade is a hop-by-hop field, only acted on when Connection lists it.
  if (hasUpgrade && !hasConnectionUpgrade) fields += 'connection: upgrade\r\n';
  const tunnel = isConnect ? 'connect' : hasUpgrade ? 'upgrade' : null;
  // RFC 9112 §3.2: every HTTP/1.1 request has Host (for CONNECT, the tunnel's far end);
  // RFC 9110 §7.2: send it first.
  let head = hasHost
    ? method + ' ' + path + ' HTTP/1.1\r\n' + fields
    : method + ' ' + path + ' HTTP/1.1\r\nhost: ' + (isConnect ? path : host) + '\r\n' + fields;

  let bytes: Uint8Array | null = null;
  let stream: AsyncIterable<Uint8Array> | null = null;
  let knownLength = -1;
  if (body === undefined || body === null) {
    knownLength = 0;
  } else if (typeof body === 'string') {
    bytes = Buffer.from(body, 'utf8');
    knownLength = bytes.byteLength;
  } else if (body instanceof Uint8Array) {
    bytes = body;
    knownLength = body.byteLength;
  } else if (body instanceof Body) {
    if (body.length === 0) knownLength = 0;
    else {
      stream = body;
      if (body.length !== null) knownLength = body.length;
    }
  } else if (typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function') {
    stream = body as AsyncIterable<Uint8Array>;
  } else {
    throw invalid('body must be a string, Uint8Array, AsyncIterable, ReadableStream or Body');
  }
  if (trailers !== null) {
    // RFC 9112 §7.1.2: trailers ride on chunked framing only, so the body is streamed even
    // when it is in memory, and a Content-Length the caller set cannot be honoured.
    if (typeof trailers !== 'function' && !(trailers instanceof Headers)) {
      throw invalid('trailers must be a Headers or a function returning one');
    }
    if (userLength !== -1) throw invalid('trailers need chunked framing: drop content-length');
    if (bytes !== null) {
      stream = bytes.byteLength === 0 ? emptyBody() : singleChunk(bytes);
      bytes = null;
    } else if (stream === null) stream = emptyBody();
    knownLength = -1;
    // RFC 9110 §6.6.2: announce the fields when they are known now.
    if (!hasTrailerField && typeof trailers !== 'function' && trailers.size > 0) {
      head += `trailer: ${[...new Set(trailers.keys())].join(', ')}\r\n`;
    }
  }
  if (userLength !== -1 && knownLength !== -1 && userLength !== knownLength) {
    throw clientError(
      CLIENT_ERROR_CODES.REQUEST_BODY_LENGTH_MISMATCH,
      `content-length ${userLength} does not match the body length ${knownLength}`,
    );
  }
  const contentLength = knownLength !== -1 ? knownLength : userLength;
  // After the head the connection may carry another protocol: there is no room for content
  // (RFC 9110 §9.3.6 for CONNECT; an Upgrade with content would be ignored by the server).
  if (
    tunnel !== null &&
    (stream !== null || contentLength > 0 || userChunked || trailers !== null)
  ) {
    throw invalid(`${isConnect ? 'a CONNECT' : 'an upgrade'} request cannot have a body`);
  }
  const isChunked = stream !== null && contentLength === -1;
  const isHead = method === 'HEAD';
  if (isChunked) head += 'transfer-encoding: chunked\r\n';
  else if (contentLength > 0 || (contentLength === 0 && expectsContent(method)))
    head += `content-length: ${contentLength}\r\n`;
  const hasBody = isChunked || contentLength > 0;
  // RFC 9110 §10.1.1: only a request with content may ask for 100-continue.
  if (expectContinue && !hasExpect && hasBody) head += 'expect: 100-continue\r\n';
  head += '\r\n';
  return {
    method,
    path,
    head,
    bytes: bytes !== null && bytes.byteLength > 0 ? bytes : null,
    stream,
    contentLength: hasBody && !isChunked ? contentLength : -1,
    isChunked,
    isHead,
    expectsContinue: (expectContinue || hasExpect) && hasBody,
    wantsClose,
    isRetryable: isIdempotentMethod(method) && stream === null && tunnel === null,
    tunnel,
    trailers,
  };
}

async function* singleChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** Bodies up to this size are copied behind the head and sent in one write. */
const COALESCE_BYTES = 16 * 1024;

/**
 * Writes the request head and an in-memory body in one `write`: a bodiless request (most
 * proxied ones) goes straight to the socket, without the cork/uncork round that buffers the
 * chunk and flushes it again; a small body is copied behind the head, which costs less than
 * the array and write request per chunk of a corked (writev) pair.
 */
export function writeHead(socket: Socket, head: string, bytes: Uint8Array | null): void {
  if (bytes === null) {
    socket.write(head, 'latin1');
  } else if (bytes.byteLength <= COALESCE_BYTES) {
    const out = Buffer.allocUnsafe(head.length + bytes.byteLength);
    out.write(head, 0, head.length, 'latin1');
    out.set(bytes, head.length);
    socket.write(out);
  } else {
    socket.cork();
    socket.write(head, 'latin1');
    socket.write(bytes);
    socket.uncork();
  }
}

const CRLF: Buffer = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK: Buffer = Buffer.from('0\r\n\r\n', 'latin1');

/** The bytes framing one chunk of a chunked body (RFC 9112 §7.1). */
export function chunkHeader(size: number): Buffer {
  return Buffer.from(`${size.toString(16)}\r\n`, 'latin1');
}

export { CRLF, LAST_CHUNK };

/** The last chunk with a trailer section (RFC 9112 §7.1.2). */
export function lastChunk(trailers: Headers): string {
  let out = '0\r\n';
  for (const [name, value] of trailers) out += `${name}: ${value}\r\n`;
  return `${out}\r\n`;
}

/** Releases a request body that will never be sent (a core `Body` or any async iterable). */
export function discardStream(stream: AsyncIterable<Uint8Array>): void {
  if (stream instanceof Body) {
    stream.cancel();
    return;
  }
  try {
    void stream[Symbol.asyncIterator]()
      .return?.()
      ?.catch(() => {});
  } catch {
    // An iterable that cannot be released has nothing to release.
  }
}
