/**
 * 103 Early Hints (RFC 8297) for handlers written against `@rws/http1` before core had
 * `req.sendInformational()`. It is a thin wrapper over that capability, so it works on every
 * transport that implements it.
 */
import type { HeadersInit, Request } from '@rws/core';

/**
 * Sends `103 Early Hints` with `headers` (typically `Link: </style.css>; rel=preload`) before
 * the final response: `req.sendInformational?.(103, headers) ?? false`. Returns false, sending
 * nothing, when the transport does not support 1xx, the final response has started, the
 * request is over, or the client speaks HTTP/1.0 (RFC 9110 §15.2). May be called more than once.
 *
 * @deprecated Call `req.sendInformational?.(103, headers)`, which every transport implements.
 * @see RFC 8297, RFC 9110 §15.2
 * @example
 * ```ts
 * import { Headers, type Handler } from '@rws/core';
 * import { writeEarlyHints } from '@rws/http1';
 *
 * const handler: Handler = async (req) => {
 *   writeEarlyHints(req, { link: '</app.css>; rel=preload; as=style' });
 *   return { status: 200, headers: new Headers({ 'content-type': 'text/html' }), body: '<!doctype html>' };
 * };
 * ```
 */
export function writeEarlyHints(req: Request, headers: HeadersInit): boolean {
  return req.sendInformational?.(103, headers) ?? false;
}
