/** The HTTP-level checks of the transport: media types, Origin and Host, error bodies. */
import { json, normalizeHost, type Request, type Response } from '@rws/core';
import { errorResponse, JSON_RPC_ERRORS, type RequestId } from '../json-rpc.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function isLoopbackAddress(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.');
}

export function mediaTypes(header: string | null): string[] {
  if (!header) return [];
  return header.split(',').map((p) => (p.split(';')[0] ?? '').trim().toLowerCase());
}

export function accepts(header: string | null, type: string): boolean {
  const [major] = type.split('/');
  return mediaTypes(header).some((t) => t === type || t === '*/*' || t === `${major}/*`);
}

/** An HTTP error whose body is a JSON-RPC error, as the SDKs answer transport failures. */
export function rpcError(
  status: number,
  code: number,
  message: string,
  id: RequestId | null = null,
): Response {
  return json(errorResponse(id, code, message), { status });
}

/**
 * The DNS-rebinding defence (spec "Security Warning"): Host and Origin must be expected ones.
 * Returns the 403 to send, or null.
 */
export function createOriginGuard(
  allowedOrigins: ReadonlySet<string>,
  allowedHosts: ReadonlySet<string>,
): (req: Request) => Response | null {
  const refuse = (what: string) =>
    rpcError(403, JSON_RPC_ERRORS.SERVER_ERROR, `${what} is not allowed`);
  return (req) => {
    const host = normalizeHost(req.authority ?? '');
    const loopback = isLoopbackAddress(req.conn.localAddress);
    if (!allowedHosts.has('*')) {
      // On a loopback listener only loopback names are valid: a rebinding page reaches us
      // under its own host name, which is what this refuses.
      if (loopback && !LOOPBACK_HOSTS.has(host) && !allowedHosts.has(host)) {
        return refuse(`Host ${host}`);
      }
      if (!loopback && allowedHosts.size > 0 && !allowedHosts.has(host)) {
        return refuse(`Host ${host}`);
      }
    }
    const origin = req.headers.get('origin');
    if (origin === null || allowedOrigins.has('*') || allowedOrigins.has(origin)) return null;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return refuse(`Origin ${origin}`);
    }
    const originHost = normalizeHost(url.host);
    const sameOrigin = url.host.toLowerCase() === (req.authority ?? '').toLowerCase();
    const ok = loopback ? LOOPBACK_HOSTS.has(normalizeHost(url.hostname)) : sameOrigin;
    if (!ok || originHost === '') return refuse(`Origin ${origin}`);
    return null;
  };
}
