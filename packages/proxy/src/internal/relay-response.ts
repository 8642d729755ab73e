/**
 * The backend's response, relayed to the client: hop-by-hop fields dropped (plus `Via`), a body
 * that came whole with the head handed over as bytes, any other body streamed with the
 * backend's trailers, and the backend's outcome recorded when the body has been relayed.
 */
import { type AbortSignalLike, Headers, type Request, type Response } from '@rws/core';
import type { ClientResponse } from '@rws/http1';
import { ERROR_CODES } from '../errors.js';
import type { ProxyInfo } from '../proxy-info.js';
import type { Backend } from '../upstream.js';
import { forwardResponseHeaders } from './forwarding.js';
import { classify } from './proxy-failure.js';

/** The client's response for a backend response head; `via` is the Via pseudonym or null. */
export function relayResponse(
  req: Request,
  res: ClientResponse,
  backend: Backend,
  isServerError: boolean,
  info: ProxyInfo,
  client: AbortSignalLike,
  total: AbortSignal | null,
  via: string | null,
): Response {
  const headers = forwardResponseHeaders(res.headers, res.protocol, via);
  const status = res.status;
  // A body that arrived whole with its head (most small responses) is handed over as bytes:
  // the server writes head and body at once, with no stream to pump.
  const bytes = res.takeBufferedBody();
  if (bytes !== null) {
    backend.end(isServerError ? 'failure' : 'success');
    if (req.method === 'HEAD' || status === 204 || status === 304) {
      return { status, headers, body: null };
    }
    const trailerFields = res.trailers;
    if (trailerFields !== null && trailerFields.size > 0) {
      return { status, headers, body: bytes, trailers: trailerFields };
    }
    return { status, headers, body: bytes };
  }
  const hasNoBody =
    req.method === 'HEAD' || status === 204 || status === 304 || res.body.length === 0;
  if (hasNoBody) {
    // No body bytes follow; reading the empty body gives the socket back to the pool.
    void res.body.bytes({ limit: 0 }).catch(() => {});
    backend.end(isServerError ? 'failure' : 'success');
    return { status, headers, body: null };
  }
  // Only a chunked upstream response can carry trailers; a Content-Length one is relayed as is.
  const trailers = res.body.length === null ? new Headers() : null;
  const body = streamBody(res, trailers, backend, isServerError, info, client, total);
  return trailers === null ? { status, headers, body } : { status, headers, body, trailers };
}

/**
 * The backend's body as the client's, then its trailers into `trailers`. Its own function (not
 * a generator nested in `relayResponse`): a nested one would make every response, the
 * buffered ones too, allocate a context for the variables it closes over.
 */
async function* streamBody(
  res: ClientResponse,
  trailers: Headers | null,
  backend: Backend,
  isServerError: boolean,
  info: ProxyInfo,
  client: AbortSignalLike,
  total: AbortSignal | null,
): AsyncGenerator<Uint8Array> {
  let outcome: 'success' | 'failure' | 'neutral' = 'neutral';
  try {
    for await (const chunk of res.body) yield chunk;
    // Trailer fields arrive after the body: the transport sends them at the end of a
    // chunked response when the object is filled in time (RFC 9110 §6.5).
    if (trailers !== null && res.trailers !== null) {
      const list = res.trailers.toList();
      for (let i = 0; i < list.length; i += 2) trailers.append(list[i]!, list[i + 1]!);
    }
    outcome = isServerError ? 'failure' : 'success';
  } catch (err) {
    const code = classify(err, client, total);
    info.error = code;
    info.errorDetail = err instanceof Error ? err.message : String(err);
    outcome = code === ERROR_CODES.CLIENT_ABORTED ? 'neutral' : 'failure';
    throw err;
  } finally {
    backend.end(outcome);
  }
}
