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
 * The URLs carry the bound ports, so `--port 0` shows the port the system picked.
 */
export function renderBanner(input: BannerInput): string {
  const lines = [`rws ${input.version} serving ${input.root}`];
  for (const u of input.urls) {
    const url = u.url.endsWith('/') ? u.url : `${u.url}/`;
    const note = u.isRedirect ? ' (redirects to https)' : u.transport === 'udp' ? ' (HTTP/3)' : '';
    lines.push(`  ➜ ${url}${note}`);
  }
  if (input.busyPort !== undefined && input.busyPort !== null) {
    lines.push(`  port ${input.busyPort} is in use, so rws took the next free port`);
  }
  const workers = input.workers > 1 ? ` · ${input.workers} workers` : '';
  lines.push(`  config: ${input.configFile ?? 'none'}${workers}`);
  return `${lines.join('\n')}\n`;
}
