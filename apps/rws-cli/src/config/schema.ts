/**
 * The one source of truth for rws configuration: every key with its flag, short flag,
 * environment variable, TOML key, type, default, description and whether a reload applies it.
 * Flag parsing, environment parsing, TOML validation, `--help` and the JSON Schema are all
 * derived from `CONFIG_KEYS`.
 */

import { GATEWAY_SECTIONS } from '@rws/proxy';
import { ACME_KEYS, type AcmeConfig } from './acme-keys.js';

/** How a raw value is read and checked. */
export type ValueType =
  /** Any non-empty string. */
  | 'string'
  /** A file-system path; relative ones resolve against the cwd (flags, env) or the file. */
  | 'path'
  /** An IP address (v4 or v6) or `localhost`. */
  | 'ip'
  /** An integer 0–65535 (0 = any free port). */
  | 'port'
  /** `true`/`false`, also `on`/`off`, `yes`/`no`, `1`/`0`. */
  | 'boolean'
  /** A list of strings: a TOML array or a comma-separated string. */
  | 'list'
  /** A byte count: an integer or a string such as `10mb`, `512k`, `1.5GiB`. */
  | 'size'
  /** A non-negative integer. */
  | 'integer'
  /** One of `values`. */
  | 'enum'
  /** A positive integer or `auto` (one per CPU). */
  | 'workers'
  /** `[[virtual_host]]` tables: `{ domain, cert_file, key_file }`. */
  | 'virtualHosts'
  /** A listen address: `host:port`, `[v6]:port`, or a bare port (on 127.0.0.1). */
  | 'address'
  /** A URL path starting with `/`, or `off` (false) to turn the endpoint off. */
  | 'endpoint'
  /** Response headers: `Name: value` strings (flags, env lines) or a TOML table. */
  | 'headers'
  /**
   * Basic-auth users: `user:password` strings (flags, env lines), or in TOML a list of such
   * strings or a table user → password.
   */
  | 'credentials'
  /**
   * A `{ driver = … }` table of @rws/proxy's storage sources (TOML only), with key pairs
   * allowed as secret references.
   */
  | 'storage';

/** One configuration key. */
export interface ConfigKey {
  /** The dotted path in `ServerConfig`, e.g. `cors.allowAll`. */
  readonly path: string;
  /** The long flag without dashes (`cors-allow-all`), or null when there is none. */
  readonly flag: string | null;
  /** The one-letter short flag, or null. */
  readonly short: string | null;
  /** The environment variable. For virtual hosts, a `{N}` pattern. */
  readonly env: string | null;
  /** Older environment variable names still read (the reference's spellings). */
  readonly envAliases: readonly string[];
  /** The TOML key as a dotted path (`cors.allow_all`), or null when the file cannot set it. */
  readonly toml: string | null;
  /** Other TOML spellings accepted (the reference's flat `cors_allow_all`). */
  readonly tomlAliases: readonly string[];
  readonly type: ValueType;
  /** The allowed values of an `enum`. */
  readonly values: readonly string[];
  /** The default, as it appears in `ServerConfig` (`null` = unset). */
  readonly default: unknown;
  /** The placeholder shown in `--help` (`<port>`). */
  readonly placeholder: string;
  readonly description: string;
  /** True when a reload (SIGHUP) applies a change without a restart. */
  readonly isReloadable: boolean;
  /** True when the value is a secret: never shown (reload messages say only that it changed). */
  readonly isSecret: boolean;
}

/** One `[[virtual_host]]`: a TLS certificate chosen by SNI for `domain`. */
export interface VirtualHost {
  domain: string;
  certFile: string;
  keyFile: string;
}

/** CORS settings. */
export interface CorsConfig {
  allowAll: boolean;
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  allowCredentials: boolean;
  exposeHeaders: string[];
  maxAge: number;
}

/** Tables of the gateway configuration (`[[route]]`, `[[upstream]]`, …); @rws/proxy validates and runs them. */
export interface ProxyConfigRaw {
  [table: string]: unknown;
}

