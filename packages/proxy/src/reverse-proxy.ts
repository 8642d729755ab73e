/**
 * The reverse proxy, a core `Middleware`: forwards each request to a backend picked by an
 * upstream, streaming both bodies with backpressure, and maps backend failures to 502/503/504.
 */
import {
  type AbortSignalLike,
  Headers,
  isIdempotentMethod,
  isRwsError,
  isToken,
  type Middleware,
  type Request,
  type Response,
  type Tunnel,
  type Upgrade,
  withoutHopByHop,
} from '@rws/core';
import type { ClientResponse, InformationalResponse } from '@rws/http1';
import { ERROR_CODES, type ProxyErrorCode } from './errors.js';
import { createAddressMatcher } from './internal/cidr.js';
import {
  type ForwardedMode,
  type ForwardingPlan,
  forwardRequestHeaders,
  forwardResponseHeaders,
} from './internal/forwarding.js';
import { exchangeDeadlineMs } from './internal/grpc.js';
import { exchangeH2 } from './internal/h2-exchange.js';
import { exchangeH2WebSocket, isWebSocketUpgrade } from './internal/h2-websocket.js';
import { invalidOption } from './internal/proxy-error.js';
import {
  classify,
  errorResponse,
  fail,
  MESSAGES,
  webSocketToH3Backend,
} from './internal/proxy-failure.js';
import { relayResponse } from './internal/relay-response.js';
import { RetryBudget } from './internal/retry-budget.js';
import { acquireUrlUpstream } from './internal/shared-upstreams.js';
import {
  badWebSocketAnswer,
  toConnectAnswer,
  toWebSocketHandshake,
  webSocketConnect,
} from './internal/websocket-connect.js';
import { type ProxyInfo, setProxyInfo } from './proxy-info.js';
import type { Backend, BackendPicker, Upstream } from './upstream.js';

/** Deadlines of the exchange with a backend. */
export interface ProxyTimeouts {
  /** TCP connect (and TLS handshake). Default 5000. */
  connectMs?: number | undefined;
  /** From the request being sent until the response head has arrived. Default 60000. */
  responseHeadersMs?: number | undefined;
  /** Longest silence between response body bytes. Default 60000. */
  bodyIdleMs?: number | undefined;
  /** The whole exchange, body included. Default: none. */
  totalMs?: number | undefined;
}

/** When a failed attempt is sent again, to another backend. */
export interface RetryOptions {
  /** Most attempts per request, the first included. Default 2; 1 turns retries off. */
  attempts?: number | undefined;
  /** Retries may add at most this percentage to the request rate (10 s window). Default 20. */
  budgetPercent?: number | undefined;
  /** No retry starts later than this after the request arrived. Default 10000. */
  deadlineMs?: number | undefined;
  /**
   * Response statuses that count as failed attempts for idempotent requests without a body.
   * Default `[502, 503, 504]`.
   */
  onStatus?: readonly number[] | undefined;
}

/** Options of `reverseProxy`. */
export interface ReverseProxyOptions {
  /** An upstream, a traffic split, or one backend URL (`http://127.0.0.1:3000`). */
  upstream: BackendPicker | string;
  /** Removed from the start of the path (`/api` turns `/api/users` into `/users`). */
  stripPrefix?: string | undefined;
  /** Added to the start of the path, after `stripPrefix`. */
  addPrefix?: string | undefined;
  /** Send the client's Host; default false: Host names the backend. */
  preserveHost?: boolean | undefined;
  /** Default `x-forwarded`. */
  forwarded?: ForwardedMode | undefined;
  /** Peers (CIDRs or addresses) whose incoming forwarding headers are kept and extended. */
  trustedProxies?: readonly string[] | undefined;
  /** Append `Via` both ways (RFC 9110 §7.6.3). Default true. */
  via?: boolean | undefined;
  /** The Via pseudonym. Default `rws`. */
  viaName?: string | undefined;
  timeouts?: ProxyTimeouts | undefined;
  retry?: RetryOptions | undefined;
  /**
   * What a client's half-close (`req.halfClose`: a FIN before the response is complete) does.
   * `finish` (default): the exchange goes on and the response is written, as RFC 9112 §9.6
   * allows a client to half-close and still read; a client that is really gone is noticed
   * when the connection closes or resets (`req.signal`) or by the timeouts. `abort`: the
   * backend request is cancelled at once (its connection closed) and counted as a client
   * abort, as nginx does with `proxy_ignore_client_abort off`.
   */
  clientHalfClose?: 'abort' | 'finish' | undefined;
}

