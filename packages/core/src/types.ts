/**
 * The one contract every rws package speaks: requests, responses, bodies, handlers and
 * middleware. Transports (`@rws/http1`, `@rws/h2`, `@rws/h3`) build `Request`s and write
 * `Response`s; the router, middleware and proxy only ever see these types.
 */
import type { Body } from './body.js';
import type { Headers } from './headers.js';

/** A value or a promise of it. Synchronous results let transports skip a microtask. */
export type MaybePromise<T> = T | Promise<T>;

/** The protocol a request arrived over. */
export type Protocol = 'http/1.0' | 'http/1.1' | 'h2' | 'h3';

/** What is known about the TLS session of a connection. */
export interface TlsInfo {
  /** The negotiated ALPN protocol (`h2`, `http/1.1`, `h3`), or null. */
  readonly alpn: string | null;
  /** The SNI server name the client asked for, or null. */
  readonly sni: string | null;
  /** `TLSv1.3`, `TLSv1.2`, … */
  readonly version: string | null;
  /** True when the client presented a certificate that verified against the configured CA. */
  readonly authorized: boolean;
  /**
   * The client's certificate (mTLS), as node:tls reports it, or null. Typed loosely so core
   * does not depend on node:tls.
   */
  readonly peerCertificate: Readonly<Record<string, unknown>> | null;
}

/** The connection a request arrived on. One object per connection, shared by its requests. */
export interface ConnectionInfo {
  /** A process-unique, increasing connection number. */
  readonly id: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** Present only on TLS (and QUIC) connections. */
  readonly tls: TlsInfo | null;
}

/**
 * A file (or a byte range of one) to send as a response body. Transports stream it from disk
 * without reading it into memory.
 */
export interface FileBodyInit {
  readonly kind: 'file';
  /** Absolute path of the file. */
  readonly path: string;
  /** First byte to send (inclusive). Default 0. */
  readonly start?: number;
  /** Last byte to send (inclusive). Default: the end of the file. */
  readonly end?: number;
}

/**
 * What a response body may be: text (UTF-8), bytes, an async iterable or web stream of bytes
 * (streamed with backpressure), a file or file range, or null for no body.
 */
export type BodyInit =
  | string
  | Uint8Array
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>
  | FileBodyInit
  | null;

/** An incoming request as every handler sees it, whatever the protocol. */
export interface Request {
  /** Upper-case method token, e.g. `GET`. */
  readonly method: string;
  /** The raw request-target, e.g. `/a/b?x=1` (origin-form), `*`, or an absolute URL. */
  readonly target: string;
  /** The path part of the target, still percent-encoded, e.g. `/a/b`. */
  readonly path: string;
  /** The query string without `?` (empty when there is none). */
  readonly search: string;
  /** The parsed query, built on first access. */
  readonly query: URLSearchParams;
  /** Request headers; names are lower-case. */
  readonly headers: Headers;
  /** The request body: a one-shot stream. */
  readonly body: Body;
  readonly protocol: Protocol;
  readonly conn: ConnectionInfo;
  /** Aborts when the client goes away or the request times out. */
  readonly signal: AbortSignal;
  /** Route parameters, filled in by the router (empty object before routing). */
  params: Record<string, string>;
  /** Trailer fields of a chunked / h2 request, available once the body has been read. */
  readonly trailers: Headers | null;
}

/** A response as handlers return it. Plain objects are fine; the helpers build them. */
export interface Response {
  status: number;
  headers: Headers;
  body: BodyInit;
  /** Trailer fields to send after the body (chunked HTTP/1.1, h2, h3). */
  trailers?: Headers | undefined;
}

/** Turns a request into a response. */
export type Handler<Req extends Request = Request> = (req: Req) => MaybePromise<Response>;

/** The one middleware shape: auth, rate limits, caching, tracing, rewriting, the proxy. */
export interface Middleware<Req extends Request = Request> {
  handle(req: Req, next: Handler<Req>): MaybePromise<Response>;
}

/**
 * The pull side of a request body, implemented by each transport. `read()` resolves the next
 * chunk, or null at the end. A transport applies backpressure by pausing its socket while its
 * queue is full and resuming when `read()` drains it. The first `read()` is also the moment
 * to send `100 Continue`.
 */
export interface BodySource {
  /** The declared length (Content-Length), or null when unknown (chunked, h2 without it). */
  readonly length: number | null;
  /** Resolves the next chunk, or null when the body is complete. Rejects on a framing error or abort. */
  read(): Promise<Uint8Array | null>;
  /** Called when the consumer stops early (cancel, error): the transport discards the rest. */
  cancel(reason?: unknown): void;
  /** Trailer fields, available after `read()` has returned null. */
  trailers?(): Headers | null;
}
