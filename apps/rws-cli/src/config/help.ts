/**
 * `rws --help`, derived from `CONFIG_KEYS`.
 */
import type { ConfigKey } from './config-key.js';
import { CONFIG_KEYS } from './schema.js';

function defaultText(k: ConfigKey): string | null {
  if (k.path === 'root') return 'current directory';
  if (k.default === null) return null;
  if (Array.isArray(k.default)) return k.default.length === 0 ? null : k.default.join(',');
  if (typeof k.default === 'object') return null;
  if (k.type === 'boolean' && k.placeholder === 'on|off') return k.default ? 'on' : 'off';
  return String(k.default);
}

/** The help text for `version`. */
export function renderHelp(version: string): string {
  const rows: [string, string, string][] = [];
  for (const k of CONFIG_KEYS) {
    if (k.flag === null) continue;
    const short = k.short === null ? '    ' : `-${k.short}, `;
    const left = `${short}--${k.flag}${k.placeholder.length > 0 ? ` ${k.placeholder}` : ''}`;
    const meta: string[] = [];
    const d = defaultText(k);
    if (d !== null) meta.push(`default ${d}`);
    if (k.env !== null) meta.push(`env ${k.env}`);
    if (k.toml !== null) meta.push(`toml ${k.toml}`);
    rows.push([left, k.description, meta.join(' · ')]);
  }
  rows.push(['-h, --help', 'Show this help.', '']);
  rows.push(['-v, --version', 'Show the rws and Node.js versions.', '']);
  // Two columns; a flag too long for the first puts its description on the next line.
  const width = 34;
  const pad = ' '.repeat(width + 2);
  const lines = rows.map(([left, desc, meta]) => {
    const head =
      left.length < width - 1 ? `  ${left.padEnd(width)}${desc}` : `  ${left}\n${pad}${desc}`;
    return meta.length > 0 ? `${head}\n${pad}${meta}` : head;
  });
  return `rws ${version} — static file server and gateway over HTTP/1.1 (HTTPS and HTTP/2 with a certificate)

Usage:
  rws [ROOT] [flags]           serve ROOT (default: the current directory) on http://127.0.0.1:7878
  rws check [--config FILE]    check the configuration, list every problem, and exit
  rws db <migrate|rollback|status|new>  run database migrations (@rws/orm; rws db --help)
  rws jobs <status|failed|show|retry|delete>  inspect job queues (@rws/jobs; rws jobs --help)

Flags (precedence: flags > RWS_CONFIG_* env vars > rws.config.toml > defaults):
${lines.join('\n')}

Values: --port 8080, --port=8080, -p 8080 and -p=8080 are the same. Boolean flags take an
optional true/false (on/off) and have a --no- form. Lists are comma-separated.
-h is help, so --cors-allow-headers has no short flag.

Virtual hosts: [[virtual_host]] tables with domain, cert_file, key_file in rws.config.toml,
or RWS_CONFIG_VIRTUAL_HOST_{N}_DOMAIN, _CERT_FILE, _KEY_FILE (N = 0, 1, …).
Gateway: [[route]] / [[upstream]] tables in rws.config.toml make rws a gateway (proxy, static,
redirect and respond routes with auth, rate limits, cache, …); requests no route matches go
to ROOT only when a root is set. rws check builds it; SIGHUP reloads it. See docs/gateway.md.
Editor completion for rws.config.toml: @rws/cli/schema/rws.config.schema.json.

Served today: HTTP/1.1, and with a certificate HTTPS over HTTP/1.1 and HTTP/2 on one port
plus HTTP/3 on UDP at the same port number (one worker; --http3 off turns it off).
`;
}
