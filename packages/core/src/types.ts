/**
 * The one contract every rws package speaks: requests, responses, bodies, handlers and
 * middleware. Transports (`@rws/http1`, `@rws/h2`, `@rws/h3`) build `Request`s and write
 * `Response`s; the router, middleware and proxy only ever see these types.
 */
import type { Body } from './body.js';
import type { Headers, HeadersInit } from './headers.js';

/** A value or a promise of it. Synchronous results let transports skip a microtask. */
export type MaybePromise<T> = T | Promise<T>;

/** The protocol a request arrived over. */
export type Protocol = 'http/1.0' | 'http/1.1' | 'h2' | 'h3';

/** The URI scheme of a request: `https` when it arrived over TLS or QUIC. */
export type Scheme = 'http' | 'https';

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
  /** The HTTP version the request arrived over; not the upgrade token (see `upgrade`). */
  readonly protocol: Protocol;
  /**
   * The authority (`host[:port]`) the request is for, as the client sent it: on HTTP/1.1 the
   * authority of an absolute-form target wins over `Host` (RFC 9112 §3.2.2), CONNECT's
   * authority-form target is its own authority, otherwise `Host`; on h2/h3 `:authority`.
   * Null when the request names none. Host routing and `toWebRequest` use it.
   */
  readonly authority: string | null;
  /** `https` when the request arrived over TLS (or QUIC), else `http`: the transport's word. */
  readonly scheme: Scheme;
  readonly conn: ConnectionInfo;
  /**
   * Aborts when the client goes away or the request times out.
   *
   * The one public way to learn of an abort. (It replaced a second one, `lightSignal`, a
   * listen-only view that HTTP/1.1 made without an `AbortController`.) It cannot absorb that view:
   * an `AbortSignal` exists only through an `AbortController`, and making one is the cost the view
   * avoided. So the view stayed, internal. @rws/http1 offers it under the registered symbol
   * `Symbol.for('rws.lightSignal')`, and only the reverse proxy reads it: a per-request listener
   * on a hot path. The symbol is not a public contract.
   */
  readonly signal: AbortSignal;
  /**
   * Aborts when the client half-closes its connection (HTTP/1.1: a FIN) before the response
   * is complete. Not an abort of the request: RFC 9112 §9.6 lets a client that sends no more
   * requests half-close and still read the answer, so `signal` stays quiet and the response is
   * written. A handler that wants nginx's behaviour (a FIN means the client is gone) stops
   * on it, as `reverseProxy({ clientHalfClose: 'abort' })` does. Present when the transport
   * can tell (HTTP/1.1); absent for in-process requests and on h2/h3, where ending a request
   * stream is how every request ends and a client that leaves resets the stream instead
   * (RST_STREAM / RESET_STREAM), which aborts `signal`.
   */
  readonly halfClose?: AbortSignal | undefined;
  /**
   * Aborts when the server starts a graceful shutdown (on h2/h3 also when the connection
   * receives GOAWAY). Long-lived responses (SSE, WebSocket, tunnels) end themselves on it so
   * the shutdown does not wait out its grace period. Never aborts for in-process requests.
   */
  readonly drain: AbortSignal;
  /** Route parameters, filled in by the router (empty object before routing). */
  params: Record<string, string>;
  /** Trailer fields of a chunked / h2 request, available once the body has been read. */
  readonly trailers: Headers | null;
  /**
   * Sends an informational (1xx) response before the final one, e.g. `103 Early Hints`
   * (RFC 8297). Present when the transport can send them (HTTP/1.1, h2, h3); absent for
   * in-process requests. Returns false, sending nothing, when it is too late (the final
   * response started), the request is over, or the client cannot take 1xx (HTTP/1.0,
   * RFC 9110 §15.2). Throws `RWS_CORE_INVALID_STATUS` for a status outside 100-199 or 101
   * (switching protocols belongs to `upgrade.accept()`), `RWS_CORE_INVALID_HEADER` for bad fields.
   */
  readonly sendInformational?: ((status: number, headers?: HeadersInit) => boolean) | undefined;
  /**
   * Registers `listener`, called once when the transport has handed the response's last byte
   * to the operating system (nginx's `$request_time` ends there), with the body bytes written
   * (headers excluded) and whether the whole response went out (false: the client went away,
   * a timeout or an error cut it short). Present when the transport can tell (HTTP/1.1);
   * absent for in-process requests, where a response is done when the handler returns it.
   * Access logs use it to log the real duration and bytes of streamed and file bodies.
   */
  readonly onResponseSent?: ((listener: ResponseSentListener) => void) | undefined;
  /**
   * Present when the request asks to leave HTTP for another protocol on this connection or
   * stream: an HTTP/1.1 `Upgrade` (+ `Connection: upgrade`), a `CONNECT` tunnel, or (h2, h3)
   * an extended CONNECT (RFC 8441, RFC 9220). The handler chain runs as for any request, so
   * middleware can refuse it with a normal response; a handler takes it with `accept()`.
   */
  readonly upgrade?: Upgrade | undefined;
}

