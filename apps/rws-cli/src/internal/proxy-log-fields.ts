/**
 * The gateway's access-log fields: what the reverse proxy recorded about a request, so a 502
 * or 504 line names its cause (issue #10).
 */
import { defineLogFields } from '@rws/middleware/access-log';
import { getProxyInfo } from '@rws/proxy';

/**
 * `upstream`, `backend`, `attempts`, `proxy_error` (an `RWS_PROXY_*` code or null) and
 * `upstream_header_ms` (null when no response head arrived) for a request the proxy handled;
 * nothing for any other request. Read when the line is written, after the body finished, so
 * a body timeout is included. The keys are declared once: a JSON line reads only the values.
 */
export const proxyLogFields = defineLogFields(
  ['upstream', 'backend', 'attempts', 'proxy_error', 'upstream_header_ms'],
  (req) => {
    const info = getProxyInfo(req);
    if (info === undefined) return null;
    return [
      info.upstream,
      info.backend,
      info.attempts,
      info.error,
      info.upstreamHeadersMs < 0 ? null : Math.round(info.upstreamHeadersMs * 1000) / 1000,
    ];
  },
);
