/**
 * Hop-by-hop (connection-specific) header fields: they describe one connection, not the
 * message, so an intermediary never forwards them (RFC 9110 §7.6.1).
 */
import { Headers } from './headers.js';

/**
 * The fields that are always hop-by-hop: RFC 9110 §7.6.1 names `Connection`, `Proxy-Connection`,
 * `Keep-Alive`, `TE`, `Transfer-Encoding` and `Upgrade`; `Trailer` announces a chunked-coding
 * detail of one hop, and `Proxy-Authenticate` / `Proxy-Authorization` are consumed by the proxy
 * they address (RFC 9110 §11.7).
 */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * The hop-by-hop field names of a message: `HOP_BY_HOP_HEADERS` plus every field named in its
 * `Connection` header (lower-cased). `Connection: close, x-secret` makes `x-secret` hop-by-hop.
 *
 * @see RFC 9110 §7.6.1
 */
export function hopByHopFields(headers: Headers): ReadonlySet<string> {
  const values = headers.getAll('connection');
  // The common case (no Connection field) allocates nothing.
  if (values.length === 0) return HOP_BY_HOP_HEADERS;
  const names = new Set(HOP_BY_HOP_HEADERS);
  for (const value of values) {
    for (const part of value.split(',')) {
      const name = part.trim().toLowerCase();
      if (name.length > 0) names.add(name);
    }
  }
  return names;
}

/**
 * A copy of `headers` without its hop-by-hop fields (`hopByHopFields`), for forwarding a
 * message to the next hop.
 */
export function withoutHopByHop(headers: Headers): Headers {
  const drop = hopByHopFields(headers);
  const list = headers.toList();
  const out: string[] = [];
  for (let i = 0; i < list.length; i += 2) {
    if (!drop.has(list[i]!)) out.push(list[i]!, list[i + 1]!);
  }
  return Headers.fromTrustedList(out);
}
