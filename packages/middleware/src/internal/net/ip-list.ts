import { BlockList, isIP } from 'node:net';

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as the IPv4 address it carries. */
function normalizeIp(address: string): string {
  let a = address;
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  if (a.length > 7 && a.slice(0, 7).toLowerCase() === '::ffff:' && isIP(a.slice(7)) === 4) {
    return a.slice(7);
  }
  return a;
}

/** A set of addresses and CIDR ranges, IPv4 and IPv6, with a membership test. */
export interface IpList {
  readonly size: number;
  has(address: string): boolean;
}

/**
 * Parses `1.2.3.4`, `10.0.0.0/8`, `::1`, `2001:db8::/32` entries. Returns the list, or the
 * first bad entry with a reason so callers can report it with their own error code.
 */
export function parseIpList(
  entries: readonly string[],
): { ok: true; list: IpList } | { ok: false; entry: string; reason: string } {
  const blocks = new BlockList();
  for (const raw of entries) {
    if (typeof raw !== 'string') return { ok: false, entry: String(raw), reason: 'not a string' };
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = normalizeIp(slash === -1 ? entry : entry.slice(0, slash));
    const family = isIP(address);
    if (family === 0) return { ok: false, entry: raw, reason: 'not an IPv4 or IPv6 address' };
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      blocks.addAddress(address, type);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : Number.NaN;
    const max = family === 4 ? 32 : 128;
    if (!(prefix >= 0 && prefix <= max)) {
      return { ok: false, entry: raw, reason: `prefix length must be 0-${max}` };
    }
    blocks.addSubnet(address, prefix, type);
  }
  const size = entries.length;
  return {
    ok: true,
    list: {
      size,
      has(input: string): boolean {
        if (size === 0) return false;
        const address = normalizeIp(input);
        const family = isIP(address);
        if (family === 0) return false;
        return blocks.check(address, family === 4 ? 'ipv4' : 'ipv6');
      },
    },
  };
}

/** The address a `for=` parameter of RFC 7239 `Forwarded` names, or null (obfuscated, unknown). */
function forwardedFor(element: string): string | null {
  for (const pair of element.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    // "[2001:db8::1]:4711" or "192.0.2.43:47011"
    if (value.startsWith('[')) {
      const close = value.indexOf(']');
      value = close === -1 ? value : value.slice(1, close);
    } else if (value.indexOf(':') === value.lastIndexOf(':') && value.includes(':')) {
      value = value.slice(0, value.indexOf(':'));
    }
    return isIP(normalizeIp(value)) === 0 ? null : normalizeIp(value);
  }
  return null;
}

/**
 * The client address: the socket peer, unless the peer is a trusted proxy; then the
 * forwarding chain (`X-Forwarded-For`, else `Forwarded`) is walked from the right, skipping
 * trusted proxies, and the first untrusted hop is the client (nginx `real_ip_recursive`).
 * Entries a client wrote itself sit left of that hop and are never believed.
 */
export function clientAddress(
  peer: string,
  headers: { get(name: string): string | null },
  trusted: IpList | null,
): string {
  const address = normalizeIp(peer);
  if (trusted === null || trusted.size === 0 || !trusted.has(address)) return address;
  const xff = headers.get('x-forwarded-for');
  let hops: (string | null)[];
  if (xff !== null) {
    hops = xff.split(',').map((h) => {
      const v = normalizeIp(h.trim());
      return isIP(v) === 0 ? null : v;
    });
  } else {
    const fwd = headers.get('forwarded');
    if (fwd === null) return address;
    hops = fwd.split(',').map(forwardedFor);
  }
  let client = address;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    // A garbled hop ends the walk: everything left of it is unverifiable.
    if (hop === null || hop === undefined) return client;
    client = hop;
    if (!trusted.has(hop)) return hop;
  }
  return client;
}