/**
 * The listening side of an `AbortSignal`: `aborted`, `reason` and `abort` listeners (each
 * called once). Every `AbortSignal` is one; a transport may offer cheaper ones internally.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Called by `Request.onResponseSent` with the body bytes written and whether all were. */
export type ResponseSentListener = (bytes: number, isComplete: boolean) => void;

/**
 * A request's offer to switch protocols or open a tunnel (`req.upgrade`). One shape for every
 * transport: HTTP/1.1 answers `accept()` with `101 Switching Protocols` (Upgrade) or a 2xx
 * (CONNECT); h2 and h3 answer extended or plain CONNECT with a 2xx on the stream.
 */
export interface Upgrade {
  /** `upgrade` for an HTTP/1.1 `Upgrade` request; `connect` for CONNECT (plain or extended). */
  readonly kind: 'upgrade' | 'connect';
  /**
   * The protocol asked for, lower-cased: the `Upgrade` field on HTTP/1.1 (e.g. `websocket`;
   * a comma-separated list when the client offers several), the `:protocol` pseudo-header of
   * an extended CONNECT on h2/h3, null for a plain CONNECT tunnel. Not `Request.protocol`,
   * which is the HTTP version.
   */
  readonly protocol: string | null;
  /**
   * Accepts: sends the switching response with `headers` (101 with `Connection`/`Upgrade` on
   * HTTP/1.1 Upgrade, 200 for CONNECT) and resolves the byte stream of the new protocol.
   * After it, the response the handler returns is not sent (return `{ status: 101 }` or 200
   * so logs and metrics see what happened). Rejects when the final response has started,
   * the request is over, or it was already accepted.
   */
  accept(headers?: HeadersInit): Promise<Tunnel>;
}

/**
 * The two directions of an accepted upgrade or tunnel. Both are web streams with backpressure;
 * closing `writable` half-closes our side (FIN on HTTP/1.1, END_STREAM on h2/h3), cancelling
 * `readable` or aborting `writable` tears the whole connection (or stream) down.
 */
export interface Tunnel {
  /** Bytes from the peer, starting with any it sent right after the request head. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the peer. */
  readonly writable: WritableStream<Uint8Array>;
}

/**
 * Trailer fields of a response: ready now, or a function the transport calls once the body has
 * been sent (for trailers learnt last: a gRPC status, a checksum of a streamed or proxied body).
 */
export type TrailersInit = Headers | (() => MaybePromise<Headers | null | undefined>);

/** A response as handlers return it. Plain objects are fine; the helpers build them. */
export interface Response {
  status: number;
  headers: Headers;
  body: BodyInit;
  /**
   * Trailer fields to send after the body (chunked HTTP/1.1, h2, h3). A function is called
   * after the last body byte; declare its field names up front in a `Trailer` header
   * (RFC 9110 §6.6.2). Trailers force chunked framing on HTTP/1.1 (no `Content-Length`, no
   * file body) and are dropped for HTTP/1.0 clients. A function that throws ends the
   * response as incomplete (connection closed before the last chunk).
   */
  trailers?: TrailersInit | undefined;
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
