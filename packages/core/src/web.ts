/**
 * Adapters between core `Request`/`Response` and the Web standard ones, for the edges: tests
 * (`app.fetch()`), fetch-style runtimes and code that speaks `fetch`. Bodies stream in both
 * directions; nothing is buffered.
 */
import type { FileHandle } from 'node:fs/promises';
import { Body } from './body.js';
import { createRequest } from './create-request.js';
import { Headers } from './headers.js';
import { hopByHopFields } from './hop-by-hop.js';
import { parseContentLength } from './parse-content-length.js';
import { errorResponse } from './response-helpers.js';
import { RwsError } from './rws-error.js';
import { isNullBodyStatus, statusText } from './status.js';
import type {
  BodyInit,
  BodySource,
  ConnectionInfo,
  FileBodyInit,
  Handler,
  Protocol,
  Request,
  Response,
} from './types.js';

/** Options of `fromWebRequest`. */
export interface FromWebRequestOptions {
  /** The connection to report; default `IN_PROCESS_CONNECTION`. */
  conn?: ConnectionInfo | undefined;
  /** Overrides the Web request's own signal. */
  signal?: AbortSignal | undefined;
  /** Default limit for `body.bytes()`/`json()`…; default `DEFAULT_BODY_LIMIT`. */
  limit?: number | undefined;
  /** Default `http/1.1`. */
  protocol?: Protocol | undefined;
}

/**
 * Pulls a web stream chunk by chunk. The reader is taken on first read, so a body nobody reads
 * never locks the stream.
 */
function webStreamSource(stream: ReadableStream<Uint8Array>, length: number | null): BodySource {
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return {
    length,
    async read() {
      reader ??= stream.getReader();
      const { value, done } = await reader.read();
      return done ? null : value;
    },
    cancel(reason) {
      if (reader === null) void stream.cancel(reason).catch(noop);
      else void reader.cancel(reason).catch(noop);
    },
  };
}

function noop(): void {}

/** A declared length, or null when absent or invalid. */
function contentLength(value: string | null): number | null {
  const n = parseContentLength(value);
  return n === -1 ? null : n;
}

/**
 * Core header fields as Web `Headers`, without pseudo-headers and connection-specific fields
 * (RFC 9110 §7.6.1): they describe the hop, not the message. The converted body is already
 * de-chunked, and an adapter that serves the Web object adds its own framing, so copying
 * `Transfer-Encoding: chunked` would frame the body twice.
 */
/**
 * Core header fields as Web `Headers`, without pseudo-headers and hop-by-hop fields (core's one
 * list, plus those `Connection` names). Several `cookie` fields (HTTP/2 and HTTP/3 split them)
 * become one joined with `; ` (RFC 9113 §8.2.3); Web `Headers` would join them with `, `, which
 * servers read as one cookie.
 */
function toWebHeaders(headers: Headers): globalThis.Headers {
  const out = new globalThis.Headers();
  const hop = hopByHopFields(headers);
  const list = headers.toList();
  let cookieCount = 0;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name === 'cookie') cookieCount++;
    else if (name.charCodeAt(0) !== 58 /* : */ && !hop.has(name)) out.append(name, list[i + 1]!);
  }
  if (cookieCount > 0) out.set('cookie', headers.get('cookie')!);
  return out;
}

/**
 * Web header fields as a core list. Web `Headers` iterate with lower-case names and valid
 * values (and `set-cookie` unjoined), so the list needs no further validation.
 */
function webHeadersToList(webHeaders: globalThis.Headers): string[] {
  const list: string[] = [];
  for (const [name, value] of webHeaders) list.push(name, value);
  return list;
}

/**
 * A core `Request` from a Web `Request`. The target is the URL's path and query; a `host`
 * header is added from the URL when absent (Web requests usually carry none). The body is
 * streamed, not buffered.
 */
export function fromWebRequest(
  webReq: globalThis.Request,
  options: FromWebRequestOptions = {},
): Request {
  const url = new URL(webReq.url);
  const list = webHeadersToList(webReq.headers);
  if (!webReq.headers.has('host')) list.unshift('host', url.host);
  const headers = Headers.fromTrustedList(list);
  const stream = webReq.body;
  const body =
    stream === null
      ? new Body(null, { limit: options.limit })
      : new Body(webStreamSource(stream, contentLength(webReq.headers.get('content-length'))), {
          limit: options.limit,
        });
  return createRequest({
    method: webReq.method,
    target: url.pathname + url.search,
    headers,
    body,
    protocol: options.protocol,
    conn: options.conn,
    signal: options.signal ?? webReq.signal,
    // The authority stays the `host` field's (tests set it to exercise host routing); the
    // scheme is the URL's, as a Web request has no connection to ask.
    scheme: url.protocol === 'https:' ? 'https' : 'http',
  });
}

/** Options of `toWebRequest`. */
export interface ToWebRequestOptions {
  /**
   * Scheme and authority for targets that are not absolute-form, e.g. `http://localhost:3000`.
   * Default: `req.scheme` and `req.authority` (`localhost` when the request names none).
   */
  origin?: string | undefined;
}

/**
 * A Web `Request` from a core one. The body is streamed (`duplex: 'half'`); reading it consumes
 * the core request's body.
 */
