import { Body } from './body.js';
import { Headers, type HeadersInit } from './headers.js';
import { requestAuthority } from './request-authority.js';
import { splitTarget } from './split-target.js';
import type { ConnectionInfo, Protocol, Request, Scheme, Upgrade } from './types.js';

/**
 * The connection of requests that never touched a socket: `app.fetch()`, tests, in-process
 * calls. Frozen and shared.
 */
export const IN_PROCESS_CONNECTION: ConnectionInfo = Object.freeze({
  id: 0,
  remoteAddress: '127.0.0.1',
  remotePort: 0,
  localAddress: '127.0.0.1',
  localPort: 0,
  tls: null,
});

// An AbortSignal can only be aborted through its controller, which nobody can reach, so one
// signal is safely shared by every request created without one (tests, in-process calls).
// Transports always pass their own per-request signal.
const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** What `createRequest` needs; everything but `method` and `target` has a default. */
export interface CreateRequestInit {
  /** Upper-case method token. */
  method: string;
  /** The raw request-target (`/a?b=1`, `*`, `http://host/a`, `host:443`). */
  target: string;
  /** A `Headers` is used as is (not copied); anything else is validated into a new one. */
  headers?: Headers | HeadersInit | null | undefined;
  /** The body; default: an empty one. */
  body?: Body | null | undefined;
  /** Default `http/1.1`. */
  protocol?: Protocol | undefined;
  /** Default `IN_PROCESS_CONNECTION`. */
  conn?: ConnectionInfo | undefined;
  /** Default: a shared signal that never aborts. */
  signal?: AbortSignal | undefined;
  /** Route parameters; default `{}`. */
  params?: Record<string, string> | undefined;
  /**
   * Default: from the target and the `host` header, as `requestAuthority()` does (an
   * absolute-form target's authority over `Host`).
   */
  authority?: string | null | undefined;
  /** Default: `https` when `conn.tls` is set, else `http`. */
  scheme?: Scheme | undefined;
  /** Default: a shared signal that never aborts. */
  drain?: AbortSignal | undefined;
  /** The transport's 1xx capability (see `Request.sendInformational`); default none. */
  sendInformational?: ((status: number, headers?: HeadersInit) => boolean) | undefined;
  /** The transport's upgrade/tunnel offer (see `Request.upgrade`); default none. */
  upgrade?: Upgrade | undefined;
  /** The transport's half-close signal (see `Request.halfClose`); default none. */
  halfClose?: AbortSignal | undefined;
}

/**
 * The one `Request` implementation. Fields are plain properties so V8 keeps one hidden class;
 * `query` is parsed on first access because most handlers never look at it.
 */
class CoreRequest implements Request {
  readonly method: string;
  readonly target: string;
  readonly path: string;
  readonly search: string;
  readonly headers: Headers;
  readonly body: Body;
  readonly protocol: Protocol;
  readonly conn: ConnectionInfo;
  readonly signal: AbortSignal;
  readonly authority: string | null;
  readonly scheme: Scheme;
  readonly drain: AbortSignal;
  readonly sendInformational: ((status: number, headers?: HeadersInit) => boolean) | undefined;
  readonly upgrade: Upgrade | undefined;
  readonly halfClose: AbortSignal | undefined;
  params: Record<string, string>;
  #query: URLSearchParams | undefined = undefined;

  constructor(init: CreateRequestInit) {
    const target = init.target;
    this.method = init.method;
    this.target = target;
    const [path, search] = splitTarget(target);
    this.path = path;
    this.search = search;
    const headers = init.headers;
    this.headers = headers instanceof Headers ? headers : new Headers(headers);
    this.body = init.body ?? Body.empty();
    this.protocol = init.protocol ?? 'http/1.1';
    this.conn = init.conn ?? IN_PROCESS_CONNECTION;
    this.signal = init.signal ?? NEVER_ABORTED;
    this.params = init.params ?? {};
    this.authority =
      init.authority === undefined
        ? requestAuthority(target, this.headers.get('host'))
        : init.authority;
    this.scheme = init.scheme ?? (this.conn.tls === null ? 'http' : 'https');
    this.drain = init.drain ?? NEVER_ABORTED;
    this.sendInformational = init.sendInformational;
    this.upgrade = init.upgrade;
    this.halfClose = init.halfClose;
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.search));
  }

  get trailers(): Headers | null {
    return this.body.trailers();
  }
}

/**
 * Builds a core `Request`. Transports call it once per request, so it copies nothing it is
 * given: pass a `Headers` built with `Headers.fromTrustedList` and a `Body` over the transport's
 * `BodySource`.
 *
 * @example
 * ```ts
 * import { createRequest } from '@rws/core';
 * const req = createRequest({ method: 'GET', target: '/users/1?fields=name' });
 * req.path; // '/users/1'
 * req.query.get('fields'); // 'name'
 * ```
 */
export function createRequest(init: CreateRequestInit): Request {
  return new CoreRequest(init);
}
