/**
 * The response side of a server connection: running the handler, writing the response head,
 * body (bytes, files, streams) and trailers within the send windows, 1xx responses, and
 * CONNECT tunnels (RFC 9113 §8.1, §8.5, §5.2).
 */
import { open, stat } from 'node:fs/promises';
import {
  errorStatus,
  type FileBodyInit,
  Headers,
  type HeadersInit,
  isNullBodyStatus,
  type Request,
  type Response,
  RwsError,
  statusText,
  type Tunnel,
  validateInformational,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import {
  FLAG,
  FRAME_HEADER_SIZE,
  FRAME_TYPE,
  frame,
  H2_ERROR,
  headersFrames,
  writeFrameHeader,
} from '../frames.js';
import { isConnectionSpecific } from '../request-fields.js';
import { CLOSED, type H2Stream, HALF_CLOSED_LOCAL, streamReset } from './h2-stream.js';
import type { ServerConnection } from './server-connection.js';

/** Socket write-queue size above which streams wait for 'drain'. */
const SOCKET_HIGH_WATER = 256 * 1024;

export async function run(c: ServerConnection, s: H2Stream, req: Request): Promise<void> {
  let res: Response;
  try {
    res = await c.owner.handle(req);
  } catch (err) {
    if (s.state === CLOSED) return;
    if (s.isResponseStarted || s.isTunnel) {
      c.owner.reportError(err, req);
      c.resetStream(s.id, H2_ERROR.INTERNAL_ERROR);
      return;
    }
    const status = errorStatus(err);
    if (status >= 500) c.owner.reportError(err, req);
    const own = err as { status?: unknown; expose?: unknown } | null;
    const expose =
      typeof own === 'object' && own !== null && own.status === status
        ? typeof own.expose === 'boolean'
          ? own.expose
          : status < 500
        : false;
    await respondPlain(c, s, req, status, expose && err instanceof Error ? err.message : null);
    return;
  }
  if (s.isTunnel) return;
  if (req.upgrade !== undefined && res.status < 300) {
    // RFC 9113 §8.5: a 2xx to CONNECT says the tunnel is open; none was (no accept()).
    await respondPlain(c, s, req, 501);
    return;
  }
  try {
    await respond(c, s, req, res);
  } catch (err) {
    c.owner.reportError(err, req);
    if (s.state !== CLOSED) c.resetStream(s.id, H2_ERROR.INTERNAL_ERROR);
  }
}

/** A short text response written outside the handler (errors, limits). */
export async function respondPlain(
  c: ServerConnection,
  s: H2Stream,
  req: Request | null,
  status: number,
  message: string | null = null,
): Promise<void> {
  const text = `${message ?? statusText(status)}\n`;
  const headers = new Headers({ 'content-type': 'text/plain; charset=utf-8' });
  await respond(c, s, req, { status, headers, body: text });
}

async function respond(
  c: ServerConnection,
  s: H2Stream,
  req: Request | null,
  res: Response,
): Promise<void> {
  if (s.state === CLOSED) return;
  const status = res.status;
  if (!Number.isInteger(status) || status < 200 || status > 999) {
    c.owner.reportError(
      new RwsError(ERROR_CODES.INVALID_RESPONSE, `the handler returned status ${String(status)}`),
      req,
    );
    if (res.status !== 500) await respondPlain(c, s, req, 500);
    return;
  }
  const isHead = req !== null && req.method === 'HEAD';
  const isNoBody = isNullBodyStatus(status);
  let body = res.body;
  const fields: string[] = [':status', String(status)];
  let hasLength = false;
  let hasDate = false;
  for (const [name, value] of res.headers) {
    if (isConnectionSpecific(name)) continue;
    if (name === 'content-length') hasLength = true;
    else if (name === 'date') hasDate = true;
    fields.push(name, value);
  }
  if (!hasDate) fields.push('date', c.owner.date());
  const server = c.opts.serverHeader;
  if (server !== false && !res.headers.has('server')) fields.push('server', server);
  let bytes: Uint8Array | null = null;
  let file: FileBodyInit | null = null;
  if (typeof body === 'string') bytes = Buffer.from(body);
  else if (body instanceof Uint8Array) bytes = body;
  else if (body !== null && typeof body === 'object' && (body as FileBodyInit).kind === 'file') {
    file = body as FileBodyInit;
  }
  if (!hasLength && !isNoBody) {
    // HEAD answers with the length a GET would have (RFC 9110 §9.3.2).
    if (bytes !== null) fields.push('content-length', String(bytes.length));
    else if (file !== null) fields.push('content-length', String(await fileLength(file)));
  }
  if (isNoBody || isHead) {
    closeBody(body);
    body = null;
    bytes = null;
    file = null;
  }
  if (bytes !== null && bytes.length === 0) body = null;
  const trailers = res.trailers;
  const isBodyless = body === null && trailers === undefined;
  s.isResponseStarted = true;
  if (s.state === CLOSED) return;
  c.write(headersFrames(s.id, c.encoder.encodeTrusted(fields), isBodyless, c.peerMaxFrameSize));
  if (isBodyless) {
    c.localEnd(s);
    return;
  }
  if (bytes !== null && body !== null) await sendData(c, s, bytes);
  else if (file !== null) {
    for await (const chunk of readFile(file)) {
      if (s.state === CLOSED) return;
      await sendData(c, s, chunk);
    }
  } else if (body !== null) {
    const iterable = body as AsyncIterable<Uint8Array>;
    const iterator = iterable[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) break;
        if (s.state === CLOSED) break;
        const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
        await sendData(c, s, chunk);
      }
    } finally {
      if (s.state === CLOSED) void iterator.return?.();
    }
  }
  if (s.state === CLOSED) return;
  let trailerHeaders: Headers | null | undefined = null;
  if (typeof trailers === 'function') trailerHeaders = await trailers();
  else if (trailers !== undefined) trailerHeaders = trailers;
  if (s.state === CLOSED) return;
  const list: string[] = [];
  if (trailerHeaders != null) {
    for (const [name, value] of trailerHeaders)
      if (!isConnectionSpecific(name)) list.push(name, value);
  }
  if (list.length > 0) {
    c.write(headersFrames(s.id, c.encoder.encodeTrusted(list), true, c.peerMaxFrameSize));
  } else {
    c.write(frame(FRAME_TYPE.DATA, FLAG.END_STREAM, s.id));
  }
  c.localEnd(s);
}

