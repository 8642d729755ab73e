/**
 * The `Request` the server hands to handlers. Everything derived (path, search, query,
 * signal) is computed on first access, so a handler that only looks at `method` and `path`
 * pays for nothing else.
 */
import {
  type Body,
  type ConnectionInfo,
  type Headers,
  type Protocol,
  type Request,
  splitTarget,
} from '@rws/core';
import { EARLY_HINTS, type EarlyHintsCapable } from '../early-hints.js';

/** Where a request sends interim (1xx) responses: its connection. */
export interface InterimWriter {
  writeInterim(req: H1Request, status: number, headers: Headers): boolean;
}

export class H1Request implements Request, EarlyHintsCapable {
  readonly method: string;
  readonly target: string;
  readonly headers: Headers;
  readonly body: Body;
  readonly protocol: Protocol;
  readonly conn: ConnectionInfo;
  params: Record<string, string> = {};
  /** `[path, search]`, split on first access by core's one splitter. */
  #parts: [string, string] | null = null;
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
    this.#interim = interim;
  }

  /** 103 Early Hints, through the connection (see `writeEarlyHints`). */
  [EARLY_HINTS](headers: Headers): boolean {
    return this.#interim?.writeInterim(this, 103, headers) ?? false;
  }

  get path(): string {
    this.#parts ??= splitTarget(this.target);
    return this.#parts[0];
  }

  get search(): string {
    this.#parts ??= splitTarget(this.target);
    return this.#parts[1];
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
