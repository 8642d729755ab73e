/**
 * HTTP/1.1 `Upgrade: h2c` (RFC 7540 §3.2): which requests may switch a cleartext connection
 * to HTTP/2, and the HTTP/2 field list their request becomes on stream 1. RFC 9113 §3.1
 * deprecates this upgrade; it stays opt-in for clients that still start with it
 * (`curl --http2`, `nghttp -u`).
 */
import type { Request } from '@rws/core';
import { isConnectionSpecific } from './request-fields.js';

/**
 * The decoded `HTTP2-Settings` payload when `req` may be upgraded to h2c, else null (the
 * request is then answered over HTTP/1.1, as RFC 9110 §7.8 allows for any ignored Upgrade).
 *
 * An upgrade needs, per RFC 7540 §3.2 and §3.2.1: an HTTP/1.1 `Upgrade` offer naming `h2c`
 * on a cleartext connection (the HTTP/1.1 server offers none for requests with content);
 * exactly one `HTTP2-Settings` field of base64url holding whole settings (6 octets each);
 * `HTTP2-Settings` listed in `Connection`; an origin-form (or `*`) request target.
 */
export function h2cUpgradeSettings(req: Request): Buffer | null {
  const offer = req.upgrade;
  if (offer === undefined || offer.kind !== 'upgrade' || offer.protocol === null) return null;
  if (!hasToken(offer.protocol, 'h2c') || req.conn.tls !== null) return null;
  const values = req.headers.getAll('http2-settings');
  if (values.length !== 1) return null;
  if (!hasToken(req.headers.get('connection') ?? '', 'http2-settings')) return null;
  const target = req.target;
  if (target.charCodeAt(0) !== 0x2f && target !== '*') return null;
  return decodeSettings(values[0]!);
}

/** The HTTP/2 request fields of an upgraded HTTP/1.1 request: pseudo-headers, then the rest. */
export function upgradedRequestFields(req: Request): string[] {
  const fields = [':method', req.method, ':scheme', 'http'];
  const host = req.headers.get('host');
  if (host !== null) fields.push(':authority', host);
  fields.push(':path', req.target);
  for (const [name, value] of req.headers) {
    // Hop-by-hop fields of the HTTP/1.1 request do not cross into HTTP/2 (RFC 9113 §8.2.2).
    if (name === 'host' || name === 'http2-settings' || isConnectionSpecific(name)) continue;
    if (name === 'te' && value !== 'trailers') continue;
    fields.push(name, value);
  }
  return fields;
}

/** Decodes a token68 base64url value (RFC 7540 §3.2.1); null unless it is whole settings. */
function decodeSettings(value: string): Buffer | null {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--; // trailing '=' padding
  for (let i = 0; i < end; i++) {
    const ch = value.charCodeAt(i);
    const isBase64Url =
      (ch >= 0x41 && ch <= 0x5a) || // A-Z
      (ch >= 0x61 && ch <= 0x7a) || // a-z
      (ch >= 0x30 && ch <= 0x39) || // 0-9
      ch === 0x2d || // -
      ch === 0x5f; // _
    if (!isBase64Url) return null;
  }
  const payload = Buffer.from(value.slice(0, end), 'base64url');
  return payload.length % 6 === 0 ? payload : null;
}

/** True when the comma-separated `list` holds `token` (case-insensitive). */
function hasToken(list: string, token: string): boolean {
  for (const part of list.split(',')) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}
