import { Headers, type Request, type Response } from '@rws/core';
import { acceptKey, isValidKey, splitTokens } from './handshake.js';
import { type DeflateOptions, negotiateDeflate, PerMessageDeflate } from './permessage-deflate.js';
import { joinGroup, WebSocket, type WebSocketHandlers, withSettings } from './web-socket.js';

/** How a route checks the Origin of a browser's handshake (RFC 6455 §10.2). */
export type OriginCheck = true | readonly string[] | ((origin: string, req: Request) => boolean);

/** Options of `upgradeWebSocket`. */
export interface UpgradeWebSocketOptions extends WebSocketHandlers {
  /** Called once the 101 is sent and the socket is open. */
  readonly onOpen?: ((ws: WebSocket) => unknown) | undefined;
  /**
   * Subprotocols the route speaks, in order of preference; the first the client also offers
   * is chosen. Without a match no Sec-WebSocket-Protocol is sent (the client decides).
   */
  readonly protocols?: readonly string[] | undefined;
  /** Largest message and frame accepted, after inflation (1009 past it). Default 16 MiB. */
  readonly maxMessageBytes?: number | undefined;
  /** Offer permessage-deflate (RFC 7692) when the client asks: true or settings. Default off. */
  readonly deflate?: boolean | DeflateOptions | undefined;
  /**
   * Check the Origin header when present: `true` = same origin as the request's authority,
   * a list of allowed origins (`https://app.example`), or a predicate. A mismatch answers 403.
   * Requests without Origin (non-browser clients) pass. Default: no check.
   */
  readonly origin?: OriginCheck | undefined;
  /** Ping interval for keepalive (0 = off). Default 30000. */
  readonly pingIntervalMs?: number | undefined;
  /** Drop the connection when a Pong does not come within this. Default 10000. */
  readonly pongTimeoutMs?: number | undefined;
  /** Drop the connection when the closing handshake takes longer. Default 5000. */
  readonly closeTimeoutMs?: number | undefined;
}

/**
 * Answers a WebSocket handshake from an ordinary route handler (RFC 6455 §4.2; RFC 8441 for
 * extended CONNECT on HTTP/2). The App's middleware has already run, as for any request.
 * A valid handshake is accepted with 101 (or 200 on h2) and the socket opens; an invalid one
 * is answered with an ordinary HTTP response: 426 + `Upgrade: websocket` when the request is
 * no upgrade, 426 + `Sec-WebSocket-Version: 13` for another version, 405 for a method other
 * than GET, 400 for a bad key or Connection header, 403 when the Origin check fails.
 * On server shutdown (`req.drain`) the socket closes with 1001.
 *
 * @example
 * ```ts
 * import { createServer } from '@rws/http1';
 * import { upgradeWebSocket } from '@rws/http1/websocket';
 *
 * createServer((req) =>
 *   upgradeWebSocket(req, { onMessage: (message, ws) => ws.send(message) }),
 * );
 * ```
 */
export async function upgradeWebSocket(
  req: Request,
  options: UpgradeWebSocketOptions = {},
): Promise<Response> {
  const refusal = checkHandshake(req, options);
  if (refusal !== null) return refusal;
  const upgrade = req.upgrade;
  if (upgrade === undefined) return refuse(426, 'a WebSocket handshake is required', req);
  const isH1 = upgrade.kind === 'upgrade';
  const headers = new Headers();
  if (isH1) {
    headers.set('upgrade', 'websocket');
    headers.set('connection', 'Upgrade');
    headers.set('sec-websocket-accept', acceptKey(req.headers.get('sec-websocket-key') ?? ''));
  }
  const offered = splitTokens(req.headers.get('sec-websocket-protocol'), false);
  const protocol = options.protocols?.find((p) => offered.includes(p)) ?? '';
  if (protocol !== '') headers.set('sec-websocket-protocol', protocol);
  let deflate: PerMessageDeflate | null = null;
  let extensions = '';
  if (options.deflate !== undefined && options.deflate !== false) {
    const settings = options.deflate === true ? {} : options.deflate;
    const agreed = negotiateDeflate(req.headers.get('sec-websocket-extensions'), settings);
    if (agreed !== null) {
      deflate = new PerMessageDeflate(agreed.params, true, settings.thresholdBytes);
      extensions = agreed.response;
      headers.set('sec-websocket-extensions', extensions);
    }
  }
  const tunnel = await upgrade.accept(headers);
  // The socket keeps the route's options object itself, not a copy (memory per idle socket).
  const ws = withSettings(tunnel, { isServer: true, protocol, extensions, deflate }, options);
  closeOnDrain(ws, req.drain);
  if (options.onOpen !== undefined) {
    try {
      const result = options.onOpen(ws);
      if (result instanceof Promise) result.catch((err: unknown) => failOpen(ws, options, err));
    } catch (err) {
      failOpen(ws, options, err);
    }
  }
  return { status: isH1 ? 101 : 200, headers, body: null };
}

