/**
 * The request header section a proxy sends on (RFC 9110 §7.6): hop-by-hop fields removed,
 * `X-Forwarded-*` or `Forwarded` (RFC 7239) extended or replaced, `Via` appended.
 */
import {
  Headers,
  HOP_BY_HOP_HEADERS,
  hopByHopFields,
  isHopByHopHeader,
  type Request,
} from '@rws/core';

/** How the client's address, scheme and host are passed on. */
export type ForwardedMode = 'x-forwarded' | 'forwarded' | 'none';

export interface ForwardingPlan {
  readonly mode: ForwardedMode;
  readonly isTrusted: (address: string) => boolean;
  readonly preserveHost: boolean;
  /** The `Via` pseudonym, or null for no Via. */
  readonly via: string | null;
}

/** The protocol-version part of Via (RFC 9110 §7.6.3). */
function viaVersion(protocol: string): string {
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

/**
 * The hop-by-hop names of `headers` when its Connection field adds some to the fixed ones
 * (`Connection: close, x-secret`), or null when `isHopByHopHeader` tells them all.
 */
function connectionExtras(headers: Headers): ReadonlySet<string> | null {
  const drop = hopByHopFields(headers);
  return drop === HOP_BY_HOP_HEADERS ? null : drop;
}

/**
 * Builds the header section for the backend in one pass over the client's fields (no copy,
 * delete and set rounds: this runs for every proxied request). Everything pushed here is
 * either a field the client's parser validated or a value built from the connection, so the
 * list is wrapped without validation; the Via pseudonym was validated with the options.
 */
export function forwardRequestHeaders(req: Request, plan: ForwardingPlan): Headers {
  const source = req.headers;
  // Null unless Connection names fields beyond the fixed hop-by-hop ones (rare): then the
  // fixed ones are told by `isHopByHopHeader`, cheaper than a Set lookup per field.
  const extra = connectionExtras(source);
  const list = source.toList();
  const mode = plan.mode;
  const isForwarding = mode !== 'none';
  const remote = req.conn.remoteAddress;
  // Only a trusted peer may tell us about earlier hops; anything else is spoofable.
  const trusted = isForwarding && plan.isTrusted(remote);
  const out: string[] = [];
  let host: string | null = null;
  let priorFor = '';
  let priorProto: string | null = null;
  let priorHost: string | null = null;
  let priorForwarded = '';
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    // Distinct lengths pick the few names that need a look before any string compare.
    switch (name.length) {
      case 4:
        if (name === 'host') {
          host ??= value;
          if (!plan.preserveHost) continue;
        }
        break;
      case 14:
        // The proxy frames the body itself from the request's own length.
        if (name === 'content-length') continue;
        break;
      case 15:
        if (name === 'x-forwarded-for' && isForwarding) {
          if (trusted) priorFor = priorFor === '' ? value : `${priorFor}, ${value}`;
          continue;
        }
        break;
      case 17:
        if (name === 'x-forwarded-proto' && isForwarding) {
          if (trusted) priorProto ??= value;
          continue;
        }
        break;
      case 16:
        if (name === 'x-forwarded-host' && isForwarding) {
          if (trusted) priorHost ??= value;
          continue;
        }
        break;
      case 9:
        if (name === 'forwarded' && isForwarding) {
          if (trusted)
            priorForwarded = priorForwarded === '' ? value : `${priorForwarded}, ${value}`;
          continue;
        }
        break;
    }
    if (extra === null ? isHopByHopHeader(name) : extra.has(name)) continue;
    out.push(name, value);
  }
  if (isForwarding) {
    const proto = req.conn.tls === null ? 'http' : 'https';
    if (mode === 'x-forwarded') {
      out.push('x-forwarded-for', priorFor === '' ? remote : `${priorFor}, ${remote}`);
      out.push('x-forwarded-proto', priorProto ?? proto);
      if (priorHost !== null) out.push('x-forwarded-host', priorHost);
      else if (host !== null && host !== '') out.push('x-forwarded-host', host);
    } else {
      let element = `for=${forwardedNode(remote)};proto=${proto}`;
      if (host !== null && host !== '') element += `;host=${forwardedValue(host)}`;
      out.push('forwarded', priorForwarded === '' ? element : `${priorForwarded}, ${element}`);
    }
  }
  if (plan.via !== null) out.push('via', requestVia.get(req.protocol, plan.via));
  return Headers.fromTrustedList(out);
}

/**
 * The response header section for the client: the backend's fields without the hop-by-hop
 * ones, plus `Via` when `via` is a pseudonym (validated with the options).
 */
export function forwardResponseHeaders(
  headers: Headers,
  protocol: string,
  via: string | null,
): Headers {
  const extra = connectionExtras(headers);
  const list = headers.toList();
  const out: string[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (extra === null ? isHopByHopHeader(name) : extra.has(name)) continue;
    out.push(name, list[i + 1]!);
  }
  if (via !== null) out.push('via', responseVia.get(protocol, via));
  return Headers.fromTrustedList(out);
}

/**
 * A Via value (`1.1 rws`), the same string while the protocol and the pseudonym repeat. On a
 * response the server's writer then finds the field unchanged by reference and reuses the head
 * it serialised before (a string built per response would be compared by content); on a
 * request it saves the two concatenations (~190 instructions per request, callgrind).
 */
class ViaValue {
  #protocol = '';
  #via = '';
  #value = '';

  get(protocol: string, via: string): string {
    if (protocol !== this.#protocol || via !== this.#via) {
      this.#protocol = protocol;
      this.#via = via;
      this.#value = `${viaVersion(protocol)} ${via}`;
    }
    return this.#value;
  }
}

/** Separate caches: a request's protocol is the client's, a response's the backend's. */
const requestVia = new ViaValue();
const responseVia = new ViaValue();
