/**
 * The one source of truth for rws configuration: every key with its flag, short flag,
 * environment variable, TOML key, type, default, description and whether a reload applies it.
 * Flag parsing, environment parsing, TOML validation, `--help` and the JSON Schema are all
 * derived from `CONFIG_KEYS`.
 */

import { GATEWAY_SECTIONS } from '@rws/proxy';

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
  | 'virtualHosts';

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
  cors: CorsConfig;
  /** Largest accepted request body in bytes; 0 = no global cap. */
  maxBodySize: number;
  /** `auto`: pretty (coloured) on a terminal, JSON otherwise. */
  logFormat: 'auto' | 'json' | 'combined' | 'pretty';
  spaFallback: string | null;
  spaFallbackExcludePrefixes: string[];
  directoryListing: boolean;
  workers: number | 'auto';
  virtualHosts: VirtualHost[];
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

interface KeyInit {
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
    description: 'TCP port (and UDP for HTTP/3); 0 picks a free port.',
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
    description: 'PEM certificate chain; with --tls-key-file enables HTTPS, HTTP/2 and HTTP/3.',
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
    path: 'cors.allowAll',
    short: 'a',
    type: 'boolean',
    default: true,
    placeholder: '[bool]',
    description: 'Permissive CORS: echo the request Origin and allow any method and header.',
    isReloadable: true,
  }),
  key({
    path: 'cors.allowOrigins',
    short: 'o',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated origins allowed when --cors-allow-all is false.',
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
  thread_count: 'thread_count is not used by rws (it has no thread pool); use workers',
  request_allocation_size_in_bytes:
    'request_allocation_size_in_bytes is not used by rws (reads are sized by the runtime)',
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
  const config = { cors: {}, proxy: null, isRootSet: false } as unknown as ServerConfig;
  for (const k of CONFIG_KEYS) setPath(config, k.path, structuredClone(k.default));
  config.root = cwd;
  return config;
}