export function toWebRequest(req: Request, options: ToWebRequestOptions = {}): globalThis.Request {
  let url: string;
  const origin = options.origin ?? `${req.scheme}://${req.authority ?? 'localhost'}`;
  if (req.target.charCodeAt(0) === 47 /* / */) url = origin + req.target;
  else if (req.target.includes('://')) url = req.target;
  else url = origin;
  const headers = toWebHeaders(req.headers);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD' && req.body.hasBody;
  return new globalThis.Request(url, {
    method: req.method,
    headers,
    body: hasBody ? req.body.stream() : null,
    signal: req.signal,
    // Required by the fetch spec for a streamed request body.
    duplex: 'half',
  } as RequestInit);
}

const FILE_CHUNK_BYTES = 64 * 1024;

/**
 * A web stream over a file or byte range of it.
 *
 * Why this lives in core although core does no I/O: `toWebResponse` is an edge adapter and a
 * file body has no meaning without reading the file. `node:fs/promises` is imported lazily, on
 * the first pull of a file body, so importing core never loads fs, never touches the disk,
 * and keeps working on runtimes without node:fs until a file body is actually converted.
 */
function fileStream(file: FileBodyInit): ReadableStream<Uint8Array> {
  let handle: FileHandle | null = null;
  let position = file.start ?? 0;
  const end = file.end; // inclusive
  const close = async (): Promise<void> => {
    const h = handle;
    handle = null;
    await h?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (handle === null) {
            const fs = await import('node:fs/promises');
            handle = await fs.open(file.path, 'r');
          }
          const want =
            end === undefined ? FILE_CHUNK_BYTES : Math.min(FILE_CHUNK_BYTES, end - position + 1);
          if (want <= 0) {
            await close();
            controller.close();
            return;
          }
          const chunk = new Uint8Array(want);
          const { bytesRead } = await handle.read(chunk, 0, want, position);
          if (bytesRead === 0) {
            await close();
            controller.close();
            return;
          }
          position += bytesRead;
          controller.enqueue(bytesRead === want ? chunk : chunk.subarray(0, bytesRead));
        } catch (err) {
          await close().catch(noop);
          throw err;
        }
      },
      cancel() {
        return close();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A web stream over an async iterable; cancelling it calls the iterator's `return()`. */
function iterableStream(iterable: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = iterable[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        // Not awaited: a generator parked on an `await` settles return() only at its next
        // yield, and a reader's cancel() must not hang on that.
        void Promise.resolve(iterator.return?.(reason)).catch(noop);
      },
    },
    { highWaterMark: 0 },
  );
}

function isFileBody(body: object): body is FileBodyInit {
  return (body as { kind?: unknown }).kind === 'file';
}

/** A core response body as something a Web `Response` accepts. */
function toWebBody(
  body: BodyInit,
): string | Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null {
  if (body === null || typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body as Uint8Array<ArrayBuffer>;
  if (body instanceof ReadableStream) return body;
  if (isFileBody(body)) return fileStream(body);
  return iterableStream(body as AsyncIterable<Uint8Array>);
}

/**
 * A Web `Response` from a core one. Async iterables and file bodies are streamed; trailers
 * are dropped (Web responses have none), and so are connection-specific fields
 * (`Transfer-Encoding`, `Connection`, `Keep-Alive`). Null-body statuses (204, 205, 304) get no
 * body. The status must be 200-599 (`RWS_CORE_INVALID_STATUS` otherwise).
 */
export function toWebResponse(res: Response): globalThis.Response {
  if (!Number.isInteger(res.status) || res.status < 200 || res.status > 599) {
    // The Fetch standard's Response only takes 200-599; interim (1xx) responses and upgrades
    // exist only inside transports.
    throw new RwsError(
      'RWS_CORE_INVALID_STATUS',
      `a Web Response needs a status in 200-599, got ${String(res.status)}`,
      { status: 500 },
    );
  }
  const headers = toWebHeaders(res.headers);
  let body = toWebBody(res.body);
  if (body !== null && isNullBodyStatus(res.status)) {
    if (body instanceof ReadableStream) void body.cancel().catch(noop);
    body = null;
  }
  return new globalThis.Response(body, {
    status: res.status,
    statusText: statusText(res.status),
    headers,
  });
}

/**
 * A core `Response` from a Web one; the body stays a stream. Note that a `Response` from
 * `fetch()` has an already-decoded body but keeps the upstream's `Content-Encoding` and
 * `Content-Length`; remove them before sending such a response on.
 */
export function fromWebResponse(webRes: globalThis.Response): Response {
  return {
    status: webRes.status,
    headers: Headers.fromTrustedList(webHeadersToList(webRes.headers)),
    body: webRes.body as ReadableStream<Uint8Array> | null,
  };
}

/**
 * Wraps a core `Handler` as a fetch function, `(Request) => Promise<Response>` with Web types.
 * A thrown error becomes its `errorResponse()` (status kept, message only when exposed).
 *
 * @example
 * ```ts
 * import { json, toFetchHandler } from '@rws/core';
 * const fetchLike = toFetchHandler((req) => json({ path: req.path }));
 * const res = await fetchLike(new Request('http://localhost/hello'));
 * ```
 */
export function toFetchHandler(
  handler: Handler,
  options: FromWebRequestOptions = {},
): (req: globalThis.Request) => Promise<globalThis.Response> {
  return async (webReq) => {
    let res: Response;
    try {
      res = await handler(fromWebRequest(webReq, options));
    } catch (err) {
      res = errorResponse(err);
    }
    return toWebResponse(res);
  };
}
