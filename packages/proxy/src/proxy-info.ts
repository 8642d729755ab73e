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

/**
 * The record rides on the request under a symbol (state attached to a foreign object): one
 * property store per request, where a WeakMap entry cost an ephemeron-table insert and GC work.
 */
const kProxyInfo: unique symbol = Symbol('rws.proxy.info');

interface WithProxyInfo {
  [kProxyInfo]?: ProxyInfo;
}

/**
 * The proxy's record of `req`, or undefined when no reverse proxy handled it. An access log
 * reads `error` after the response body finished (a body timeout is known only then).
 */
export function getProxyInfo(req: Request): ProxyInfo | undefined {
  return (req as Request & WithProxyInfo)[kProxyInfo];
}

/** @internal */
export function setProxyInfo(req: Request, info: ProxyInfo): void {
  (req as Request & WithProxyInfo)[kProxyInfo] = info;
}