/** The resolved configuration of the rws binary. */
export interface ServerConfig {
  ip: string;
  port: number;
  /** Absolute directory served as static files. */
  root: string;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  tlsClientCaFile: string | null;
  httpRedirectPort: number | null;
  /** Mozilla-intermediate ciphers when null. */
  tlsCiphers: string | null;
  tlsMinVersion: '1.2' | '1.3';
  handshakeTimeoutMs: number;
  /** `Strict-Transport-Security` value, or null for none. */
  hsts: string | null;
  /** Staple OCSP responses from the certificates' responders (default on). */
  ocspStapling: boolean;
  /** Offer HTTP/2 (ALPN `h2`) beside HTTP/1.1 on the TLS port. */
  http2: boolean;
  /** Serve HTTP/3 on UDP at the TLS port number (one worker only). */
  http3: boolean;
  /** Extra Host names answered; `['any']` turns the Host check off. */
  allowedHosts: string[];
  /** Open connections allowed; null = 80% of the open-file limit, 0 = no limit. */
  maxConnections: number | null;
  bodyTimeoutMs: number;
  /** Main-listener health paths: null = the server's default, false = off. */
  healthzPath: string | false | null;
  readyzPath: string | false | null;
  metricsPath: string | false | null;
  /** The admin listener (`/healthz`, `/readyz`, `/metrics`), or null. */
  admin: { host: string; port: number } | null;
  /** Bearer token of the admin listener's MCP endpoint (`/mcp`); null: no endpoint. */
  adminMcpToken: string | null;
  cors: CorsConfig;
  /** Largest accepted request body in bytes; 0 = no global cap. */
  maxBodySize: number;
  /** `auto`: pretty (coloured) on a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'combined' | 'pretty';
  /**
   * Where access-log lines go: `off`, `stdout` (default), `stderr`, or a file (absolute;
   * appended to, written in batches off the event loop).
   */
  accessLog: string;
  spaFallback: string | null;
  spaFallbackExcludePrefixes: string[];
  directoryListing: boolean;
  /** `Cache-Control: public, max-age=N` of files; 0 = `max-age=0, must-revalidate`. */
  cacheMaxAge: number;
  /** Fingerprinted file names get `public, max-age=31536000, immutable`. */
  cacheImmutable: boolean;
  dotfiles: 'ignore' | 'deny' | 'allow';
  /** On-the-fly compression and precompressed siblings. */
  compression: boolean;
  /** Headers set on every response of the handler, by name as written. */
  headers: Record<string, string>;
  /** Basic-auth users (user → plain password) for the whole site; empty = none from config. */
  basicAuth: Record<string, string>;
  /** An htpasswd file of basic-auth users (absolute), or null. */
  basicAuthFile: string | null;
  /** The realm of the basic-auth challenge. */
  basicAuthRealm: string;
  /** How long a shutdown (SIGTERM/SIGINT) lets in-flight requests finish. */
  shutdownGraceMs: number;
  /** Open the served URL in a browser once listening. */
  open: boolean;
  workers: number | 'auto';
  virtualHosts: VirtualHost[];
  /** `[acme]`: certificates from an ACME CA; on when `acme.domains` is not empty. */
  acme: AcmeConfig;
  /** The config file that was read (absolute), or null. */
  configFile: string | null;
  /** `[[route]]`, `[[upstream]]`, … tables (the gateway); null when the file has none. */
  proxy: ProxyConfigRaw | null;
  /**
   * True when `root` was set (flag, env or file) rather than defaulted to the working
   * directory. In gateway mode only an explicit root serves the requests no route matched.
   */
  isRootSet: boolean;
}

/** A key definition before its derived names are filled in. */
export interface KeyInit {
  path: string;
  flag?: string | null;
  short?: string | null;
  env?: string | null;
  envAliases?: readonly string[];
  toml?: string | null;
  tomlAliases?: readonly string[];
  type: ValueType;
  values?: readonly string[];
  default: unknown;
  placeholder?: string;
  description: string;
  isReloadable: boolean;
  isSecret?: boolean;
}

