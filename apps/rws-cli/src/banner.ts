import type { NetworkInterfaceInfo } from 'node:os';
import type { ServerUrl } from '@rws/server';

/** What the startup banner shows. */
export interface BannerInput {
  version: string;
  /** The served directory (absolute). */
  root: string;
  /** The config file read (absolute), or null. */
  configFile: string | null;
  /** Every endpoint, as `RunningServer.urls` reports them. */
  urls: readonly ServerUrl[];
  /** Worker processes (1 = none). */
  workers: number;
  /** The default port that was busy, when rws took the next free one instead. */
  busyPort?: number | null | undefined;
  /**
   * `os.networkInterfaces()`: a URL on `0.0.0.0` or `::` is listed once per address it is
   * reachable at (loopback first, marked `local`), instead of the wildcard address.
   */
  interfaces?: Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>> | undefined;
}

/** The URLs a listener on a wildcard address answers at, each with its interface name. */
function reachableAt(
  url: string,
  interfaces: BannerInput['interfaces'],
): { url: string; label: string | null }[] {
  const u = new URL(url);
  const isAnyV4 = u.hostname === '0.0.0.0';
  if (interfaces === undefined || (!isAnyV4 && u.hostname !== '[::]'))
    return [{ url, label: null }];
  const local: { url: string; label: string | null }[] = [];
  const external: { url: string; label: string | null }[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      const isV6 = info.family === 'IPv6';
      // `0.0.0.0` takes IPv4 only; `::` takes both (dual stack). Link-local IPv6 needs a zone
      // id that browsers do not accept in URLs.
      if ((isAnyV4 && isV6) || (isV6 && info.address.toLowerCase().startsWith('fe80:'))) continue;
      const host = isV6 ? `[${info.address}]` : info.address;
      const entry = {
        url: `${u.protocol}//${host}:${u.port}`,
        label: info.internal ? 'local' : name,
      };
      (info.internal ? local : external).push(entry);
    }
  }
  const all = [...local, ...external];
  return all.length > 0 ? all : [{ url, label: null }];
}

/**
 * The short block `rws` prints to stdout once every listener is bound, e.g.
 *
 * ```
 * rws 0.0.0 serving /srv/site
 *   ➜ https://127.0.0.1:8443/
 *   ➜ http://127.0.0.1:8080/ (redirects to https)
 *   config: rws.config.toml
 * ```
 *
 * The URLs carry the bound ports, so `--port 0` shows the port the system picked. With `-i
 * 0.0.0.0` or `-i ::`, each URL is listed for every address of `interfaces`, loopback first:
 *
 * ```
 *   ➜ http://127.0.0.1:7878/ (local)
 *   ➜ http://192.168.1.20:7878/ (eth0)
 * ```
 */
export function renderBanner(input: BannerInput): string {
  const lines = [`rws ${input.version} serving ${input.root}`];
  for (const u of input.urls) {
    const note = u.isRedirect
      ? ' (redirects to https)'
      : u.isAdmin === true
        ? ' (admin: /healthz, /readyz, /metrics)'
        : u.transport === 'udp'
          ? ' (HTTP/3)'
          : '';
    for (const at of reachableAt(u.url, input.interfaces)) {
      const url = at.url.endsWith('/') ? at.url : `${at.url}/`;
      lines.push(`  ➜ ${url}${note}${at.label === null ? '' : ` (${at.label})`}`);
    }
  }
  if (input.busyPort !== undefined && input.busyPort !== null) {
    lines.push(`  port ${input.busyPort} is in use, so rws took the next free port`);
  }
  const workers = input.workers > 1 ? ` · ${input.workers} workers` : '';
  lines.push(`  config: ${input.configFile ?? 'none'}${workers}`);
  return `${lines.join('\n')}\n`;
}
