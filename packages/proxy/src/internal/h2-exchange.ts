/**
 * One proxied exchange with an HTTP/2 backend (`h2:`, `h2s:`, `grpc:`, `grpcs:`) through the
 * upstream's `Http2Client`, or with an HTTP/3 backend (`h3:`) through its HTTP/3 client: bodies stream both ways with flow control, trailers pass both
 * ways (late response trailers for gRPC's `grpc-status`), and the proxy's timeouts apply.
 */
import {
  type Headers,
  isRwsError,
  type Request,
  type Response,
  RwsError,
  withoutHopByHop,
} from '@rws/core';
import type { ClientResponse } from '@rws/h2';
import { ERROR_CODES, type ProxyErrorCode } from '../errors.js';
import type { ProxyInfo } from '../proxy-info.js';
import type { Backend } from '../upstream.js';
import { grpcStatusFields, isGrpcRequest } from './grpc.js';

/** What `exchangeH2` needs from the reverse proxy. */
export interface H2Exchange {
  readonly req: Request;
  readonly backend: Backend;
  /** Path and query, already rewritten. */
  readonly path: string;
  /** Forwarded request headers (hop-by-hop fields removed). */
  readonly headers: Headers;
  /** The client's signal, combined with the exchange's deadline. */
  readonly signal: AbortSignal;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** The Via pseudonym, or null to add none. */
  readonly via: string | null;
  readonly info: ProxyInfo;
  readonly startedAt: number;
  /** The proxy's cause code for an error while the response body streams. */
  classify(err: unknown): ProxyErrorCode;
  /** The proxy's message for a cause code (sent as `grpc-message`). */
  message(code: ProxyErrorCode): string;
}

function proxyError(code: ProxyErrorCode, message: string, cause?: unknown): RwsError {
  return new RwsError(code, message, cause === undefined ? undefined : { cause });
}

/** Maps an `Http2Client` failure before the response head to the proxy's cause. */
export function toProxyError(err: unknown): unknown {
  if (!isRwsError(err)) return err;
  const message = err.message;
  switch (err.code) {
    case 'RWS_H2_CONNECT_FAILED': {
      const cause = (err as { cause?: unknown }).cause;
      const isTimeout = cause instanceof Error && cause.message.startsWith('connect timeout');
      return proxyError(
        isTimeout ? ERROR_CODES.CONNECT_TIMEOUT : ERROR_CODES.CONNECT_FAILED,
        message,
        err,
      );
    }
    case 'RWS_H2_STREAM_RESET':
    case 'RWS_H3_STREAM_RESET':
    case 'RWS_H3_REQUEST_REJECTED':
    case 'RWS_H3_PEER_CLOSED':
    case 'RWS_H3_IDLE_TIMEOUT':
      return proxyError(ERROR_CODES.UPSTREAM_RESET, message, err);
    case 'RWS_H2_PROTOCOL_ERROR':
    case 'RWS_H2_COMPRESSION_ERROR':
    case 'RWS_H2_FRAME_SIZE_ERROR':
    case 'RWS_H2_HEADER_LIST_TOO_LARGE':
    case 'RWS_H2_INVALID_RESPONSE':
    case 'RWS_H3_HTTP3_ERROR':
    case 'RWS_H3_QPACK_ERROR':
    case 'RWS_H3_FIELD_SECTION_TOO_LARGE':
    // The backend does not take WebSockets over h2 (no SETTINGS_ENABLE_CONNECT_PROTOCOL).
    case 'RWS_H2_CONNECT_PROTOCOL_UNSUPPORTED':
      return proxyError(ERROR_CODES.INVALID_RESPONSE, message, err);
    default:
      return err;
  }
}

/** True when the client asked for trailers (`TE: trailers`) or speaks a protocol that has them. */
function wantsTrailers(req: Request): boolean {
  if (req.protocol === 'h2' || req.protocol === 'h3') return true;
  for (const value of req.headers.getAll('te')) {
    for (const part of value.split(',')) {
      if (part.split(';')[0]!.trim().toLowerCase() === 'trailers') return true;
    }
  }
  return false;
}

