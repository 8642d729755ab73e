/**
 * 103 Early Hints (RFC 8297) as a transport-neutral capability. A transport's `Request`
 * object carries a method under the registered symbol `Symbol.for('rws.earlyHints')`;
 * `writeEarlyHints()` calls it when present. `@rws/h2` and `@rws/h3` implement the same
 * symbol, so handlers call `writeEarlyHints(req, …)` without knowing the protocol.
 */
import { Headers, type HeadersInit, type Request } from '@rws/core';

/**
 * The symbol under which a transport's request offers
 * `(headers: Headers) => boolean`: send a 103 interim response, true when it was written.
 * Registered with `Symbol.for`, so every copy of every transport package agrees on it.
 */
export const EARLY_HINTS: unique symbol = Symbol.for('rws.earlyHints');

/** What a request that supports Early Hints looks like. */
export interface EarlyHintsCapable {
  [EARLY_HINTS](headers: Headers): boolean;
}

/**
 * Sends `103 Early Hints` with `headers` (typically `Link: </style.css>; rel=preload`) before
 * the final response. Returns false, sending nothing, when the transport does not support
 * it, the final response has started, the request is over, or the client speaks HTTP/1.0
 * (RFC 9110 §15.2: no 1xx to 1.0 clients). May be called more than once.
 *
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
  const send = (req as unknown as Partial<EarlyHintsCapable>)[EARLY_HINTS];
  if (typeof send !== 'function') return false;
  return send.call(req, headers instanceof Headers ? headers : new Headers(headers));
}
