/**
 * The gateway's access-log fields: what the reverse proxy recorded about a request, so a 502
 * or 504 line names its cause (issue #10).
 */
import type { Request } from '@rws/core';
import { getProxyInfo } from '@rws/proxy';

/**
 * `upstream`, `backend`, `attempts`, `proxy_error` (an `RWS_PROXY_*` code or null) and
 * `upstream_header_ms` (null when no response head arrived) for a request the proxy handled;
 * nothing for any other request. Read when the line is written, after the body finished, so
 * a body timeout is included.
 */
export function proxyLogFields(req: Request): Record<string, string | number | null> | null {
  const info = getProxyInfo(req);
  if (info === undefined) return null;
  return {
    upstream: info.upstream,
    backend: info.backend,
    attempts: info.attempts,
    proxy_error: info.error,
    upstream_header_ms:
      info.upstreamHeadersMs < 0 ? null : Math.round(info.upstreamHeadersMs * 1000) / 1000,
  };
}
