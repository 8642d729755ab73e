/**
 * A WebSocket relayed to an HTTP/2 backend (`h2:`, `h2s:`) as an extended CONNECT with
 * `:protocol websocket` (RFC 8441 §4), whichever form the client opened it with: an HTTP/1.1
 * Upgrade (RFC 6455) is answered 101 with the accept value of the client's own key once the
 * backend said 2xx; an h2/h3 extended CONNECT is answered 200. Once open, both forms carry the
 * same WebSocket frames (RFC 8441 §5), so the bytes cross unchanged. A backend refusal (any
 * non-2xx) is relayed as an ordinary response.
 */
import {
  Headers,
  type Request,
  type Response,
  RwsError,
  type Tunnel,
  type Upgrade,
} from '@rws/core';
import type { ClientResponse } from '@rws/h2';
import { ERROR_CODES } from '../errors.js';
import type { ProxyInfo } from '../proxy-info.js';
import type { Backend } from '../upstream.js';
import { toProxyError } from './h2-exchange.js';
import { webSocketAccept } from './websocket-connect.js';

/** Handshake fields of HTTP/1.1 that have no place in an extended CONNECT (RFC 8441 §4). */
const HANDSHAKE_ONLY = ['upgrade', 'connection', 'sec-websocket-key', 'host'];

/** What `exchangeH2WebSocket` needs from the reverse proxy. */
export interface H2WebSocketExchange {
  readonly req: Request;
  /** The client's upgrade: `upgrade` (HTTP/1.1, Upgrade: websocket) or `connect` (h2/h3). */
  readonly upgrade: Upgrade;
  readonly backend: Backend;
  /** Path and query, already rewritten. */
  readonly path: string;
  /** Forwarded request headers (hop-by-hop fields removed). */
  readonly headers: Headers;
  /** The client going away before the backend answered. */
  readonly signal: AbortSignal;
  readonly headersTimeoutMs: number;
  readonly info: ProxyInfo;
  readonly startedAt: number;
  /** Response headers as forwarded to the client (Via added, hop-by-hop removed). */
  forwardHeaders(headers: Headers): Headers;
  /** Relays the two tunnels until both directions ended, then reports to the backend. */
  join(client: Tunnel, backend: Tunnel): void;
}

/** True when an HTTP/1.1 client's upgrade asks for `websocket` (RFC 6455 §4.1). */
export function isWebSocketUpgrade(upgrade: Upgrade | null): upgrade is Upgrade {
  return (
    upgrade !== null &&
    upgrade.kind === 'upgrade' &&
    (upgrade.protocol ?? '').split(',').some((p) => p.trim() === 'websocket')
  );
}

/**
 * Opens the backend's extended CONNECT. Rejects (with a proxy cause code) when the backend
 * cannot be reached, did not enable extended CONNECT, or did not answer in time, so the caller
 * retries or maps it as any other failure; resolves with the client's answer otherwise.
 */
export async function exchangeH2WebSocket(x: H2WebSocketExchange): Promise<Response> {
  const { req, backend, upgrade } = x;
  const isH1Client = upgrade.kind === 'upgrade';
  const key = req.headers.get('sec-websocket-key');
  if (isH1Client && (key === null || key.trim() === '')) {
    backend.end('neutral');
    return plain(400, '400 Bad Request: a WebSocket handshake without Sec-WebSocket-Key\n');
  }
  const headers = x.headers;
  for (const name of HANDSHAKE_ONLY) headers.delete(name);
  if (!headers.has('sec-websocket-version')) headers.set('sec-websocket-version', '13');
  // Only the wait for the answer is bounded, and only the client's leaving aborts it: once
  // open, the tunnel's own ends (close, cancel) finish the backend stream.
  const abort = new AbortController();
  const onClientGone = (): void => abort.abort(x.signal.reason);
  x.signal.addEventListener('abort', onClientGone, { once: true });
  const timer = setTimeout(() => {
    const err = new RwsError(ERROR_CODES.HEADERS_TIMEOUT, 'the backend did not answer in time');
    abort.abort(err);
  }, x.headersTimeoutMs);
  let res: ClientResponse;
  try {
    res = await backend.h2!.request(`${backend.origin}${x.path}`, {
      method: 'CONNECT',
      protocol: 'websocket',
      headers,
      signal: abort.signal,
    });
  } catch (err) {
    throw toProxyError(abort.signal.aborted && !x.signal.aborted ? abort.signal.reason : err);
  } finally {
    clearTimeout(timer);
    x.signal.removeEventListener('abort', onClientGone);
  }
  x.info.upstreamHeadersMs = Date.now() - x.startedAt;
  const out = x.forwardHeaders(res.headers);
  if (res.tunnel === null) {
    // A refusal (401, 403, 404…): an ordinary response, body and all.
    backend.end(res.status >= 500 ? 'failure' : 'success');
    return { status: res.status, headers: out, body: res.body.length === 0 ? null : res.body };
  }
  out.delete('content-length');
  if (isH1Client) {
    // RFC 6455 §4.2.2: the client checks the accept value of the key it sent; the backend
    // never saw that key, so the proxy answers for it.
    out.set('upgrade', 'websocket');
    out.set('sec-websocket-accept', webSocketAccept(key!.trim()));
  }
  const backendTunnel = res.tunnel;
  let clientTunnel: Tunnel;
  try {
    clientTunnel = await upgrade.accept(out);
  } catch {
    // The client is gone (or its connection cannot switch): nobody uses the backend stream.
    void backendTunnel.readable.cancel().catch(() => {});
    backend.end('neutral');
    return { status: 502, headers: out, body: null };
  }
  x.join(clientTunnel, backendTunnel);
  return { status: isH1Client ? 101 : 200, headers: out, body: null };
}

function plain(status: number, body: string): Response {
  return {
    status,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body,
  };
}
