/**
 * A WebSocket opened by an HTTP/2 or HTTP/3 client with extended CONNECT (RFC 8441, RFC 9220)
 * relayed to an HTTP/1.1 backend as the RFC 6455 handshake (GET with `Upgrade: websocket`
 * and a key of the proxy's own): the backend's 101 becomes the client's 200, and the frames
 * cross unchanged (both forms carry the same WebSocket frames once open, RFC 8441 §5).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Headers, Request, Upgrade } from '@rws/core';
import type { ClientResponse } from '@rws/http1';

/** The GUID Sec-WebSocket-Accept is derived with (RFC 6455 §1.3). */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The request's upgrade when it is an extended CONNECT for `websocket`, else null. */
export function webSocketConnect(req: Request): Upgrade | null {
  const upgrade = req.upgrade;
  return req.method === 'CONNECT' &&
    upgrade !== undefined &&
    upgrade.kind === 'connect' &&
    upgrade.protocol === 'websocket'
    ? upgrade
    : null;
}

/**
 * Turns the forwarded header section of an extended CONNECT into the HTTP/1.1 handshake's
 * (RFC 8441 §4: `Sec-WebSocket-Version`, `-Protocol` and `-Extensions` keep their meaning and
 * are already among `headers`; `Sec-WebSocket-Key` has no h2 form, so the proxy makes one).
 * Returns the key, to check the backend's `Sec-WebSocket-Accept` with.
 */
export function toWebSocketHandshake(headers: Headers): string {
  const key = randomBytes(16).toString('base64');
  headers.set('upgrade', 'websocket');
  headers.set('connection', 'upgrade');
  headers.set('sec-websocket-key', key);
  if (!headers.has('sec-websocket-version')) headers.set('sec-websocket-version', '13');
  return key;
}

/** The Sec-WebSocket-Accept value for a handshake `key` (RFC 6455 §4.2.2). */
export function webSocketAccept(key: string): string {
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
}

/**
 * Why the backend's 101 does not complete the handshake the proxy started with `key`, or null
 * when it does (RFC 6455 §4.1: `Upgrade: websocket` and the accept value derived from the key).
 */
export function badWebSocketAnswer(res: ClientResponse, key: string): string | null {
  if (!/(^|,)\s*websocket\s*(,|$)/i.test(res.headers.getAll('upgrade').join(','))) {
    return 'the backend switched to a protocol other than websocket';
  }
  if (res.headers.get('sec-websocket-accept') !== webSocketAccept(key)) {
    return 'the backend answered the WebSocket handshake with a wrong Sec-WebSocket-Accept';
  }
  return null;
}

/**
 * Removes from the backend's 101 fields those of the HTTP/1.1 handshake, for the client's 200
 * (RFC 8441 §5): `Upgrade` and `Connection` are connection-specific on h2 and h3, and there is
 * no key to accept.
 */
export function toConnectAnswer(headers: Headers): Headers {
  return headers.delete('upgrade').delete('connection').delete('sec-websocket-accept');
}