/** The reverse proxy middleware; `close()` closes an upstream it created from a URL. */
export interface ReverseProxy extends Middleware {
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * @rws/http1's listen-only abort view of a request: no AbortController per request. Internal
 * to the two packages, so it is not on the `Request` type (see `Request.signal` in @rws/core).
 */
const LIGHT_SIGNAL = Symbol.for('rws.lightSignal');

/** True when the response has no transfer coding or only `chunked`, which the client removed. */
function isRelayableCoding(headers: Headers): boolean {
  // A walk over the list, not `getAll`: no array per response for the usual answer (none).
  const list = headers.toList();
  let coding: string | null = null;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] !== 'transfer-encoding') continue;
    if (coding !== null) return false;
    coding = list[i + 1]!;
  }
  return coding === null || coding.trim().toLowerCase() === 'chunked';
}

/**
 * Relays a backend's interim responses (103 Early Hints, 102) to the client (RFC 9110
 * §15.2); 100 belongs to this hop's Expect exchange and 101 to upgrades.
 */
function interimRelay(req: Request): (interim: InformationalResponse) => void {
  return (interim) => {
    if (interim.status === 100 || interim.status === 101) return;
    req.sendInformational?.(interim.status, withoutHopByHop(interim.headers));
  };
}

/**
 * A reverse proxy is not a forward proxy: tunnels to arbitrary authorities are refused, never
 * relayed to a backend as an ordinary request (RFC 9110 §9.3.6).
 */
function connectRefused(): Response {
  return {
    status: 501,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: '501 Not Implemented: CONNECT is not supported by this reverse proxy\n',
  };
}

/**
 * Records a failed attempt on `info` and `backend` and returns its code. Out of `handle`, as
 * the other rare branches are: every local and temporary of `handle` is a slot of the state
 * that an async function allocates per call.
 */
function attemptFailed(
  err: unknown,
  backend: Backend,
  info: ProxyInfo,
  client: AbortSignalLike,
  total: AbortSignal | null,
): ProxyErrorCode {
  const code = classify(err, client, total);
  info.error = code;
  info.errorDetail = err instanceof Error ? err.message : String(err);
  backend.end(isBackendFault(code) ? 'failure' : 'neutral');
  return code;
}

/** A client that went away or sent a bad body says nothing about the backend. */
function isBackendFault(code: ProxyErrorCode): boolean {
  return code !== ERROR_CODES.CLIENT_ABORTED && code !== ERROR_CODES.REQUEST_BODY_FAILED;
}

/** Whether a failed attempt (`code`) may go to another backend, budget and deadline aside. */
function isRetryableFailure(code: ProxyErrorCode, isReplayable: boolean): boolean {
  if (!isBackendFault(code) || code === ERROR_CODES.TOTAL_TIMEOUT) return false;
  const neverReached = code === ERROR_CODES.CONNECT_FAILED || code === ERROR_CODES.CONNECT_TIMEOUT;
  return neverReached || isReplayable;
}

/** The client's answer to a failed attempt that is not retried. */
function failedAttemptResponse(req: Request, err: unknown, code: ProxyErrorCode): Response {
  if (code === ERROR_CODES.REQUEST_BODY_FAILED && isRwsError(err) && isRwsError(err.cause)) {
    // The client's own body error (too large, bad framing) keeps its status.
    const status = err.cause.status;
    if (status !== undefined && status >= 400 && status < 500) return fail(req, code, status);
  }
  return fail(req, code);
}

/**
 * Transfer-Encoding is hop-by-hop: relaying `gzip, chunked` de-chunked but still gzip-coded,
 * without the field, would hand the client bytes it cannot decode.
 */
function unrelayableCoding(res: ClientResponse, backend: Backend, info: ProxyInfo): Response {
  res.body.cancel();
  backend.end('failure');
  info.error = ERROR_CODES.INVALID_RESPONSE;
  info.errorDetail = `unsupported transfer coding ${JSON.stringify(res.headers.get('transfer-encoding'))}`;
  return errorResponse(ERROR_CODES.INVALID_RESPONSE);
}

function normalisePrefix(name: string, value: string | undefined): string {
  if (value === undefined || value === '' || value === '/') return '';
  if (typeof value !== 'string' || value.charCodeAt(0) !== 47) {
    throw invalidOption(name, value, 'a path starting with "/"');
  }
  return value.endsWith('/') ? value.slice(0, -1) : value;
}

function positiveMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && value > 0))
    throw invalidOption(name, value, 'a positive number of ms');
  return value;
}

