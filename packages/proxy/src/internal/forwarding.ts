/**
 * The request header section a proxy sends on (RFC 9110 §7.6): hop-by-hop fields removed,
 * `X-Forwarded-*` or `Forwarded` (RFC 7239) extended or replaced, `Via` appended.
 */
import { type Headers, type Request, withoutHopByHop } from '@rws/core';

/** How the client's address, scheme and host are passed on. */
export type ForwardedMode = 'x-forwarded' | 'forwarded' | 'none';

export interface ForwardingPlan {
  readonly mode: ForwardedMode;
  readonly isTrusted: (address: string) => boolean;
  readonly preserveHost: boolean;
  /** The `Via` pseudonym, or null for no Via. */
  readonly via: string | null;
}

const FORWARDING_FIELDS = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded'];

/** The protocol-version part of Via (RFC 9110 §7.6.3). */
export function viaVersion(protocol: string): string {
  switch (protocol) {
    case 'http/1.0':
      return '1.0';
    case 'h2':
      return '2';
    case 'h3':
      return '3';
    default:
      return '1.1';
  }
}

/** A node name for Forwarded: IPv6 addresses are bracketed and quoted (RFC 7239 §6). */
function forwardedNode(address: string): string {
  return address.includes(':') ? `"[${address}]"` : address;
}

/** A Forwarded value token or quoted-string (RFC 7239 §4). */
function forwardedValue(value: string): string {
  return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value)
    ? value
    : `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/** Builds the header section for the backend. */
export function forwardRequestHeaders(req: Request, plan: ForwardingPlan): Headers {
  const headers = withoutHopByHop(req.headers);
  // The proxy frames the body itself from the request's own length.
  headers.delete('content-length');
  const host = req.headers.get('host') ?? '';
  if (!plan.preserveHost) headers.delete('host');
  if (plan.mode !== 'none') {
    const remote = req.conn.remoteAddress;
    // Only a trusted peer may tell us about earlier hops; anything else is spoofable.
    const trusted = plan.isTrusted(remote);
    const proto = req.conn.tls === null ? 'http' : 'https';
    if (plan.mode === 'x-forwarded') {
      const prior = trusted ? req.headers.getAll('x-forwarded-for').join(', ') : '';
      const priorProto = trusted ? req.headers.get('x-forwarded-proto') : null;
      const priorHost = trusted ? req.headers.get('x-forwarded-host') : null;
      for (const name of FORWARDING_FIELDS) headers.delete(name);
      headers.set('x-forwarded-for', prior === '' ? remote : `${prior}, ${remote}`);
      headers.set('x-forwarded-proto', priorProto ?? proto);
      if (priorHost !== null || host !== '') headers.set('x-forwarded-host', priorHost ?? host);
    } else {
      const prior = trusted ? req.headers.getAll('forwarded').join(', ') : '';
      for (const name of FORWARDING_FIELDS) headers.delete(name);
      let element = `for=${forwardedNode(remote)};proto=${proto}`;
      if (host !== '') element += `;host=${forwardedValue(host)}`;
      headers.set('forwarded', prior === '' ? element : `${prior}, ${element}`);
    }
  }
  if (plan.via !== null) headers.append('via', `${viaVersion(req.protocol)} ${plan.via}`);
  return headers;
}
