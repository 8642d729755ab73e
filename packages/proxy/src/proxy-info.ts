/**
 * What the reverse proxy did with a request, for access logs and metrics: the backend, the
 * attempts and, for a failed exchange, the error code naming the cause.
 */
import type { Request } from '@rws/core';
import type { ProxyErrorCode } from './errors.js';

/** The proxy's record of one request. */
export interface ProxyInfo {
  /** The upstream's name (or the single backend URL). */
  readonly upstream: string;
  /** The backend of the last attempt, or null when none was available. */
  backend: string | null;
  /** Attempts sent to backends (1 + retries). */
  attempts: number;
  /** The cause of a proxy error (502/503/504 or a response cut short), or null. */
  error: ProxyErrorCode | null;
  /** A human-readable detail of `error` (never sent to the client). */
  errorDetail: string | null;
  /** Milliseconds until the backend's response head arrived, or -1. */
  upstreamHeadersMs: number;
}

const infos = new WeakMap<Request, ProxyInfo>();

/**
 * The proxy's record of `req`, or undefined when no reverse proxy handled it. An access log
 * reads `error` after the response body finished (a body timeout is known only then).
 */
export function getProxyInfo(req: Request): ProxyInfo | undefined {
  return infos.get(req);
}

/** @internal */
export function setProxyInfo(req: Request, info: ProxyInfo): void {
  infos.set(req, info);
}
