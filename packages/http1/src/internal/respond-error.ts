/**
 * Error responses of a server connection: rejected requests, handler errors and the short
 * text responses written outside the handler.
 */
import { errorInfo, type Headers } from '@rws/core';
import { ERROR_CODES, type Http1ErrorCode } from '../errors.js';
import { ST_CLOSED } from './connection-state.js';
import type { H1Request } from './h1-request.js';
import type { ServerConnection } from './server-connection.js';
import { reasonPhrase, statusLine } from './status.js';

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

/** The response status for a parser error code (400 unless listed in `ERROR_STATUS`). */
export function statusOf(code: Http1ErrorCode): number {
  return ERROR_STATUS[code] ?? 400;
}

/**
 * The handler threw or rejected: answers by core's one rule (`errorInfo`: the error's 4xx/5xx
 * status else 500, its message only when exposed, its headers kept), or destroys a started
 * response.
 */
export function handlerError(c: ServerConnection, req: H1Request, err: unknown): void {
  if (req !== c.req || c.isResponseDone) return;
  if (c.isResponseStarted) {
    c.server.reportError(err, req);
    c.socket.destroy();
    return;
  }
  const info = errorInfo(err);
  if (info.status >= 500) c.server.reportError(err, req);
  respondMessage(c, info.status, info.message, info.headers);
}

/** Writes an error response to the current request (status line, short text body). */
export function respondError(
  c: ServerConnection,
  err: unknown,
  status: number,
  expose: boolean = status < 500,
): void {
  const message =
    expose && err instanceof Error && err.message.length > 0 ? err.message : reasonPhrase(status);
  respondMessage(c, status, message, null);
}

/** Writes a short text error response with `message` and the error's own `headers`. */
function respondMessage(
  c: ServerConnection,
  status: number,
  message: string,
  headers: Headers | null,
): void {
  if (c.isResponseStarted || c.state === ST_CLOSED) return;
  // A body we have not read is not worth reading now: close after an error mid-body.
  if (!c.isBodyDone) c.isKeepAlive = false;
  writeSimple(c, status, message, c.isKeepAlive, headers);
  c.responseDone();
}

/** Fields of an error's own headers the transport writes itself (framing, the text body). */
function isOwnField(name: string): boolean {
  return (
    name === 'content-length' ||
    name === 'transfer-encoding' ||
    name === 'connection' ||
    name === 'content-type' ||
    name === 'date' ||
    name === 'server'
  );
}

/** A short text response written outside the handler (errors, timeouts). */
export function writeSimple(
  c: ServerConnection,
  status: number,
  message: string,
  keepAlive: boolean,
  headers: Headers | null = null,
): void {
  const body = `${message}\n`;
  let head = `${statusLine(status)}content-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  if (headers !== null) {
    const list = headers.toList();
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      if (!isOwnField(name)) head += `${name}: ${list[i + 1]}\r\n`;
    }
  }
  if (!keepAlive) head += 'connection: close\r\n';
  else if (c.minor === 0) head += 'connection: keep-alive\r\n';
  head += `date: ${c.server.date()}\r\n`;
  if (c.opts.serverHeader !== null) head += `server: ${c.opts.serverHeader}\r\n`;
  c.isKeepAlive = keepAlive;
  c.isResponseStarted = true;
  c.sentBytes = c.isHead ? 0 : Buffer.byteLength(body);
  // The head is a byte string (one char per octet), the message UTF-8 text.
  if (c.isHead) c.socket.write(`${head}\r\n`, 'latin1');
  else c.socket.write(Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), Buffer.from(body)]));
}

/** Rejects the request being parsed with the status of `code`, then closes. */
export function reject(c: ServerConnection, code: Http1ErrorCode): false {
  return rejectStatus(c, statusOf(code));
}

/** Answers the request being parsed with a bare `status`, then closes. */
function rejectStatus(c: ServerConnection, status: number): false {
  c.isHead = false;
  c.minor = 1;
  writeSimple(c, status, reasonPhrase(status), false);
  c.closeAfterWrite();
  return false;
}