/** Sends `data` as DATA frames within both send windows, waiting when they are closed. */
async function sendData(c: ServerConnection, s: H2Stream, data: Uint8Array): Promise<void> {
  let from = 0;
  while (from < data.length) {
    if (s.state === CLOSED) return;
    const n = Math.min(data.length - from, s.sendWindow, c.sendWindow, c.peerMaxFrameSize);
    if (n <= 0 || c.socket.writableLength > SOCKET_HIGH_WATER) {
      await waitForWindow(c, s);
      continue;
    }
    const header = Buffer.allocUnsafe(FRAME_HEADER_SIZE);
    writeFrameHeader(header, 0, n, FRAME_TYPE.DATA, 0, s.id);
    c.write(header);
    c.write(data.subarray(from, from + n));
    s.sendWindow -= n;
    c.sendWindow -= n;
    from += n;
  }
}

/** Waits for a WINDOW_UPDATE, a SETTINGS change or socket drain; resets after sendTimeoutMs. */
function waitForWindow(c: ServerConnection, s: H2Stream): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      s.windowWaiter = null;
      c.connWaiters.delete(done);
      resolve();
    };
    const timer = setTimeout(() => {
      if (s.state !== CLOSED) {
        c.closeStream(
          s,
          new RwsError(
            ERROR_CODES.SEND_TIMEOUT,
            `stream ${s.id}: the client kept its window closed for ${c.opts.sendTimeoutMs} ms`,
          ),
        );
        c.sendRst(s.id, H2_ERROR.CANCEL);
      }
      done();
    }, c.opts.sendTimeoutMs);
    s.windowWaiter = done;
    c.connWaiters.add(done);
  });
}

/** Answers 200 on a CONNECT stream and turns it into a core `Tunnel` (see `H2Upgrade`). */
export function acceptTunnel(c: ServerConnection, s: H2Stream, headers: Headers): Tunnel {
  if (s.isResponseStarted || s.state === CLOSED || s.state === HALF_CLOSED_LOCAL || c.isClosed) {
    throw new RwsError(
      ERROR_CODES.UPGRADE_UNAVAILABLE,
      'cannot accept the upgrade: the response has started or the stream is closed',
    );
  }
  const fields: string[] = [':status', '200'];
  for (const [name, value] of headers) if (!isConnectionSpecific(name)) fields.push(name, value);
  s.isResponseStarted = true;
  s.isTunnel = true;
  c.write(headersFrames(s.id, c.encoder.encodeTrusted(fields), false, c.peerMaxFrameSize));
  const readable = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const chunk = await s.read();
        if (chunk === null) controller.close();
        else controller.enqueue(chunk);
      },
      cancel: () => c.resetStream(s.id, H2_ERROR.CANCEL),
    },
    { highWaterMark: 0 },
  );
  const writable = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      if (s.state === CLOSED || s.state === HALF_CLOSED_LOCAL) {
        throw streamReset(s.id, H2_ERROR.STREAM_CLOSED);
      }
      await sendData(c, s, chunk);
    },
    close: () => {
      if (s.state === CLOSED || s.state === HALF_CLOSED_LOCAL) return;
      c.write(frame(FRAME_TYPE.DATA, FLAG.END_STREAM, s.id));
      c.localEnd(s);
    },
    abort: () => {
      if (s.state !== CLOSED) c.resetStream(s.id, H2_ERROR.CANCEL);
    },
  });
  return { readable, writable };
}

export function informational(
  c: ServerConnection,
  s: H2Stream,
  status: number,
  headers?: HeadersInit,
): boolean {
  const h = validateInformational(status, headers);
  if (s.isResponseStarted || s.state === CLOSED || s.state === HALF_CLOSED_LOCAL || c.isClosed)
    return false;
  const fields: string[] = [':status', String(status)];
  for (const [name, value] of h) if (!isConnectionSpecific(name)) fields.push(name, value);
  c.write(headersFrames(s.id, c.encoder.encodeTrusted(fields), false, c.peerMaxFrameSize));
  return true;
}
function closeBody(body: Response['body']): void {
  if (
    body !== null &&
    typeof body === 'object' &&
    typeof (body as ReadableStream).cancel === 'function'
  ) {
    void (body as ReadableStream).cancel().catch(() => {});
  }
}

async function fileLength(file: FileBodyInit): Promise<number> {
  const size = (await stat(file.path)).size;
  const start = file.start ?? 0;
  const end = Math.min(file.end ?? size - 1, size - 1);
  return Math.max(0, end - start + 1);
}

async function* readFile(file: FileBodyInit): AsyncGenerator<Uint8Array> {
  const handle = await open(file.path, 'r');
  try {
    let pos = file.start ?? 0;
    const end = file.end ?? Number.POSITIVE_INFINITY;
    for (;;) {
      const want = Math.min(64 * 1024, end - pos + 1);
      if (want <= 0) return;
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buf, 0, want, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