/**
 * Open sockets per drain signal, closed with 1001 on server shutdown by one listener per
 * signal rather than a closure per socket that would keep its request alive (issue #14).
 */
const drainGroups = new WeakMap<AbortSignal, Set<WebSocket>>();

function closeOnDrain(ws: WebSocket, drain: AbortSignal): void {
  if (drain.aborted) {
    closeForShutdown(ws);
    return;
  }
  let group = drainGroups.get(drain);
  if (group === undefined) {
    const sockets = new Set<WebSocket>();
    group = sockets;
    drainGroups.set(drain, sockets);
    const onDrain = (): void => {
      for (const socket of [...sockets]) closeForShutdown(socket);
    };
    drain.addEventListener('abort', onDrain, { once: true });
  }
  joinGroup(ws, group);
}

function closeForShutdown(ws: WebSocket): void {
  if (ws.readyState === WebSocket.OPEN) ws.close(1001, 'server shutting down').catch(noop);
}

function failOpen(ws: WebSocket, options: UpgradeWebSocketOptions, err: unknown): void {
  options.onError?.(err, ws);
  if (ws.readyState === WebSocket.OPEN) ws.close(1011, 'internal error').catch(noop);
}

/** Validates the handshake (RFC 6455 §4.2.1); returns the refusal, or null when it is valid. */
function checkHandshake(req: Request, options: UpgradeWebSocketOptions): Response | null {
  const upgrade = req.upgrade;
  const isExtendedConnect = upgrade?.kind === 'connect' && upgrade.protocol === 'websocket';
  if (!isExtendedConnect) {
    const asksWebSocket = splitTokens(req.headers.get('upgrade'), true).includes('websocket');
    if (!asksWebSocket) return refuse(426, 'this resource speaks WebSocket only', req);
    if (req.method !== 'GET') {
      const res = refuse(405, `a WebSocket handshake must be GET, not ${req.method}`);
      res.headers.set('allow', 'GET');
      return res;
    }
    if (!splitTokens(req.headers.get('connection'), true).includes('upgrade')) {
      return refuse(400, 'a WebSocket handshake needs Connection: Upgrade');
    }
    if (upgrade === undefined) return refuse(400, 'the request cannot be upgraded');
  }
  if (req.headers.get('sec-websocket-version')?.trim() !== '13') {
    const res = refuse(426, 'only WebSocket version 13 is supported', req);
    res.headers.set('sec-websocket-version', '13');
    return res;
  }
  if (!isExtendedConnect && !isValidKey(req.headers.get('sec-websocket-key')?.trim() ?? '')) {
    return refuse(400, 'Sec-WebSocket-Key must be base64 of 16 bytes');
  }
  const origin = req.headers.get('origin');
  if (
    options.origin !== undefined &&
    origin !== null &&
    !isOriginAllowed(origin, req, options.origin)
  ) {
    return refuse(403, 'the Origin is not allowed to open this WebSocket');
  }
  return null;
}

function isOriginAllowed(origin: string, req: Request, check: OriginCheck): boolean {
  if (typeof check === 'function') return check(origin, req);
  if (check === true) {
    if (req.authority === null) return false;
    try {
      return new URL(origin).origin === new URL(`${req.scheme}://${req.authority}`).origin;
    } catch {
      return false;
    }
  }
  return check.includes(origin);
}

function refuse(status: number, message: string, req?: Request): Response {
  const headers = new Headers({ 'content-type': 'text/plain; charset=utf-8' });
  // Upgrade and Connection are HTTP/1.1 fields; h2 and h3 forbid them (RFC 9113 §8.2.2).
  if (status === 426 && (req === undefined || req.protocol.startsWith('http/1'))) {
    headers.set('upgrade', 'websocket');
    headers.set('connection', 'Upgrade');
  }
  return { status, headers, body: `${message}\n` };
}

function noop(): void {}