/**
 * Sends the request to an HTTP/2 backend. Resolves with the response to relay once its head
 * arrived; rejects (with a proxy cause code for backend failures) before that, so the caller
 * can retry another backend. After it resolves, the exchange reports its own outcome to
 * `backend.end()`.
 */
export async function exchangeH2(x: H2Exchange): Promise<Response> {
  const { req, backend, info } = x;
  const isGrpc = isGrpcRequest(req);
  const headers = x.headers;
  // gRPC servers require `te: trailers` (the hop-by-hop filter removed the client's).
  if (isGrpc || wantsTrailers(req)) headers.set('te', 'trailers');
  const length = req.body.length;
  if (length !== null && length > 0) headers.set('content-length', String(length));
  const abort = new AbortController();
  const signal = AbortSignal.any([x.signal, abort.signal]);
  const headTimer = setTimeout(() => {
    abort.abort(proxyError(ERROR_CODES.HEADERS_TIMEOUT, 'the backend did not answer in time'));
  }, x.headersTimeoutMs);
  let res: ClientResponse;
  try {
    res = await (backend.h2 ?? backend.h3)!.request(`${backend.origin}${x.path}`, {
      method: req.method,
      headers,
      body: length === 0 ? null : req.body,
      signal,
      trailers: () => req.trailers,
    });
  } catch (err) {
    // Our own head timer, else whatever the client or the deadline did, else the backend.
    if (abort.signal.aborted && !x.signal.aborted) throw abort.signal.reason;
    throw toProxyError(err);
  } finally {
    clearTimeout(headTimer);
  }
  info.upstreamHeadersMs = Date.now() - x.startedAt;
  const out = withoutHopByHop(res.headers);
  if (x.via !== null) out.append('via', `2 ${x.via}`);
  const status = res.status;
  const isServerError = status >= 500;
  if (req.method === 'HEAD' || status === 204 || status === 304 || res.body.length === 0) {
    // Also a gRPC "trailers-only" answer: its grpc-status is in this one header block.
    res.body.cancel();
    backend.end(isServerError ? 'failure' : 'success');
    return { status, headers: out, body: null };
  }
  const offersTrailers = wantsTrailers(req);
  // An HTTP/1.1 client gets trailers only in a chunked body.
  if (offersTrailers && req.protocol !== 'h2' && req.protocol !== 'h3')
    out.delete('content-length');
  let failure: Headers | null = null;
  async function* stream(): AsyncGenerator<Uint8Array> {
    let outcome: 'success' | 'failure' | 'neutral' = 'neutral';
    const it = res.body[Symbol.asyncIterator]();
    try {
      for (;;) {
        let timer: NodeJS.Timeout | undefined;
        const idle = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            const err = proxyError(ERROR_CODES.BODY_TIMEOUT, 'the backend response stalled');
            abort.abort(err);
            reject(err);
          }, x.bodyTimeoutMs);
        });
        const step = await Promise.race([it.next(), idle]).finally(() => clearTimeout(timer));
        if (step.done === true) break;
        yield step.value;
      }
      outcome = isServerError ? 'failure' : 'success';
    } catch (err) {
      const code = x.classify(abort.signal.aborted ? abort.signal.reason : err);
      info.error = code;
      info.errorDetail = err instanceof Error ? err.message : String(err);
      outcome = code === ERROR_CODES.CLIENT_ABORTED ? 'neutral' : 'failure';
      // A gRPC client learns of a broken stream from grpc-status, not from a reset.
      if (!isGrpc || !offersTrailers || code === ERROR_CODES.CLIENT_ABORTED) throw err;
      failure = grpcStatusFields(code, x.message(code));
    } finally {
      // A client that went away (or a failure above) resets the upstream stream.
      if (outcome === 'neutral' || failure !== null) abort.abort();
      backend.end(outcome);
    }
  }
  if (!offersTrailers) return { status, headers: out, body: stream() };
  return { status, headers: out, body: stream(), trailers: () => failure ?? res.trailers() };
}
