/**
 * The `Request` the server hands to handlers. Everything derived (path, search, query,
 * signal) is computed on first access, so a handler that only looks at `method` and `path`
 * pays for nothing else.
 */
import {
  type AbortSignalLike,
  type Body,
  type ConnectionInfo,
  type Headers,
  type HeadersInit,
  type Protocol,
  type Request,
  type ResponseSentListener,
  RwsError,
  requestAuthority,
  type Scheme,
  splitTarget,
  type Upgrade,
  validateInformational,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** What a request needs from its connection: 1xx writing and the server's drain signal. */
export interface InterimWriter {
  writeInterim(req: H1Request, status: number, headers: Headers): boolean;
  readonly drainSignal: AbortSignal;
}

// Requests built without a connection (none today) never see a shutdown.
const NEVER_DRAINED: AbortSignal = new AbortController().signal;

/**
 * The key of a request's listen-only abort view (`LightSignal`). It is a registered symbol, not
 * a `Request` member, so it stays out of the public type (see `Request.signal` in @rws/core).
 * @rws/proxy reads it under the same `Symbol.for` name, with no import either way.
 */
export const LIGHT_SIGNAL: unique symbol = Symbol.for('rws.lightSignal') as never;

export class H1Request implements Request {
  readonly method: string;
  readonly target: string;
  readonly headers: Headers;
  readonly body: Body;
  readonly protocol: Protocol;
  readonly conn: ConnectionInfo;
  readonly scheme: Scheme;
  params: Record<string, string> = {};
  /** `[path, search]`, split on first access by core's one splitter. */
  #parts: [string, string] | null = null;
  /** Set by the connection for Upgrade and CONNECT requests it can hand over. */
  upgrade: Upgrade | undefined = undefined;
  #authority: string | null | undefined = undefined;
  #send: ((status: number, headers?: HeadersInit) => boolean) | null = null;
  #query: URLSearchParams | null = null;
  #controller: AbortController | null = null;
  /** Set by `weakAborter`: where a controller made later is found once this request is gone. */
  #weakHolder: WeakAborter | null = null;
  #abortReason: unknown = undefined;
  #isAborted = false;
  /** The `[LIGHT_SIGNAL]` view, made on first access. */
  #light: LightSignal | null = null;
  /** `halfClose`'s controller, made only when someone looks at it (most handlers never do). */
  #halfCloseController: AbortController | null = null;
  #isHalfClosed = false;
  #interim: InterimWriter | null;
  #sentListener: ResponseSentListener | null = null;
  /** -1 until the connection settles the response; then the body bytes it wrote. */
  #sentBytes = -1;
  #isSentComplete = false;

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
      if (this.#weakHolder !== null) this.#weakHolder.controller = this.#controller;
    }
    return this.#controller.signal;
  }

  /** Why the request was aborted (undefined while it is not). */
  get abortReason(): unknown {
    return this.#abortReason;
  }

  get halfClose(): AbortSignal {
    if (this.#halfCloseController === null) {
      this.#halfCloseController = new AbortController();
      if (this.#isHalfClosed) this.#halfCloseController.abort(halfCloseReason());
    }
    return this.#halfCloseController.signal;
  }

  /**
   * The client's FIN arrived before the response was complete: aborts `halfClose` (if someone
   * looked at it), never `signal` (RFC 9112 §9.6 half-close, issue #9).
   */
  markHalfClosed(): void {
    if (this.#isHalfClosed) return;
    this.#isHalfClosed = true;
    this.#halfCloseController?.abort(halfCloseReason());
  }

  get trailers(): Headers | null {
    return this.body.trailers();
  }

  /**
   * `Request.onResponseSent`: the connection calls `settleSent` once the response's last
   * byte has left (or the response was cut short). Registered after that, the listener runs
   * at once with the settled values.
   */
  onResponseSent(listener: ResponseSentListener): void {
    if (this.#sentBytes >= 0) {
      listener(this.#sentBytes, this.#isSentComplete);
      return;
    }
    const prev = this.#sentListener;
    this.#sentListener =
      prev === null
        ? listener
        : (bytes, isComplete) => {
            prev(bytes, isComplete);
            listener(bytes, isComplete);
          };
  }

  /** True when someone waits for `settleSent` (the connection then tracks the last write). */
  get hasSentListener(): boolean {
    return this.#sentListener !== null;
  }

  /** Settles `onResponseSent` once; later calls do nothing. */
  settleSent(bytes: number, isComplete: boolean): void {
    if (this.#sentBytes >= 0) return;
    this.#sentBytes = bytes;
    this.#isSentComplete = isComplete;
    const listener = this.#sentListener;
    if (listener === null) return;
    this.#sentListener = null;
    try {
      listener(bytes, isComplete);
    } catch (err) {
      // A listener runs after the response: its failure must not break the connection.
      process.emitWarning(`onResponseSent listener threw: ${String(err)}`, 'RwsHttp1Warning');
    }
  }

  /** True once the request was aborted (client gone, timeout, shutdown). */
  get isAborted(): boolean {
    return this.#isAborted;
  }

  /**
   * An aborter for after an upgrade that does not keep this request (its headers, body and
   * connection: kilobytes per idle tunnel) alive: it aborts the request while someone still
   * holds it, else the signal's controller if someone took the signal (before or after this
   * call). With neither, nobody can observe the abort.
   */
  weakAborter(): WeakAborter {
    const aborter = new WeakAborter(this, this.#controller);
    this.#weakHolder = aborter;
    return aborter;
  }

  /** Aborts `signal`; the controller is only created if someone looked at the signal. */
  abort(reason: unknown): void {
    if (this.#isAborted) return;
    this.#isAborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
    this.#light?.dispatch();
  }

  static {
    // `[LIGHT_SIGNAL]`: `signal` without the AbortController (one small object and a listener
    // list, where the controller and its EventTarget cost more than the rest of a proxied
    // request's bookkeeping). Defined here, not as a class member, so the declaration output
    // (isolatedDeclarations) has no computed member and the public type does not show it.
    Object.defineProperty(H1Request.prototype, LIGHT_SIGNAL, {
      get(this: H1Request): AbortSignalLike {
        this.#light ??= new LightSignal(this);
        return this.#light;
      },
    });
  }
}

/** `H1Request[LIGHT_SIGNAL]`: aborts with the request; each listener is called once. */
class LightSignal implements AbortSignalLike {
  #req: H1Request;
  // One listener is kept as itself (no array per request); two or more as a list.
  #listeners: (() => void) | Array<() => void> | null = null;

  constructor(req: H1Request) {
    this.#req = req;
  }

  get aborted(): boolean {
    return this.#req.isAborted;
  }

  get reason(): unknown {
    return this.#req.abortReason;
  }

  addEventListener(type: 'abort', listener: () => void): void {
    if (type !== 'abort' || this.#req.isAborted) return;
    const listeners = this.#listeners;
    if (listeners === null) this.#listeners = listener;
    else if (typeof listeners === 'function') {
      if (listeners !== listener) this.#listeners = [listeners, listener];
    } else if (!listeners.includes(listener)) listeners.push(listener);
  }

  removeEventListener(type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    if (type !== 'abort' || listeners === null) return;
    // The usual case (one exchange listening, then done) is a compare, not indexOf + splice.
    if (typeof listeners === 'function') {
      if (listeners === listener) this.#listeners = null;
      return;
    }
    const i = listeners.indexOf(listener);
    if (i !== -1) listeners.splice(i, 1);
  }

  /** Calls (and forgets) every listener; one that throws does not stop the others. */
  dispatch(): void {
    const listeners = this.#listeners;
    if (listeners === null) return;
    this.#listeners = null;
    if (typeof listeners === 'function') callListener(listeners);
    else for (const listener of listeners) callListener(listener);
  }
}

function callListener(listener: () => void): void {
  try {
    listener();
  } catch (err) {
    process.emitWarning(`abort listener threw: ${String(err)}`, 'RwsHttp1Warning');
  }
}

function halfCloseReason(): RwsError {
  return new RwsError(
    ERROR_CODES.CLIENT_ABORTED,
    'client half-closed the connection before the response was complete',
  );
}

/**
 * What `weakAborter` returns: one object (no closure and context) per upgraded connection,
 * holding the request weakly and the signal's controller once someone made it.
 */
export class WeakAborter {
  readonly #ref: WeakRef<H1Request>;
  controller: AbortController | null;

  constructor(req: H1Request, controller: AbortController | null) {
    this.#ref = new WeakRef(req);
    this.controller = controller;
  }

  abort(reason: unknown): void {
    const req = this.#ref.deref();
    if (req !== undefined) req.abort(reason);
    else this.controller?.abort(reason);
  }
}
