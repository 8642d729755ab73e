import { Resolver } from 'node:dns/promises';
import type { DiscoverySource } from '../discovery.js';
import { invalidOption } from '../internal/proxy-error.js';
import type { BackendOptions } from '../upstream.js';

/** Options of `dnsSource`. */
export interface DnsSourceOptions {
  /** The name to resolve: `api.internal` (A/AAAA) or `_http._tcp.api.internal` (SRV). */
  hostname: string;
  /** Default `A`. `A+AAAA` resolves both. */
  type?: 'A' | 'AAAA' | 'A+AAAA' | 'SRV' | undefined;
  /** Port of A/AAAA backends (SRV records carry their own). Default 80, 443 for https. */
  port?: number | undefined;
  /** Default `http`. */
  scheme?: 'http' | 'https' | undefined;
  /** DNS servers (`127.0.0.1:5353`); default: the system's. */
  servers?: readonly string[] | undefined;
  /** Per-query timeout. Default 2000. */
  timeoutMs?: number | undefined;
}

function hostPart(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/**
 * Backends from DNS: every A/AAAA address of a name on one port, or every SRV target with its
 * port and weight (targets resolved to addresses through the same servers; priority honoured
 * by taking only the lowest-priority group, RFC 2782).
 */
export function dnsSource(options: DnsSourceOptions): DiscoverySource {
  const type = options.type ?? 'A';
  if (!['A', 'AAAA', 'A+AAAA', 'SRV'].includes(type)) {
    throw invalidOption('type', type, "'A', 'AAAA', 'A+AAAA' or 'SRV'");
  }
  const scheme = options.scheme ?? 'http';
  const port = options.port ?? (scheme === 'https' ? 443 : 80);
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 2000, tries: 2 });
  if (options.servers !== undefined) resolver.setServers([...options.servers]);

  async function addresses(name: string, kind: 'A' | 'AAAA' | 'A+AAAA'): Promise<string[]> {
    const out: string[] = [];
    if (kind !== 'AAAA') out.push(...(await resolver.resolve4(name).catch(emptyOnNoData)));
    if (kind !== 'A') out.push(...(await resolver.resolve6(name).catch(emptyOnNoData)));
    return out;
  }

  return {
    name: `dns:${type}:${options.hostname}`,
    async resolve() {
      if (type !== 'SRV') {
        const list = await addresses(options.hostname, type);
        return list.sort().map((a) => ({ url: `${scheme}://${hostPart(a)}:${port}` }));
      }
      const records = await resolver.resolveSrv(options.hostname);
      if (records.length === 0) return [];
      const top = Math.min(...records.map((r) => r.priority));
      const out: BackendOptions[] = [];
      for (const r of records.filter((x) => x.priority === top)) {
        const ips = await addresses(r.name, 'A+AAAA').catch(() => []);
        const hosts = ips.length > 0 ? ips : [r.name];
        for (const h of hosts) {
          // SRV weight 0 means "rarely"; the balancer needs a positive weight.
          out.push({ url: `${scheme}://${hostPart(h)}:${r.port}`, weight: Math.max(r.weight, 1) });
        }
      }
      return out.sort((a, b) => a.url.localeCompare(b.url));
    },
  };
}

function emptyOnNoData(err: NodeJS.ErrnoException): string[] {
  if (err.code === 'ENODATA' || err.code === 'ENOTFOUND') return [];
  throw err;
}
