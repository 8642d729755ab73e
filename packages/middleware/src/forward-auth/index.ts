/**
 * `forwardAuth()`: delegates the access decision to an external service, as Traefik's
 * forwardAuth and nginx's `auth_request` do. Each request's method, URI and headers go to the
 * auth URL; a 2xx lets the request through (with chosen auth response headers copied onto
 * it), anything else is returned to the client as the auth service sent it.
 *
 * @module
 */
import {
  type Handler,
  Headers,
  HOP_BY_HOP_HEADERS,
  hopByHopFields,
  type Middleware,
  type Request,
  type Response,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { deriveRequest } from '../internal/derive-request.js';
import { failOptions, isPositiveInteger } from '../internal/fail.js';

/** The part of a fetch `Response` forwardAuth reads. */
export interface ForwardAuthFetchResponse {
  readonly status: number;
  readonly headers: {
    forEach(callback: (value: string, name: string) => void): void;
    getSetCookie?(): string[];
  };
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * A `fetch`-like function. @rws/middleware depends on @rws/core only, so the HTTP client is
 * injected: `globalThis.fetch` by default, or an adapter over @rws/http1's pooled client.
 */
export type ForwardAuthFetch = (
  url: string,
  init: { method: string; headers: [string, string][]; redirect: 'manual'; signal: AbortSignal },
) => Promise<ForwardAuthFetchResponse>;

/** Options of `forwardAuth()`. */
export interface ForwardAuthOptions {
  /** The auth service URL (http or https). */
  address: string;
  /**
   * Headers of the auth service's 2xx answer to copy onto the request for the handler
   * (`X-Auth-User`, …). The client's own values of these names are always removed first, so
   * a client cannot claim an identity the auth service did not give.
   */
  authResponseHeaders?: readonly string[] | undefined;
  /**
   * Request headers sent to the auth service. Default: all of them except hop-by-hop and
   * framing fields.
   */
  authRequestHeaders?: readonly string[] | undefined;
  /**
   * Trust `X-Forwarded-*` headers the client sent (only behind a proxy that sets them).
   * Default false: they are replaced with what this server saw.
   */
  trustForwardHeader?: boolean | undefined;
  /** Give up on the auth service after this many ms and answer 503. Default 5000. */
  timeoutMs?: number | undefined;
  /** The HTTP client. Default `globalThis.fetch`. */
  fetch?: ForwardAuthFetch | undefined;
}

// Besides the hop-by-hop fields: the framing of a body that is not forwarded, and fields the
// client library sets itself.
const NOT_FORWARDED = new Set(['host', 'content-length', 'expect']);

function plain(status: number, message: string): Response {
  return {
    status,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: `${message}\n`,
  };
}

/**
 * Creates the forward-auth middleware.
 *
 * @example
 * ```ts
 * import { forwardAuth } from '@rws/middleware/forward-auth';
 * const sso = forwardAuth({
 *   address: 'http://127.0.0.1:4181/verify',
 *   authResponseHeaders: ['x-auth-user', 'x-auth-groups'],
 * });
 * ```
 */
export function forwardAuth(options: ForwardAuthOptions): Middleware {
  function fail(message: string): never {
    return failOptions(ERROR_CODES.FORWARD_AUTH_INVALID_OPTIONS, 'forwardAuth', message);
  }
  let address: URL;
  try {
    address = new URL(options?.address);
  } catch {
    fail(`address must be an absolute http(s) URL, got ${JSON.stringify(options?.address)}`);
  }
  if (address.protocol !== 'http:' && address.protocol !== 'https:') {
    fail(`address must be an http or https URL, got ${address.protocol}`);
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!isPositiveInteger(timeoutMs))
    fail(`timeoutMs must be a positive integer, got ${String(timeoutMs)}`);
  const fetchFn = options.fetch ?? (globalThis.fetch as unknown as ForwardAuthFetch | undefined);
  if (typeof fetchFn !== 'function') fail('fetch must be a function (globalThis.fetch is missing)');
  const copied = (options.authResponseHeaders ?? []).map((h) => h.toLowerCase());
  const sent = options.authRequestHeaders?.map((h) => h.toLowerCase());
  for (const name of [...copied, ...(sent ?? [])]) {
    try {
      new Headers().set(name, 'x');
    } catch {
      fail(`${JSON.stringify(name)} is not a header name`);
    }
  }
  const isTrustingForward = options.trustForwardHeader === true;
  const url = address.href;

  function authHeaders(req: Request): [string, string][] {
    const out: [string, string][] = [];
    const hop = hopByHopFields(req.headers);
    const list = req.headers.toList();
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i]!;
      if (hop.has(name) || NOT_FORWARDED.has(name) || name.charCodeAt(0) === 58 /* : */) continue;
      if (sent !== undefined && !sent.includes(name)) continue;
      if (name.startsWith('x-forwarded-') && !isTrustingForward) continue;
      out.push([name, list[i + 1]!]);
    }
    const forwarded = (name: string, value: string): void => {
      if (isTrustingForward && req.headers.has(name)) return;
      out.push([name, value]);
    };
    forwarded('x-forwarded-method', req.method);
    forwarded('x-forwarded-proto', req.conn.tls !== null ? 'https' : 'http');
    const host = req.headers.get('host');
    if (host !== null) forwarded('x-forwarded-host', host);
    forwarded('x-forwarded-uri', req.target);
    forwarded('x-forwarded-for', req.conn.remoteAddress);
    // nginx auth_request's conventional names, for services written against it.
    out.push(['x-original-method', req.method], ['x-original-uri', req.target]);
    return out;
  }

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const controller = new AbortController();
      const onAbort = (): void => controller.abort(req.signal.reason);
      req.signal.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(new Error('forwardAuth timeout')), timeoutMs);
      let answer: ForwardAuthFetchResponse;
      let body: ArrayBuffer;
      try {
        answer = await fetchFn(url, {
          method: 'GET',
          headers: authHeaders(req),
          redirect: 'manual',
          signal: controller.signal,
        });
        body = await answer.arrayBuffer();
      } catch {
        // Connection refused, DNS failure, TLS error or timeout: fail closed.
        return plain(503, 'authentication service unavailable');
      } finally {
        clearTimeout(timer);
        req.signal.removeEventListener('abort', onAbort);
      }
      if (answer.status >= 200 && answer.status < 300) {
        const headers = new Headers(req.headers);
        for (const name of copied) headers.delete(name);
        answer.headers.forEach((value, name) => {
          const key = name.toLowerCase();
          if (copied.includes(key) && key !== 'set-cookie') headers.append(key, value);
        });
        return next(deriveRequest(req, { headers }));
      }
      const headers = new Headers();
      answer.headers.forEach((value, name) => {
        const key = name.toLowerCase();
        // fetch joins Set-Cookie lines with ", "; they are taken from getSetCookie() below.
        if (
          !HOP_BY_HOP_HEADERS.has(key) &&
          !NOT_FORWARDED.has(key) &&
          key !== 'set-cookie' &&
          key !== 'content-encoding'
        ) {
          headers.append(key, value);
        }
      });
      for (const cookie of answer.headers.getSetCookie?.() ?? [])
        headers.append('set-cookie', cookie);
      return { status: answer.status, headers, body: new Uint8Array(body) };
    },
  };
}