function snake(path: string): string {
  let out = '';
  for (const ch of path) {
    if (ch >= 'A' && ch <= 'Z') out += `_${ch.toLowerCase()}`;
    else out += ch;
  }
  return out;
}

function key(init: KeyInit): ConfigKey {
  const tomlPath = snake(init.path);
  const flat = tomlPath.replaceAll('.', '_');
  const kebab = flat.replaceAll('_', '-');
  return {
    path: init.path,
    flag: init.flag === undefined ? kebab : init.flag,
    short: init.short ?? null,
    env: init.env === undefined ? `RWS_CONFIG_${flat.toUpperCase()}` : init.env,
    envAliases: init.envAliases ?? [],
    toml: init.toml === undefined ? tomlPath : init.toml,
    tomlAliases: init.tomlAliases ?? (tomlPath.includes('.') ? [flat] : []),
    type: init.type,
    values: init.values ?? [],
    default: init.default,
    placeholder: init.placeholder ?? '',
    description: init.description,
    isReloadable: init.isReloadable,
    isSecret: init.isSecret ?? false,
  };
}

/** Every configuration key, in `--help` order. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  key({
    path: 'ip',
    short: 'i',
    type: 'ip',
    default: '127.0.0.1',
    placeholder: '<address>',
    description: 'IP address to listen on (IPv6 allowed, e.g. ::).',
    isReloadable: false,
  }),
  key({
    path: 'port',
    short: 'p',
    type: 'port',
    default: 7878,
    placeholder: '<port>',
    description:
      'TCP port; 0 picks a free port. When no port is set and 7878 is busy, the next free one is used.',
    isReloadable: false,
  }),
  key({
    path: 'root',
    type: 'path',
    default: '.',
    placeholder: '<dir>',
    description: 'Directory served as static files (default: the current directory).',
    isReloadable: false,
  }),
  key({
    path: 'tlsCertFile',
    short: 's',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description: 'PEM certificate chain; with --tls-key-file serves HTTPS (HTTP/1.1 and HTTP/2).',
    isReloadable: true,
  }),
  key({
    path: 'tlsKeyFile',
    short: 'k',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description: 'PEM private key of --tls-cert-file.',
    isReloadable: true,
  }),
  key({
    path: 'tlsClientCaFile',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description: 'PEM CA bundle; when set, clients must present a certificate it signed (mTLS).',
    isReloadable: true,
  }),
  key({
    path: 'httpRedirectPort',
    type: 'port',
    default: null,
    placeholder: '<port>',
    description: 'Also listen on this plain-HTTP port and redirect (301) to HTTPS.',
    isReloadable: false,
  }),
  key({
    path: 'tlsCiphers',
    type: 'string',
    default: null,
    placeholder: '<list>',
    description:
      'OpenSSL cipher list for TLS 1.2 (plus TLS_* 1.3 suites); default: Mozilla intermediate (ECDHE with AES-GCM/ChaCha20).',
    isReloadable: true,
  }),
  key({
    path: 'tlsMinVersion',
    type: 'enum',
    values: ['1.2', '1.3'],
    default: '1.2',
    placeholder: '<1.2|1.3>',
    description: 'Oldest TLS version accepted.',
    isReloadable: true,
  }),
  key({
    path: 'handshakeTimeoutMs',
    type: 'integer',
    default: 10_000,
    placeholder: '<ms>',
    description:
      'Time a TLS client has to send its first byte, and then to finish the handshake; 0 = no limit.',
    isReloadable: false,
  }),
  key({
    path: 'ocspStapling',
    type: 'boolean',
    default: true,
    placeholder: '[bool]',
    description:
      'Staple OCSP responses to TLS handshakes when a certificate names an OCSP responder (fetched in the background, refreshed before nextUpdate; a down responder never fails a handshake); --ocsp-stapling off turns it off.',
    isReloadable: false,
  }),
  key({
    path: 'http2',
    type: 'boolean',
    default: true,
    placeholder: '[bool]',
    description:
      'Serve HTTP/2 (ALPN h2) beside HTTP/1.1 on the TLS port, WebSockets included (RFC 8441 extended CONNECT); --http2 off (or --no-http2) serves HTTP/1.1 only. No effect without a certificate.',
    isReloadable: false,
  }),
  key({
    path: 'http3',
    type: 'boolean',
    default: true,
    placeholder: '[bool]',
    description:
      'Serve HTTP/3 (QUIC, ALPN h3) on UDP at the TLS port number, advertised with Alt-Svc; --http3 off (or --no-http3) turns it off. No effect without a certificate or with more than one worker.',
    isReloadable: false,
  }),
  key({
    path: 'hsts',
    type: 'string',
    default: null,
    placeholder: '<value>',
    description:
      'Strict-Transport-Security for TLS responses, e.g. max-age=31536000; default none (it would pin the name to HTTPS).',
    isReloadable: true,
  }),
  key({
    path: 'allowedHosts',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description:
      'Host names answered besides loopback names (DNS rebinding guard; others get 421); *.example.com for subdomains; any = no check.',
    isReloadable: true,
  }),
  key({
    path: 'maxConnections',
    type: 'integer',
    default: null,
    placeholder: '<n>',
    description:
      'Open connections allowed; more are closed at once (default 80% of the open-file limit; 0 = no limit).',
    isReloadable: true,
  }),
  key({
    path: 'bodyTimeoutMs',
    type: 'integer',
    default: 60_000,
    placeholder: '<ms>',
    description:
      'Longest wait for the next bytes of a request body (408, or close); 0 = only the request timeout.',
    isReloadable: true,
  }),
  key({
    path: 'healthzPath',
    type: 'endpoint',
    default: null,
    placeholder: '<path|off>',
    description: 'Liveness endpoint on the main listener (default /healthz; off with --admin).',
    isReloadable: true,
  }),
  key({
    path: 'readyzPath',
    type: 'endpoint',
    default: null,
    placeholder: '<path|off>',
    description: 'Readiness endpoint on the main listener (default /readyz; off with --admin).',
    isReloadable: true,
  }),
  key({
    path: 'metricsPath',
    type: 'endpoint',
    default: null,
    placeholder: '<path|off>',
    description:
      'Prometheus metrics on the main listener (default /metrics on a loopback address, off otherwise and with --admin).',
    isReloadable: true,
  }),
  key({
    path: 'admin',
    // In the file it sits in the [admin] table beside the gateway's reload keys.
    toml: 'admin.listen',
    tomlAliases: [],
    type: 'address',
    default: null,
    placeholder: '<[host:]port>',
    description:
      'Separate listener for /healthz, /readyz and /metrics (host defaults to 127.0.0.1).',
    isReloadable: false,
  }),
  key({
    path: 'adminMcpToken',
    toml: 'admin.mcp_token',
    tomlAliases: [],
    type: 'string',
    default: null,
    placeholder: '<token>',
    description:
      'Serve an MCP endpoint at /mcp on the admin listener (tools: status, config, metrics, routes, upstream health, reload, maintenance mode), protected by this bearer token (16+ characters; use a reference such as env://RWS_ADMIN_TOKEN).',
    isReloadable: false,
  }),
  key({
    path: 'cors.allowAll',
    short: 'a',
    type: 'boolean',
    // Off by default, as in serve and http-server (rust-web-server turned it on): a local
    // file server must not let every web page the user visits read its files.
    default: false,
    placeholder: '[bool]',
    description:
      'CORS for any origin: Access-Control-Allow-Origin: * (the Origin echoed with Vary: Origin under --cors-allow-credentials), any method and header.',
    isReloadable: true,
  }),
  key({
    path: 'cors.allowOrigins',
    short: 'o',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description:
      'Comma-separated origins allowed (CORS is off while this is empty and --cors-allow-all is off).',
    isReloadable: true,
  }),
  key({
    path: 'cors.allowMethods',
    short: 'm',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated methods for Access-Control-Allow-Methods.',
    isReloadable: true,
  }),
  key({
    // No short flag: -h is --help (the reference used -h here; help wins).
    path: 'cors.allowHeaders',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated headers for Access-Control-Allow-Headers (no short flag).',
    isReloadable: true,
  }),
  key({
    path: 'cors.allowCredentials',
    short: 'c',
    type: 'boolean',
    default: false,
    placeholder: '[bool]',
    description: 'Send Access-Control-Allow-Credentials: true.',
    isReloadable: true,
  }),
  key({
    path: 'cors.exposeHeaders',
    short: 'e',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated headers for Access-Control-Expose-Headers.',
    isReloadable: true,
  }),
  key({
    path: 'cors.maxAge',
    short: 'g',
    type: 'integer',
    default: 86400,
    placeholder: '<seconds>',
    description: 'Access-Control-Max-Age of preflight responses, in seconds.',
    isReloadable: true,
  }),
  key({
    path: 'maxBodySize',
    envAliases: ['RWS_CONFIG_MAX_BODY_SIZE_IN_BYTES'],
    type: 'size',
    default: 0,
    placeholder: '<size>',
    description: 'Largest request body (bytes, or 10mb, 512k, 1gib); 0 = no global cap.',
    isReloadable: true,
  }),
  key({
    path: 'logFormat',
    type: 'enum',
    values: ['auto', 'json', 'combined', 'pretty'],
    default: 'auto',
    placeholder: '<format>',
    description:
      'Access log format: auto (pretty on a terminal, json otherwise), json, combined (Apache/nginx) or pretty.',
    isReloadable: true,
  }),
  key({
    path: 'accessLog',
    type: 'string',
    default: 'stdout',
    placeholder: 'off|stdout|stderr|<file>',
    description:
      'Where access-log lines go: off, stdout, stderr, or a file (appended to; written in batches, flushed every 100 ms and on exit).',
    isReloadable: false,
  }),
  key({
    path: 'spaFallback',
    type: 'string',
    default: null,
    placeholder: '<file>',
    description: 'File under the root served for extension-less GET/HEAD that match nothing.',
    isReloadable: true,
  }),
  key({
    path: 'spaFallbackExcludePrefixes',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated path prefixes that never get the SPA fallback (e.g. /api).',
    isReloadable: true,
  }),
  key({
    path: 'directoryListing',
    type: 'boolean',
    default: true,
    placeholder: 'on|off',
    description: 'List directories that have no index.html.',
    isReloadable: true,
  }),
  key({
    path: 'cacheMaxAge',
    type: 'integer',
    default: 0,
    placeholder: '<seconds>',
    description:
      'Cache-Control of files: public, max-age=<seconds>; 0 = max-age=0, must-revalidate (always revalidate).',
    isReloadable: true,
  }),
  key({
    path: 'cacheImmutable',
    type: 'boolean',
    default: false,
    placeholder: '[bool]',
    description:
      'Fingerprinted file names (app.3f9a1c2b.js, index-BqjV9TxC.js) get Cache-Control: public, max-age=31536000, immutable.',
    isReloadable: true,
  }),
  key({
    path: 'dotfiles',
    type: 'enum',
    values: ['ignore', 'deny', 'allow'],
    default: 'ignore',
    placeholder: '<policy>',
    description:
      'Paths with a segment starting with ".": ignore (404, not listed), deny (403) or allow (served and listed).',
    isReloadable: true,
  }),
  key({
    path: 'compression',
    type: 'boolean',
    default: true,
    placeholder: 'on|off',
    description:
      'Compress text files and listings (br, zstd, gzip per Accept-Encoding) and serve .br/.zst/.gz siblings.',
    isReloadable: true,
  }),
  key({
    path: 'headers',
    flag: 'header',
    type: 'headers',
    default: {},
    placeholder: '"Name: value"',
    description:
      'A header set on every response; repeatable. TOML: a [headers] table; env: one "Name: value" per line.',
    isReloadable: true,
  }),
  key({
    path: 'basicAuth',
    type: 'credentials',
    default: {},
    placeholder: '<user:password>',
    description:
      'Basic auth for the whole site (401 without it); repeatable. TOML: a list of "user:password" or a [basic_auth] table; env: one per line. Prefer --basic-auth-file.',
    isReloadable: true,
  }),
  key({
    path: 'basicAuthFile',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description:
      'htpasswd file (bcrypt $2y$, $apr1$, {SHA256}, {SHA} or plain lines) whose users may access the site.',
    isReloadable: true,
  }),
  key({
    path: 'basicAuthRealm',
    type: 'string',
    default: 'Restricted',
    placeholder: '<realm>',
    description: 'Realm of the basic-auth challenge (WWW-Authenticate: Basic realm="…").',
    isReloadable: true,
  }),
  key({
    path: 'shutdownGraceMs',
    type: 'integer',
    default: 10_000,
    placeholder: '<ms>',
    description:
      'On SIGTERM/SIGINT, how long in-flight requests may finish before their connections are closed.',
    isReloadable: false,
  }),
  key({
    path: 'open',
    type: 'boolean',
    default: false,
    placeholder: '[bool]',
    description:
      'Open the served URL in the browser once listening (xdg-open, open or start; RWS_OPENER names another command).',
    isReloadable: false,
  }),
  key({
    path: 'workers',
    short: 'w',
    type: 'workers',
    default: 1,
    placeholder: '<n|auto>',
    description: 'Worker processes sharing the port; auto = one per CPU.',
    isReloadable: false,
  }),
  key({
    path: 'virtualHosts',
    flag: null,
    env: 'RWS_CONFIG_VIRTUAL_HOST_{N}_DOMAIN',
    toml: 'virtual_host',
    tomlAliases: [],
    type: 'virtualHosts',
    default: [],
    description:
      'TLS certificates per SNI domain: [[virtual_host]] domain/cert_file/key_file, or RWS_CONFIG_VIRTUAL_HOST_{N}_DOMAIN/_CERT_FILE/_KEY_FILE.',
    isReloadable: true,
  }),
  ...ACME_KEYS.map(key),
  key({
    path: 'configFile',
    flag: 'config',
    env: 'RWS_CONFIG_FILE',
    toml: null,
    tomlAliases: [],
    type: 'path',
    default: null,
    placeholder: '<file>',
    description: 'Config file to read (default: rws.config.toml in the current directory).',
    isReloadable: false,
  }),
];

/** TOML tables that belong to the gateway configuration, validated and run by @rws/proxy. */
export const PROXY_TABLES: readonly string[] = GATEWAY_SECTIONS;

/** Keys the reference accepted that rws ignores, with the reason shown as a warning. */
export const LEGACY_KEYS: Readonly<Record<string, string>> = {
  // The message follows the key in `file:line: key: message`, so it does not repeat the key.
  thread_count: 'is not used by rws (it has no thread pool); use workers',
  request_allocation_size_in_bytes: 'is not used by rws (reads are sized by the runtime)',
};

/** Sets a dotted `path` of a plain object tree. */
export function setPath(target: object, path: string, value: unknown): void {
  const parts = path.split('.');
  let obj = target as Record<string, unknown>;
  for (let i = 0; i < parts.length - 1; i++) obj = obj[parts[i]!] as Record<string, unknown>;
  obj[parts[parts.length - 1]!] = value;
}

/** The defaults (from `CONFIG_KEYS`) as a `ServerConfig`, with `root` resolved to `cwd`. */
export function defaultConfig(cwd: string): ServerConfig {
  const config = { cors: {}, acme: {}, proxy: null, isRootSet: false } as unknown as ServerConfig;
  for (const k of CONFIG_KEYS) setPath(config, k.path, structuredClone(k.default));
  config.root = cwd;
  return config;
}
