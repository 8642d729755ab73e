import { type Body, createRequest, type Headers, type Request } from '@rws/core';

/** What a middleware may change when it hands a request on. */
export interface RequestChanges {
  target?: string;
  headers?: Headers;
  body?: Body;
  signal?: AbortSignal;
}

/**
 * A copy of `req` with some fields replaced. Core requests are read-only so a middleware
 * never changes what an outer one already looked at; params carry over.
 */
export function deriveRequest(req: Request, changes: RequestChanges): Request {
  return createRequest({
    method: req.method,
    target: changes.target ?? req.target,
    headers: changes.headers ?? req.headers,
    body: changes.body ?? req.body,
    protocol: req.protocol,
    conn: req.conn,
    signal: changes.signal ?? req.signal,
    params: req.params,
    // Transport capabilities belong to the connection, not to what the middleware changed:
    // dropping them would turn a WebSocket handshake into a plain GET further in.
    authority: req.authority,
    scheme: req.scheme,
    sendInformational: req.sendInformational,
    upgrade: req.upgrade,
    halfClose: req.halfClose,
  });
}
