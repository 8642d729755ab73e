/**
 * The `Request` the server hands to handlers. Everything derived (path, search, query,
 * signal) is computed on first access, so a handler that only looks at `method` and `path`
 * pays for nothing else.
 */
import {
  type Body,
  type ConnectionInfo,
  type Headers,
  type HeadersInit,
  type Protocol,
  type Request,
  requestAuthority,
  type Scheme,
  type Upgrade,
  validateInformational,
} from '@rws/core';

/** What a request needs from its connection: 1xx writing and the server's drain signal. */
export interface InterimWriter {
  writeInterim(req: H1Request, status: number, headers: Headers): boolean;
  readonly drainSignal: AbortSignal;
}

// Requests built without a connection (none today) never see a shutdown.
const NEVER_DRAINED: AbortSignal = new AbortController().signal;

export class H1Request implements Request {
  readonly method: string;
  readonly target: string;
  readonly headers: Headers;
  readonly body: Body;
  readonly protocol: Protocol;
  readonly conn: ConnectionInfo;
  readonly scheme: Scheme;
  params: Record<string, string> = {};
  /** Set by the connection for Upgrade and CONNECT requests it can hand over. */
  upgrade: Upgrade | undefined = undefined;
  #authority: string | null | undefined = undefined;
  #send: ((status: number, headers?: HeadersInit) => boolean) | null = null;
  #queryStart = -2;
  #query: URLSearchParams | null = null;
  #controller: AbortController | null = null;
  #abortReason: unknown = undefined;
  #isAborted = false;
  #interim: InterimWriter | null;

  constructor(
    method: string,
    target: string,
    headers: Headers,
    body: Body,
    protocol: Protocol,
    conn: ConnectionInfo,
    interim: InterimWriter | null = null,
  ) {
    this.method = method;
    this.target = target;
    this.headers = headers;
    this.body = body;
    this.protocol = protocol;
    this.conn = conn;
    this.scheme = conn.tls === null ? 'http' : 'https';
    this.#interim = interim;
  }

  /**
   * An informational (1xx) response through the connection (RFC 9110 §15.2). A function bound
   * to this request, made on first access, so a middleware can hand it to `createRequest`.
   */
  get sendInformational(): (status: number, headers?: HeadersInit) => boolean {
    this.#send ??= (status, headers) => {
      const fields = validateInformational(status, headers);
      return this.#interim?.writeInterim(this, status, fields) ?? false;
    };
    return this.#send;
  }

  get authority(): string | null {
    if (this.#authority === undefined) {
      this.#authority = requestAuthority(this.target, this.headers.get('host'));
    }
    return this.#authority;
  }

  get drain(): AbortSignal {
    return this.#interim?.drainSignal ?? NEVER_DRAINED;
  }

  /** Index of `?` in the path part, or -1. */
  #q(): number {
    if (this.#queryStart === -2) this.#queryStart = this.target.indexOf('?');
    return this.#queryStart;
  }

  get path(): string {
    const target = this.target;
    if (target.charCodeAt(0) !== 0x2f) return absolutePath(target);
    const q = this.#q();
    return q === -1 ? target : target.slice(0, q);
  }

  get search(): string {
    const q = this.#q();
    return q === -1 ? '' : this.target.slice(q + 1);
  }

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.search);
    return this.#query;
  }

  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#isAborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  get trailers(): Headers | null {
    return this.body.trailers();
  }

  /** True once the request was aborted (client gone, timeout, shutdown). */
  get isAborted(): boolean {
    return this.#isAborted;
  }

  /** Aborts `signal`; the controller is only created if someone looked at the signal. */
  abort(reason: unknown): void {
    if (this.#isAborted) return;
    this.#isAborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }
}

/** The path of an absolute-form (`http://h/p?q`) or asterisk/authority-form target. */
function absolutePath(target: string): string {
  if (target === '*') return '*';
  const scheme = target.indexOf('://');
  if (scheme === -1) return '';
  let start = target.indexOf('/', scheme + 3);
  const q = target.indexOf('?', scheme + 3);
  if (start === -1 || (q !== -1 && q < start)) return '/';
  const end = q === -1 ? target.length : q;
  if (start > end) start = end;
  return target.slice(start, end);
}
