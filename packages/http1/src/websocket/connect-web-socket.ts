import { randomBytes } from 'node:crypto';
import { Headers, type HeadersInit, RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { type ClientTlsOptions, createPool } from '../pool.js';
import { acceptKey, splitTokens } from './handshake.js';
import {
  acceptDeflateResponse,
  type DeflateOptions,
  deflateOffer,
  PerMessageDeflate,
} from './permessage-deflate.js';
import { WebSocket, type WebSocketHandlers } from './web-socket.js';

/** Options of `connectWebSocket`. */
export interface ConnectWebSocketOptions extends WebSocketHandlers {
  /** Subprotocols to offer (Sec-WebSocket-Protocol), in order of preference. */
  readonly protocols?: readonly string[] | undefined;
  /** Extra request header fields (Authorization, Origin, cookies). */
  readonly headers?: HeadersInit | undefined;
  /** Offer permessage-deflate (RFC 7692): true or settings. Default off. */
  readonly deflate?: boolean | DeflateOptions | undefined;
  /** Largest message and frame accepted, after inflation (1009 past it). Default 16 MiB. */
  readonly maxMessageBytes?: number | undefined;
  /** TLS settings for wss:// (CA, client certificate, servername). */
  readonly tls?: ClientTlsOptions | undefined;
  /** Aborts the handshake. */
  readonly signal?: AbortSignal | undefined;
  /** Time allowed to connect and receive the 101. Default 10000. */
  readonly handshakeTimeoutMs?: number | undefined;
  /** Ping interval for keepalive (0 = off). Default 0. */
  readonly pingIntervalMs?: number | undefined;
  /** Drop the connection when a Pong does not come within this. Default 10000. */
  readonly pongTimeoutMs?: number | undefined;
  /** Drop the connection when the closing handshake takes longer. Default 5000. */
  readonly closeTimeoutMs?: number | undefined;
}

/**
 * Opens a WebSocket to a `ws://` or `wss://` URL over the @rws/http1 client (RFC 6455 §4.1)
 * and resolves once the server has accepted the handshake. Rejects with
 * `RWS_HTTP1_WS_HANDSHAKE_FAILED` when the server answers other than a valid 101 (wrong
 * Sec-WebSocket-Accept, a subprotocol or extension that was not offered), and with the
 * client's connect errors (`RWS_HTTP1_CONNECT_FAILED`, `RWS_HTTP1_CONNECT_TIMEOUT`).
 *
 * @example
 * ```ts
 * import { connectWebSocket } from '@rws/http1/websocket';
 *
 * const ws = await connectWebSocket('ws://127.0.0.1:8080/echo');
 * await ws.send('hello');
 * for await (const message of ws) {
 *   console.log(message);
 *   break;
 * }
 * await ws.close();
 * ```
 */
export async function connectWebSocket(
  url: string | URL,
  options: ConnectWebSocketOptions = {},
): Promise<WebSocket> {
  const target = parseUrl(url);
  const key = randomBytes(16).toString('base64');
  const headers = new Headers(options.headers);
  headers.set('upgrade', 'websocket');
  headers.set('connection', 'Upgrade');
  headers.set('sec-websocket-key', key);
  headers.set('sec-websocket-version', '13');
  const offered = options.protocols ?? [];
  if (offered.length > 0) headers.set('sec-websocket-protocol', offered.join(', '));
  const deflateOptions =
    options.deflate === undefined || options.deflate === false
      ? null
      : options.deflate === true
        ? {}
        : options.deflate;
  if (deflateOptions !== null)
    headers.set('sec-websocket-extensions', deflateOffer(deflateOptions));
  const httpOrigin = `${target.protocol === 'wss:' ? 'https:' : 'http:'}//${target.host}`;
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const pool = createPool(httpOrigin, {
    maxSockets: 1,
    connectTimeoutMs: timeoutMs,
    headersTimeoutMs: timeoutMs,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  });
  try {
    const res = await pool.request({
      path: `${target.pathname}${target.search}`,
      headers,
      signal: options.signal,
    });
    const fail = (why: string): never => {
      res.tunnel?.writable.abort().catch(noop);
      throw new RwsError(
        ERROR_CODES.WS_HANDSHAKE_FAILED,
        `WebSocket handshake to ${target.host} failed: ${why}`,
      );
    };
    if (res.status !== 101 || res.tunnel === null) {
      await res.body.bytes().catch(noop);
      return fail(`the server answered ${res.status} instead of 101`);
    }
    if (!splitTokens(res.headers.get('upgrade'), true).includes('websocket')) {
      return fail('the 101 lacks Upgrade: websocket');
    }
    if (res.headers.get('sec-websocket-accept') !== acceptKey(key)) {
      return fail('Sec-WebSocket-Accept does not match the key');
    }
    const protocol = res.headers.get('sec-websocket-protocol') ?? '';
    if (protocol !== '' && !offered.includes(protocol)) {
      return fail(`the server chose a subprotocol that was not offered`);
    }
    const extensions = res.headers.get('sec-websocket-extensions') ?? '';
    let deflate: PerMessageDeflate | null = null;
    if (extensions !== '') {
      if (deflateOptions === null)
        return fail('the server chose an extension that was not offered');
      try {
        deflate = new PerMessageDeflate(
          acceptDeflateResponse(extensions, deflateOptions),
          false,
          deflateOptions.thresholdBytes,
        );
      } catch (err) {
        return fail((err as Error).message);
      }
    }
    return new WebSocket(res.tunnel, {
      isServer: false,
      protocol,
      extensions,
      deflate,
      maxMessageBytes: options.maxMessageBytes,
      pingIntervalMs: options.pingIntervalMs,
      pongTimeoutMs: options.pongTimeoutMs,
      closeTimeoutMs: options.closeTimeoutMs,
      onMessage: options.onMessage,
      onClose: options.onClose,
      onError: options.onError,
    });
  } finally {
    // The upgraded socket has left the pool; closing it only releases the pool itself.
    void pool.close();
  }
}

function parseUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RwsError(
      ERROR_CODES.WS_INVALID_ARGUMENT,
      'connectWebSocket needs an absolute ws:// or wss:// URL',
    );
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new RwsError(
      ERROR_CODES.WS_INVALID_ARGUMENT,
      `connectWebSocket needs a ws:// or wss:// URL, not ${parsed.protocol}`,
    );
  }
  if (parsed.hash !== '') {
    throw new RwsError(ERROR_CODES.WS_INVALID_ARGUMENT, 'a WebSocket URL has no fragment');
  }
  return parsed;
}

function noop(): void {}