/**
 * Creates a reverse proxy middleware. It answers every request it gets (use it as the last
 * handler of a route); `next` is never called.
 *
 * @example
 * ```ts
 * import { createServer } from '@rws/http1';
 * import { createUpstream, reverseProxy } from '@rws/proxy';
 * const api = createUpstream({ name: 'api', backends: ['http://127.0.0.1:3001'] });
 * const proxy = reverseProxy({ upstream: api, stripPrefix: '/api' });
 * const server = createServer((req) => proxy.handle(req, () => { throw new Error('unreachable'); }));
 * await server.listen({ port: 8080 });
 * ```
 */
export function reverseProxy(options: ReverseProxyOptions): ReverseProxy {
  if (typeof options !== 'object' || options === null) {
    throw invalidOption('options', options, 'an object with upstream');
  }
  const stripPrefix = normalisePrefix('stripPrefix', options.stripPrefix);
  const addPrefix = normalisePrefix('addPrefix', options.addPrefix);
  const mode = options.forwarded ?? 'x-forwarded';
  if (mode !== 'x-forwarded' && mode !== 'forwarded' && mode !== 'none') {
    throw invalidOption('forwarded', mode, "'x-forwarded', 'forwarded' or 'none'");
  }
  const viaName = options.via === false ? null : (options.viaName ?? 'rws');
  // Validated once here: the header sections built per request take it without checks.
  if (viaName !== null && (typeof viaName !== 'string' || !isToken(viaName))) {
    throw invalidOption('viaName', viaName, 'a token (RFC 9110 §7.6.3 pseudonym)');
  }
  const plan: ForwardingPlan = {
    mode,
    isTrusted: createAddressMatcher(options.trustedProxies ?? [], 'trustedProxies'),
    preserveHost: options.preserveHost === true,
    via: viaName,
  };
  const t = options.timeouts ?? {};
  const timeouts = {
    connectTimeoutMs: positiveMs('timeouts.connectMs', t.connectMs, 5000),
    headersTimeoutMs: positiveMs('timeouts.responseHeadersMs', t.responseHeadersMs, 60_000),
    bodyTimeoutMs: positiveMs('timeouts.bodyIdleMs', t.bodyIdleMs, 60_000),
  };
  const totalMs = t.totalMs === undefined ? null : positiveMs('timeouts.totalMs', t.totalMs, 0);
  const r = options.retry ?? {};
  const maxAttempts = r.attempts ?? 2;
  if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
    throw invalidOption('retry.attempts', maxAttempts, 'an integer >= 1');
  }
  const retryDeadlineMs = positiveMs('retry.deadlineMs', r.deadlineMs, 10_000);
  const retryStatuses = new Set(r.onStatus ?? [502, 503, 504]);
  const budget = new RetryBudget(r.budgetPercent ?? 20);
  const halfClose = options.clientHalfClose ?? 'finish';
  if (halfClose !== 'abort' && halfClose !== 'finish') {
    throw invalidOption('clientHalfClose', halfClose, "'abort' or 'finish'");
  }
  const isAbortOnHalfClose = halfClose === 'abort';
  // Acquired last, once every other option is valid, so a throw cannot leak a reference.
  const isUrl = typeof options.upstream === 'string';
  if (!isUrl && typeof (options.upstream as BackendPicker | undefined)?.pick !== 'function') {
    throw invalidOption(
      'upstream',
      options.upstream,
      'an upstream, a traffic split or a backend URL',
    );
  }
  const owned = isUrl ? acquireUrlUpstream(options.upstream as string) : null;
  const picker: BackendPicker = owned?.upstream ?? (options.upstream as BackendPicker);
  const upstreamName = (picker as Partial<Upstream>).name ?? 'upstream';

  function rewritePath(req: Request): string {
    if (req.target === '*') return '*';
    let path = req.path;
    if (path.charCodeAt(0) !== 47) path = `/${path}`;
    if (stripPrefix !== '' && (path === stripPrefix || path.startsWith(`${stripPrefix}/`))) {
      path = path.slice(stripPrefix.length) || '/';
    }
    if (addPrefix !== '') path = path === '/' ? `${addPrefix}/` : `${addPrefix}${path}`;
    return req.search === '' ? path : `${path}?${req.search}`;
  }

  async function handle(req: Request): Promise<Response> {
    // An h2/h3 client's WebSocket (extended CONNECT) goes on as an HTTP/1.1 handshake.
    const wsConnect = webSocketConnect(req);
    if (req.method === 'CONNECT' && wsConnect === null) return connectRefused();
    const startedAt = Date.now();
    const info: ProxyInfo = {
      upstream: upstreamName,
      backend: null,
      attempts: 0,
      error: null,
      errorDetail: null,
      upstreamHeadersMs: -1,
    };
    setProxyInfo(req, info);
    budget.onRequest(startedAt);
    const headers = forwardRequestHeaders(req, plan);
    // Upgrade/Connection are hop-by-hop (removed above); an upgrade request asks the backend
    // for the same switch, so they are sent again, and only for it (RFC 9110 §7.8).
    const upgrade = req.upgrade?.kind === 'upgrade' ? req.upgrade : null;
    if (upgrade !== null) {
      headers.set('upgrade', req.headers.getAll('upgrade').join(', '));
      headers.set('connection', 'upgrade');
    }
    const wsKey = wsConnect === null ? null : toWebSocketHandshake(headers);
    const path = rewritePath(req);
    const deadlineMs = exchangeDeadlineMs(totalMs, req);
    const total = deadlineMs === null ? null : AbortSignal.timeout(deadlineMs);
    // Read only when asked for: on @rws/http1 the first read allocates the signal.
    const finSignal = isAbortOnHalfClose ? req.halfClose : undefined;
    // The usual case (no deadline, no half-close abort) only listens for the client going
    // away: the transport's light signal does that without an AbortController per request.
    const client: AbortSignalLike =
      finSignal !== undefined
        ? AbortSignal.any([req.signal, finSignal])
        : total === null
          ? ((req as { [LIGHT_SIGNAL]?: AbortSignalLike })[LIGHT_SIGNAL] ?? req.signal)
          : req.signal;
    // `client` is a real AbortSignal whenever it is combined.
    const signal: AbortSignalLike =
      total === null ? client : AbortSignal.any([client as AbortSignal, total]);
    // The backends tried so far; made at the first retry (most requests never retry).
    let tried: Set<string> | null = null;
    let firstTried: string | null = null;
    // The body is a one-shot stream: once sent, only a request without content can go again.
    const isReplayable = isIdempotentMethod(req.method) && req.body.length === 0;
    let lastError: ProxyErrorCode = ERROR_CODES.NO_BACKEND;
    let nextBackend: Backend | null = null;
    for (;;) {
      if (firstTried !== null) tried ??= new Set([firstTried]);
      const backend: Backend | null = nextBackend ?? picker.pick(req, tried ?? undefined);
      nextBackend = null;
      if (backend === null) {
        // Retries exhausted the backends: report the last real failure.
        info.error = lastError;
        return fail(req, lastError);
      }
      if (firstTried === null) firstTried = backend.url;
      else tried!.add(backend.url);
      info.backend = backend.url;
      info.attempts++;
      backend.begin();
      let res: ClientResponse;
      try {
        if (backend.protocol === 'h2' || backend.protocol === 'h3') {
          return await exchangeOverH2(
            req,
            backend,
            wsConnect ?? (isWebSocketUpgrade(upgrade) ? upgrade : null),
            path,
            headers,
            signal,
            info,
            startedAt,
            client,
            total,
          );
        }
        res = await backend.pool.request({
          method: wsConnect === null ? req.method : 'GET',
          path,
          headers,
          body: req.body.length === 0 || upgrade !== null || wsConnect !== null ? null : req.body,
          signal,
          timeouts,
          onInformational: interimRelay(req),
        });
      } catch (err) {
        lastError = attemptFailed(err, backend, info, client, total);
        if (isRetryableFailure(lastError, isReplayable) && canRetry(info.attempts, startedAt)) {
          continue;
        }
        return failedAttemptResponse(req, err, lastError);
      }
      info.upstreamHeadersMs = Date.now() - startedAt;
      if (res.tunnel !== null) {
        return switched(upgrade ?? wsConnect, wsKey, res, res.tunnel, backend, info);
      }
      if (!isRelayableCoding(res.headers)) return unrelayableCoding(res, backend, info);
      const isServerError = res.status >= 500;
      if (isServerError && isReplayable && retryStatuses.has(res.status)) {
        // Only give up this answer when another backend can give one (and the budget allows).
        tried ??= new Set([backend.url]);
        const other = picker.pick(req, tried);
        if (other !== null && canRetry(info.attempts, startedAt)) {
          res.body.cancel();
          backend.end('failure');
          nextBackend = other;
          continue;
        }
      }
      info.error = null;
      info.errorDetail = null;
      return relayResponse(req, res, backend, isServerError, info, client, total, viaName);
    }
  }

  /**
   * The exchange with an h2 or h3 backend (a WebSocket one as RFC 8441 extended CONNECT).
   * A function of its own so the callbacks made here capture its parameters: inside `handle`
   * they would make every request, h1 ones included, allocate a context for the variables
   * they close over.
   */
  function exchangeOverH2(
    req: Request,
    backend: Backend,
    wsUpgrade: Upgrade | null,
    path: string,
    headers: Headers,
    signal: AbortSignalLike,
    info: ProxyInfo,
    startedAt: number,
    client: AbortSignalLike,
    total: AbortSignal | null,
  ): Promise<Response> | Response {
    if (wsUpgrade !== null && backend.protocol === 'h3') {
      backend.end('neutral');
      return webSocketToH3Backend();
    }
    if (wsUpgrade !== null) {
      return exchangeH2WebSocket({
        req,
        upgrade: wsUpgrade,
        backend,
        path,
        headers,
        signal: signal instanceof AbortSignal ? signal : req.signal,
        headersTimeoutMs: timeouts.headersTimeoutMs,
        info,
        startedAt,
        forwardHeaders: (h) => forwardResponseHeaders(h, 'h2', viaName),
        join: (clientTunnel, backendTunnel) => join(clientTunnel, backendTunnel, backend),
      });
    }
    return exchangeH2({
      req,
      backend,
      path,
      headers,
      // HTTP/2 combines it with its own signals: a light one stands for `req.signal`.
      signal: signal instanceof AbortSignal ? signal : req.signal,
      headersTimeoutMs: timeouts.headersTimeoutMs,
      bodyTimeoutMs: timeouts.bodyTimeoutMs,
      via: viaName,
      info,
      startedAt,
      classify: (err) => classify(err, client, total),
      message: (code) => MESSAGES[code],
    });
  }

  function canRetry(attempts: number, startedAt: number): boolean {
    const now = Date.now();
    if (attempts >= maxAttempts || now - startedAt >= retryDeadlineMs) return false;
    return budget.tryRetry(now);
  }

  /** The backend switched protocols: checks a WebSocket answer, then bridges. */
  function switched(
    upgrade: Upgrade | null,
    wsKey: string | null,
    res: ClientResponse,
    backendTunnel: Tunnel,
    backend: Backend,
    info: ProxyInfo,
  ): Promise<Response> | Response {
    const problem = wsKey === null ? null : badWebSocketAnswer(res, wsKey);
    if (problem !== null) {
      void backendTunnel.readable.cancel().catch(() => {});
      backend.end('failure');
      info.error = ERROR_CODES.INVALID_RESPONSE;
      info.errorDetail = problem;
      return errorResponse(ERROR_CODES.INVALID_RESPONSE);
    }
    info.error = null;
    info.errorDetail = null;
    return bridge(upgrade, res, backendTunnel, backend);
  }

  /**
   * The backend switched protocols: answers the client's upgrade with the backend's 101
   * fields and relays bytes both ways until both directions have ended.
   */
  async function bridge(
    upgrade: Upgrade | null,
    res: ClientResponse,
    backendTunnel: Tunnel,
    backend: Backend,
  ): Promise<Response> {
    const headers = forwardResponseHeaders(res.headers, res.protocol, viaName);
    // The 101 must name the protocol switched to (RFC 9110 §15.2.2); `accept()` adds
    // `Connection: upgrade` itself.
    const protocol = res.headers.getAll('upgrade').join(', ');
    // An extended CONNECT is answered 200 without the HTTP/1.1 handshake's fields.
    const isConnect = upgrade?.kind === 'connect';
    if (isConnect) toConnectAnswer(headers);
    else if (protocol !== '') headers.set('upgrade', protocol);
    let clientTunnel: Tunnel;
    try {
      // The client library only yields a tunnel to a request that carried Upgrade.
      if (upgrade === null) throw new Error('a 101 to a request without Upgrade');
      clientTunnel = await upgrade.accept(headers);
    } catch {
      // The client is gone (or its connection cannot switch): nobody uses the backend side.
      void backendTunnel.readable.cancel().catch(() => {});
      backend.end('neutral');
      return { status: 502, headers: new Headers(), body: null };
    }
    join(clientTunnel, backendTunnel, backend);
    return { status: isConnect ? 200 : 101, headers, body: null };
  }

  /** Relays bytes both ways between an accepted client tunnel and the backend's. */
  function join(clientTunnel: Tunnel, backendTunnel: Tunnel, backend: Backend): void {
    // pipeTo keeps backpressure both ways; a clean end half-closes the other side (FIN,
    // END_STREAM), an error or reset on one side tears the other down.
    const up = clientTunnel.readable.pipeTo(backendTunnel.writable).catch(() => {});
    const down = backendTunnel.readable.pipeTo(clientTunnel.writable).catch(() => {});
    void Promise.all([up, down]).then(() => backend.end('success'));
  }

  return {
    handle,
    async close() {
      await owned?.release();
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}
