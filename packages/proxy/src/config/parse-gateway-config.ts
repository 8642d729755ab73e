/**
 * `parseGatewayConfig()`: reads the gateway sections of `rws.config.toml` (TOML text or an
 * object of the same shape) and returns the typed `GatewayConfig` or every problem at once,
 * each with its key path, line and a did-you-mean hint.
 */
import { isIP } from 'node:net';
import { isToken } from '@rws/core';
import { parse, TomlError } from 'smol-toml';
import { GATEWAY_CONFIG_CODES, type GatewayConfigErrorCode } from '../errors.js';
import { type ConfigProblem, type KeyPath, keyPathName } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type {
  GatewayAction,
  GatewayAdmin,
  GatewayAuth,
  GatewayBackend,
  GatewayCache,
  GatewayConfig,
  GatewayHealthCheck,
  GatewayHostPort,
  GatewayIpFilter,
  GatewayMatch,
  GatewayMiddleware,
  GatewayProxyAction,
  GatewayRateLimit,
  GatewayRequestRewrite,
  GatewayResponseRewrite,
  GatewayRoute,
  GatewayStrategy,
  GatewayTcpProxy,
  GatewayUdpProxy,
  GatewayUpstream,
  GatewayUpstreamTls,
  GatewayWsProxy,
} from './gateway-config.js';
import { tomlLineOf } from './toml-line.js';

/** A problem in a gateway configuration. */
export type GatewayConfigProblem = ConfigProblem<GatewayConfigErrorCode>;

/** The result of `parseGatewayConfig()`: a config, or null with at least one problem. */
export interface GatewayConfigResult {
  readonly config: GatewayConfig | null;
  readonly problems: readonly GatewayConfigProblem[];
}

/** Options of `parseGatewayConfig()`. */
export interface ParseGatewayConfigOptions {
  /** The file name used in problems. Default `rws.config.toml` for text, none for objects. */
  file?: string | undefined;
  /**
   * Top-level keys that belong to someone else (the CLI's `port`, `[cors]`, …) and are not
   * reported as unknown. Default none: every key outside the gateway sections is reported.
   */
  ignoreKeys?: readonly string[] | undefined;
  /**
   * Ignore every top-level key outside the gateway sections: for a host (the `rws` CLI) that
   * validates its own keys in the same file. Default false.
   */
  ignoreOtherKeys?: boolean | undefined;
}

/** The top-level sections the gateway owns. */
export const GATEWAY_SECTIONS: readonly string[] = [
  'upstream',
  'route',
  'middleware',
  'admin',
  'tcp_proxy',
  'udp_proxy',
  'ws_proxy',
];

const STRATEGIES: Readonly<Record<string, GatewayStrategy>> = {
  round_robin: 'round_robin',
  weighted_round_robin: 'weighted_round_robin',
  least_connections: 'least_connections',
  least_conn: 'least_connections',
  random: 'random',
  power_of_two: 'power_of_two',
  ip_hash: 'ip_hash',
  uri_hash: 'uri_hash',
  header_hash: 'header_hash',
  cookie_hash: 'cookie_hash',
  first: 'first',
};

const ACTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  proxy: [
    'upstream',
    'connect_timeout_ms',
    'read_timeout_ms',
    'strip_path_prefix',
    'add_path_prefix',
    'preserve_host',
    'forwarded',
    'trusted_proxies',
  ],
  grpc: ['upstream', 'connect_timeout_ms', 'read_timeout_ms'],
  static: ['root', 'index', 'directory_listing'],
  redirect: ['location', 'status'],
  respond: ['status', 'body', 'content_type'],
  mcp: [],
};

/** Recognised, validated, but without machinery yet: the issue that adds it. */
const UNSUPPORTED_ACTIONS: Readonly<Record<string, string>> = {
  grpc: 'gRPC proxying needs the HTTP/2 client (issue #12)',
  mcp: 'MCP routes need @rws/mcp (issue #19)',
};

const MIDDLEWARE_KEYS = [
  'rate_limit',
  'auth',
  'cache',
  'ip_filter',
  'rewrite',
  'timeout_ms',
  'max_body_size',
];

const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;
type RedirectStatus = (typeof REDIRECT_STATUSES)[number];

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (v === null) return 'null';
  if (isTable(v)) return 'a table';
  if (typeof v === 'number' && Number.isInteger(v)) return 'an integer';
  return `a ${typeof v}`;
}

/** Collects problems and reads typed values out of tables, reporting where they are. */
class Reader {
  readonly problems: GatewayConfigProblem[] = [];
  readonly #text: string | null;
  readonly #file: string | undefined;

  constructor(text: string | null, file: string | undefined) {
    this.#text = text;
    this.#file = file;
  }

  add(code: GatewayConfigErrorCode, path: KeyPath, message: string, hint?: string): void {
    this.problems.push({
      code,
      source: this.#file === undefined ? 'config' : 'file',
      file: this.#file,
      key: keyPathName(path),
      line: this.#text === null ? undefined : tomlLineOf(this.#text, path),
      message,
      hint,
    });
  }

  invalid(path: KeyPath, message: string, hint?: string): void {
    this.add(GATEWAY_CONFIG_CODES.CONFIG_INVALID_VALUE, path, message, hint);
  }

  /** Reports keys of `t` outside `allowed`, with a did-you-mean. */
  keys(t: Table, path: KeyPath, allowed: readonly string[]): void {
    for (const k of Object.keys(t)) {
      if (allowed.includes(k)) continue;
      const s = didYouMean(k, allowed);
      this.add(
        GATEWAY_CONFIG_CODES.CONFIG_UNKNOWN_KEY,
        [...path, k],
        'unknown key',
        s === null ? undefined : `did you mean "${s}"?`,
      );
    }
  }

  table(v: unknown, path: KeyPath, what = 'a table'): Table | null {
    if (v === undefined) return null;
    if (!isTable(v)) {
      this.invalid(path, `must be ${what}, got ${typeName(v)}`);
      return null;
    }
    return v;
  }

  string(t: Table, key: string, path: KeyPath, required = false): string | null {
    const v = t[key];
    if (v === undefined) {
      if (required) this.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, `is missing ${key}`);
      return null;
    }
    if (typeof v !== 'string') {
      this.invalid([...path, key], `must be a string, got ${typeName(v)}`);
      return null;
    }
    if (v.trim() === '' && required) {
      this.invalid([...path, key], 'must not be empty');
      return null;
    }
    return v;
  }

  int(t: Table, key: string, path: KeyPath, min: number, max: number): number | null {
    const v = t[key];
    if (v === undefined) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.invalid([...path, key], `must be an integer, got ${typeName(v)}`);
      return null;
    }
    if (v < min || v > max) {
      this.invalid([...path, key], `must be between ${min} and ${max}, got ${v}`);
      return null;
    }
    return v;
  }

  bool(t: Table, key: string, path: KeyPath): boolean | null {
    const v = t[key];
    if (v === undefined) return null;
    if (typeof v !== 'boolean') {
      this.invalid([...path, key], `must be true or false, got ${typeName(v)}`);
      return null;
    }
    return v;
  }

  strings(t: Table, key: string, path: KeyPath, isScalarOk = false): string[] | null {
    const v = t[key];
    if (v === undefined) return null;
    if (isScalarOk && typeof v === 'string') return [v];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      this.invalid([...path, key], `must be an array of strings, got ${typeName(v)}`);
      return null;
    }
    return v as string[];
  }

  /** Array of tables (`[[x]]`); a single table is an error with the right spelling. */
  tables(v: unknown, path: KeyPath, name: string): Table[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.invalid(path, `must be an array of tables: write [[${name}]], not [${name}]`);
      return [];
    }
    const out: Table[] = [];
    v.forEach((item, i) => {
      if (isTable(item)) out.push(item);
      else this.invalid([...path, i], `must be a table, got ${typeName(item)}`);
    });
    return out;
  }
}

const MAX_MS = 24 * 3600 * 1000;
const MAX_PORT = 65535;

/** `host:port`, `http(s)://host[:port]`, `[v6]:port`: the backend, or a reason it is not one. */
export function parseBackendAddress(raw: string): GatewayBackend | string {
  let rest = raw.trim();
  let protocol: 'http' | 'https' = 'http';
  const scheme = rest.indexOf('://');
  if (scheme !== -1) {
    const s = rest.slice(0, scheme).toLowerCase();
    if (s === 'https' || s === 'wss') protocol = 'https';
    else if (s === 'h2' || s === 'h2s' || s === 'grpc' || s === 'grpcs') {
      return `${s}:// backends need the HTTP/2 client, not supported yet (issue #12)`;
    } else if (s !== 'http' && s !== 'ws')
      return `unknown scheme ${s}:// (use http:// or https://)`;
    rest = rest.slice(scheme + 3);
  }
  if (rest.endsWith('/')) rest = rest.slice(0, -1);
  if (rest.includes('/') || rest.includes('?')) {
    return 'a backend is scheme://host:port without a path (use strip_path_prefix/add_path_prefix)';
  }
  if (rest.includes('@')) return 'credentials in a backend address are not supported';
  let host: string;
  let portText: string | null = null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return 'unclosed [ in an IPv6 address';
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return 'expected :port after ]';
      portText = after.slice(1);
    }
    if (isIP(host) !== 6) return `${host} is not an IPv6 address`;
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon !== -1 && rest.indexOf(':') !== colon) {
      return 'an IPv6 address must be written in brackets: [::1]:8080';
    }
    host = colon === -1 ? rest : rest.slice(0, colon);
    portText = colon === -1 ? null : rest.slice(colon + 1);
    if (
      host === '' ||
      !/^[A-Za-z0-9.-]+$/.test(host) ||
      host.startsWith('.') ||
      host.startsWith('-')
    ) {
      return `${JSON.stringify(host)} is not a host name or IPv4 address`;
    }
  }
  let port = protocol === 'https' ? 443 : 80;
  if (portText !== null) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > MAX_PORT) {
      return `port ${JSON.stringify(portText)} must be 1-65535`;
    }
    port = Number(portText);
  }
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    address: raw,
    protocol,
    host: host.toLowerCase(),
    port,
    url: `${protocol}://${hostInUrl}:${port}`,
  };
}

function checkHeaderName(r: Reader, name: string, path: KeyPath): boolean {
  if (!isToken(name)) {
    r.invalid(path, `${JSON.stringify(name)} is not a valid header name`);
    return false;
  }
  return true;
}

function checkPathValue(r: Reader, value: string | null, path: KeyPath): string | null {
  if (value === null) return null;
  if (!value.startsWith('/') || /[\s?#]/.test(value)) {
    r.invalid(
      path,
      `must be a path starting with "/" (no spaces, "?" or "#"), got ${JSON.stringify(value)}`,
    );
    return null;
  }
  return value;
}

function readHealthCheck(r: Reader, v: unknown, path: KeyPath): GatewayHealthCheck | null {
  const t = r.table(v, path, 'a table ([upstream.health_check])');
  if (t === null) return null;
  r.keys(t, path, [
    'path',
    'interval_secs',
    'timeout_ms',
    'healthy_threshold',
    'unhealthy_threshold',
  ]);
  const p = checkPathValue(r, r.string(t, 'path', path), [...path, 'path']) ?? '/health';
  const interval = r.int(t, 'interval_secs', path, 1, 86_400) ?? 30;
  const timeoutMs = r.int(t, 'timeout_ms', path, 1, MAX_MS) ?? 5000;
  if (timeoutMs >= interval * 1000) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...path, 'timeout_ms'],
      `timeout_ms (${timeoutMs}) must be shorter than interval_secs (${interval} s)`,
    );
  }
  return {
    path: p,
    intervalMs: interval * 1000,
    timeoutMs,
    healthyThreshold: r.int(t, 'healthy_threshold', path, 1, 1000) ?? 2,
    unhealthyThreshold: r.int(t, 'unhealthy_threshold', path, 1, 1000) ?? 3,
  };
}

function readUpstreamTls(r: Reader, v: unknown, path: KeyPath): GatewayUpstreamTls | null {
  const t = r.table(v, path, 'a table ([upstream.tls])');
  if (t === null) return null;
  r.keys(t, path, ['ca_file', 'cert_file', 'key_file', 'server_name', 'verify']);
  const certFile = r.string(t, 'cert_file', path);
  const keyFile = r.string(t, 'key_file', path);
  if ((t['cert_file'] === undefined) !== (t['key_file'] === undefined)) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      path,
      'cert_file and key_file go together (the client certificate and its key)',
    );
  }
  return {
    caFile: r.string(t, 'ca_file', path),
    certFile,
    keyFile,
    serverName: r.string(t, 'server_name', path),
    verify: r.bool(t, 'verify', path) ?? true,
  };
}

function readBackends(r: Reader, t: Table, path: KeyPath): GatewayBackend[] {
  const list = r.strings(t, 'backends', path);
  if (list === null) {
    if (t['backends'] === undefined)
      r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, 'is missing backends');
    return [];
  }
  if (list.length === 0) r.invalid([...path, 'backends'], 'must list at least one backend');
  const out: GatewayBackend[] = [];
  list.forEach((raw, i) => {
    const b = parseBackendAddress(raw);
    if (typeof b === 'string') r.invalid([...path, 'backends', i], `${JSON.stringify(raw)}: ${b}`);
    else out.push(b);
  });
  return out;
}

function readUpstreams(r: Reader, v: unknown): GatewayUpstream[] {
  const out: GatewayUpstream[] = [];
  const seen = new Map<string, number>();
  r.tables(v, ['upstream'], 'upstream').forEach((t, i) => {
    const path = ['upstream', i];
    r.keys(t, path, ['name', 'backends', 'strategy', 'hash_key', 'health_check', 'tls']);
    const name = r.string(t, 'name', path, true);
    if (name !== null) {
      const first = seen.get(name);
      if (first !== undefined) {
        r.add(
          GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
          [...path, 'name'],
          `upstream "${name}" is already defined by upstream[${first}]`,
        );
      } else seen.set(name, i);
    }
    const backends = readBackends(r, t, path);
    const strategyText = r.string(t, 'strategy', path);
    let strategy: GatewayStrategy = 'round_robin';
    if (strategyText !== null) {
      const s = STRATEGIES[strategyText];
      if (s === undefined) {
        const hint = didYouMean(strategyText, Object.keys(STRATEGIES));
        r.invalid(
          [...path, 'strategy'],
          `unknown strategy ${JSON.stringify(strategyText)} (one of ${Object.keys(STRATEGIES).join(', ')})`,
          hint === null ? undefined : `did you mean "${hint}"?`,
        );
      } else strategy = s;
    }
    const hashKey = r.string(t, 'hash_key', path);
    const isHashed = strategy === 'header_hash' || strategy === 'cookie_hash';
    if (isHashed && hashKey === null && t['hash_key'] === undefined) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        path,
        `is missing hash_key (the ${strategy === 'header_hash' ? 'header' : 'cookie'} to hash)`,
      );
    } else if (!isHashed && hashKey !== null) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        [...path, 'hash_key'],
        `hash_key is only read by header_hash and cookie_hash, not ${strategy}`,
      );
    } else if (hashKey !== null && strategy === 'header_hash' && !isToken(hashKey)) {
      r.invalid([...path, 'hash_key'], `${JSON.stringify(hashKey)} is not a valid header name`);
    }
    const healthCheck = readHealthCheck(r, t['health_check'], [...path, 'health_check']);
    const tls = readUpstreamTls(r, t['tls'], [...path, 'tls']);
    if (tls !== null && backends.length > 0 && backends.every((b) => b.protocol === 'http')) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        [...path, 'tls'],
        '[upstream.tls] applies to https:// backends, and this upstream has none',
      );
    }
    if (name !== null) {
      out.push({ name, backends, strategy, hashKey: isHashed ? hashKey : null, healthCheck, tls });
    }
  });
  return out;
}

function readMatch(r: Reader, v: unknown, path: KeyPath): GatewayMatch {
  const none: GatewayMatch = {
    host: null,
    path: null,
    methods: null,
    contentType: null,
    headers: {},
  };
  const t = r.table(v, path, 'a table ([route.match])');
  if (t === null) return none;
  r.keys(t, path, ['host', 'path', 'method', 'content_type', 'headers']);
  const host = r.string(t, 'host', path);
  if (
    host !== null &&
    !/^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:.]+\](:\d{1,5})?$/.test(host)
  ) {
    r.invalid(
      [...path, 'host'],
      `${JSON.stringify(host)} is not a host name (optionally *.domain or with :port)`,
    );
  }
  let pathMatch: GatewayMatch['path'] = null;
  const p = r.string(t, 'path', path);
  if (p !== null) {
    const isPrefix = p.endsWith('*');
    const value = isPrefix ? p.slice(0, -1) : p;
    if (!value.startsWith('/') || value.includes('*') || /[\s?#]/.test(value)) {
      r.invalid(
        [...path, 'path'],
        `${JSON.stringify(p)} must start with "/" and may only end with "*" (prefix match)`,
      );
    } else pathMatch = { kind: isPrefix ? 'prefix' : 'exact', value };
  }
  let methods: string[] | null = null;
  const m = r.strings(t, 'method', path, true);
  if (m !== null) {
    methods = [];
    m.forEach((method, i) => {
      const at = Array.isArray(t['method']) ? [...path, 'method', i] : [...path, 'method'];
      if (!isToken(method)) r.invalid(at, `${JSON.stringify(method)} is not an HTTP method`);
      else methods!.push(method.toUpperCase());
    });
  }
  let contentType = r.string(t, 'content_type', path);
  if (contentType !== null) contentType = contentType.replace(/\*$/, '').trim().toLowerCase();
  const headers: Record<string, string> = {};
  const h = r.table(t['headers'], [...path, 'headers'], 'a table of header name = value');
  if (h !== null) {
    for (const [name, value] of Object.entries(h)) {
      if (!checkHeaderName(r, name, [...path, 'headers', name])) continue;
      if (typeof value !== 'string') {
        r.invalid([...path, 'headers', name], `must be a string, got ${typeName(value)}`);
      } else headers[name.toLowerCase()] = value;
    }
  }
  return { host: host?.toLowerCase() ?? null, path: pathMatch, methods, contentType, headers };
}

/**
 * The action's keys from `[route.action]` and `[route.action.<type>]`, merged; a key in both
 * places, or a sub-table of another type, is a conflict.
 */
function readAction(
  r: Reader,
  v: unknown,
  path: KeyPath,
  upstreams: ReadonlyMap<string, GatewayUpstream>,
): GatewayAction | null {
  const t = r.table(v, path, 'a table ([route.action])');
  if (t === null) {
    if (v === undefined)
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        path.slice(0, -1),
        'is missing [route.action]',
      );
    return null;
  }
  const type = r.string(t, 'type', path, true);
  if (type === null) return null;
  const keys = ACTION_KEYS[type];
  if (keys === undefined) {
    const hint = didYouMean(type, Object.keys(ACTION_KEYS));
    r.invalid(
      [...path, 'type'],
      `unknown action type ${JSON.stringify(type)} (one of ${Object.keys(ACTION_KEYS).join(', ')})`,
      hint === null ? undefined : `did you mean "${hint}"?`,
    );
    return null;
  }
  const merged: Table = {};
  const where = new Map<string, KeyPath>();
  for (const [k, value] of Object.entries(t)) {
    if (k === 'type') continue;
    if (k in ACTION_KEYS && isTable(value)) {
      const subPath = [...path, k];
      if (k !== type) {
        r.add(
          GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
          subPath,
          `[route.action.${k}] given, but the action type is "${type}"`,
        );
        continue;
      }
      r.keys(value, subPath, keys);
      for (const [sk, sv] of Object.entries(value)) {
        if (!keys.includes(sk)) continue;
        if (sk in merged) {
          r.add(
            GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
            [...subPath, sk],
            `${sk} is also set directly under [route.action]; keep one`,
          );
          continue;
        }
        merged[sk] = sv;
        where.set(sk, subPath);
      }
      continue;
    }
    if (!keys.includes(k)) {
      const s = didYouMean(k, [...keys, type]);
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_UNKNOWN_KEY,
        [...path, k],
        `unknown key for a ${type} action`,
        s === null ? undefined : `did you mean "${s}"?`,
      );
      continue;
    }
    if (k in merged) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        [...path, k],
        `${k} is also set under [route.action.${type}]; keep one`,
      );
      continue;
    }
    merged[k] = value;
    where.set(k, path);
  }
  const at = (k: string): KeyPath => where.get(k) ?? path;
  const unsupported = UNSUPPORTED_ACTIONS[type];
  if (unsupported !== undefined) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_UNSUPPORTED,
      [...path, 'type'],
      `action type "${type}" is not supported yet: ${unsupported}`,
    );
    return null;
  }
  switch (type) {
    case 'proxy': {
      const name = r.string(merged, 'upstream', at('upstream'), true);
      let upstream: string | null = null;
      let backend: GatewayBackend | null = null;
      if (name !== null) {
        if (upstreams.has(name)) upstream = name;
        else if (/[:/]/.test(name)) {
          const b = parseBackendAddress(name);
          if (typeof b === 'string')
            r.invalid([...at('upstream'), 'upstream'], `${JSON.stringify(name)}: ${b}`);
          else backend = b;
        } else {
          const hint = didYouMean(name, upstreams.keys());
          r.add(
            GATEWAY_CONFIG_CODES.CONFIG_UNKNOWN_UPSTREAM,
            [...at('upstream'), 'upstream'],
            `no [[upstream]] is named ${JSON.stringify(name)} (and it is not a host:port address)`,
            hint === null ? undefined : `did you mean "${hint}"?`,
          );
        }
      }
      const strip = checkPathValue(
        r,
        r.string(merged, 'strip_path_prefix', at('strip_path_prefix')),
        [...at('strip_path_prefix'), 'strip_path_prefix'],
      );
      const add = checkPathValue(r, r.string(merged, 'add_path_prefix', at('add_path_prefix')), [
        ...at('add_path_prefix'),
        'add_path_prefix',
      ]);
      return {
        type: 'proxy',
        upstream,
        backend,
        connectTimeoutMs:
          r.int(merged, 'connect_timeout_ms', at('connect_timeout_ms'), 1, MAX_MS) ?? 5000,
        readTimeoutMs: r.int(merged, 'read_timeout_ms', at('read_timeout_ms'), 1, MAX_MS) ?? 30_000,
        stripPathPrefix: strip,
        addPathPrefix: add,
        preserveHost: r.bool(merged, 'preserve_host', at('preserve_host')) ?? false,
        forwarded: readForwarded(r, merged, at('forwarded')),
        trustedProxies: readCidrList(r, merged, 'trusted_proxies', at('trusted_proxies')),
      };
    }
    case 'static': {
      const root = r.string(merged, 'root', at('root'), true);
      const index = r.strings(merged, 'index', at('index'), true) ?? ['index.html'];
      for (const [i, name] of index.entries()) {
        if (name === '' || name.includes('/') || name.includes('\\')) {
          r.invalid([...at('index'), 'index', i], 'must be a file name without "/"');
        }
      }
      return {
        type: 'static',
        root: root ?? '',
        index,
        directoryListing: r.bool(merged, 'directory_listing', at('directory_listing')) ?? false,
      };
    }
    case 'redirect': {
      const location = r.string(merged, 'location', at('location'), true);
      if (location !== null && /[\r\n\0]/.test(location)) {
        r.invalid([...at('location'), 'location'], 'must not contain CR, LF or NUL');
      }
      const status = r.int(merged, 'status', at('status'), 100, 999) ?? 301;
      if (!(REDIRECT_STATUSES as readonly number[]).includes(status)) {
        r.invalid(
          [...at('status'), 'status'],
          `a redirect status is one of ${REDIRECT_STATUSES.join(', ')}, got ${status}`,
        );
      }
      return { type: 'redirect', location: location ?? '', status: status as RedirectStatus };
    }
    case 'respond': {
      const contentType =
        r.string(merged, 'content_type', at('content_type')) ?? 'text/plain; charset=utf-8';
      if (/[\r\n\0]/.test(contentType))
        r.invalid([...at('content_type'), 'content_type'], 'must not contain CR, LF or NUL');
      return {
        type: 'respond',
        status: r.int(merged, 'status', at('status'), 200, 599) ?? 200,
        body: r.string(merged, 'body', at('body')) ?? '',
        contentType,
      };
    }
    default:
      return null;
  }
}

function readForwarded(r: Reader, t: Table, path: KeyPath): GatewayProxyAction['forwarded'] {
  const v = r.string(t, 'forwarded', path) ?? 'x-forwarded';
  if (v !== 'x-forwarded' && v !== 'forwarded' && v !== 'none') {
    r.invalid(
      [...path, 'forwarded'],
      `must be "x-forwarded", "forwarded" or "none", got ${JSON.stringify(v)}`,
    );
    return 'x-forwarded';
  }
  return v;
}

function readCidrList(r: Reader, t: Table, key: string, path: KeyPath): string[] {
  const list = r.strings(t, key, path) ?? [];
  checkCidrs(r, list, [...path, key]);
  return list;
}

function readRateLimit(r: Reader, v: unknown, path: KeyPath): GatewayRateLimit | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, ['max_requests', 'window_secs', 'algorithm', 'key', 'trusted_proxies']);
  const algorithm = r.string(t, 'algorithm', path) ?? 'sliding_window';
  if (algorithm !== 'sliding_window' && algorithm !== 'token_bucket') {
    r.invalid(
      [...path, 'algorithm'],
      `must be "sliding_window" or "token_bucket", got ${JSON.stringify(algorithm)}`,
    );
  }
  const keyText = r.string(t, 'key', path) ?? 'ip';
  let key: GatewayRateLimit['key'] = { kind: 'ip' };
  if (keyText.startsWith('header:')) {
    const header = keyText.slice(7).trim();
    if (checkHeaderName(r, header, [...path, 'key']))
      key = { kind: 'header', header: header.toLowerCase() };
  } else if (keyText !== 'ip') {
    r.invalid([...path, 'key'], `must be "ip" or "header:<name>", got ${JSON.stringify(keyText)}`);
  }
  const trusted = r.strings(t, 'trusted_proxies', path) ?? [];
  checkCidrs(r, trusted, [...path, 'trusted_proxies']);
  return {
    maxRequests: r.int(t, 'max_requests', path, 1, 1e9) ?? 1000,
    windowSecs: r.int(t, 'window_secs', path, 1, 86_400 * 366) ?? 60,
    algorithm: algorithm === 'token_bucket' ? 'token-bucket' : 'sliding-window',
    key,
    trustedProxies: trusted,
  };
}

function checkCidrs(r: Reader, list: readonly string[], path: KeyPath): void {
  list.forEach((entry, i) => {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    const prefix = slash === -1 ? null : entry.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (family === 0)
      r.invalid([...path, i], `${JSON.stringify(entry)} is not an IPv4/IPv6 address or CIDR`);
    else if (prefix !== null && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max)) {
      r.invalid([...path, i], `${JSON.stringify(entry)}: prefix length must be 0-${max}`);
    }
  });
}

function readAuth(r: Reader, v: unknown, path: KeyPath): GatewayAuth | null {
  const t = r.table(v, path);
  if (t === null) return null;
  const type = r.string(t, 'type', path, true);
  const realm = r.string(t, 'realm', path);
  if (type === 'bearer') {
    r.keys(t, path, ['type', 'token_env', 'realm']);
    const tokenEnv = r.strings(t, 'token_env', path, true);
    if (tokenEnv === null && t['token_env'] === undefined) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        path,
        'is missing token_env (bearer auth never starts open)',
      );
    }
    return { type, tokenEnv: tokenEnv ?? [], realm };
  }
  if (type === 'jwt') {
    const keys = [
      'type',
      'secret_env',
      'public_key_file',
      'jwks_url',
      'algorithms',
      'issuer',
      'audience',
      'clock_tolerance_secs',
      'realm',
    ];
    r.keys(t, path, keys);
    const secretEnv = r.string(t, 'secret_env', path);
    const publicKeyFile = r.string(t, 'public_key_file', path);
    const jwksUrl = r.string(t, 'jwks_url', path);
    const sources = [secretEnv, publicKeyFile, jwksUrl].filter((x) => x !== null).length;
    if (sources === 0) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        path,
        'is missing secret_env, public_key_file or jwks_url',
      );
    } else if (sources > 1) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        path,
        'give only one of secret_env, public_key_file, jwks_url',
      );
    }
    if (jwksUrl !== null && !/^https?:\/\/[^\s]+$/.test(jwksUrl)) {
      r.invalid([...path, 'jwks_url'], 'must be an http(s) URL');
    }
    return {
      type,
      secretEnv,
      publicKeyFile,
      jwksUrl,
      algorithms: r.strings(t, 'algorithms', path),
      issuer: r.string(t, 'issuer', path),
      audience: r.string(t, 'audience', path),
      clockToleranceSecs: r.int(t, 'clock_tolerance_secs', path, 0, 3600),
      realm,
    };
  }
  if (type === 'basic') {
    r.keys(t, path, ['type', 'htpasswd_file', 'users_file', 'realm']);
    if (t['htpasswd_file'] !== undefined && t['users_file'] !== undefined) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        [...path, 'users_file'],
        'users_file is another name for htpasswd_file; keep one',
      );
    }
    const file = r.string(t, 'htpasswd_file', path) ?? r.string(t, 'users_file', path);
    if (file === null)
      r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, 'is missing htpasswd_file');
    return { type, htpasswdFile: file ?? '', realm };
  }
  if (type !== null) {
    const hint = didYouMean(type, ['bearer', 'jwt', 'basic']);
    r.invalid(
      [...path, 'type'],
      `auth type must be bearer, jwt or basic, got ${JSON.stringify(type)}`,
      hint === null ? undefined : `did you mean "${hint}"?`,
    );
  }
  return null;
}

function readCache(r: Reader, v: unknown, path: KeyPath): GatewayCache | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, ['ttl_secs', 'vary_by', 'max_bytes', 'max_entry_bytes']);
  const varyBy = r.strings(t, 'vary_by', path) ?? [];
  for (const [i, h] of varyBy.entries()) checkHeaderName(r, h, [...path, 'vary_by', i]);
  return {
    ttlSecs: r.int(t, 'ttl_secs', path, 0, 86_400 * 366) ?? 60,
    varyBy,
    maxBytes: r.int(t, 'max_bytes', path, 1, Number.MAX_SAFE_INTEGER),
    maxEntryBytes: r.int(t, 'max_entry_bytes', path, 1, Number.MAX_SAFE_INTEGER),
  };
}

function readIpFilter(r: Reader, v: unknown, path: KeyPath): GatewayIpFilter | null {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, ['allow', 'deny', 'trusted_proxies']);
  const out = {
    allow: r.strings(t, 'allow', path) ?? [],
    deny: r.strings(t, 'deny', path) ?? [],
    trustedProxies: r.strings(t, 'trusted_proxies', path) ?? [],
  };
  checkCidrs(r, out.allow, [...path, 'allow']);
  checkCidrs(r, out.deny, [...path, 'deny']);
  checkCidrs(r, out.trustedProxies, [...path, 'trusted_proxies']);
  return out;
}

/** `prefix`, or its rust-web-server spelling `value`; exactly one of them. */
function prefixField(r: Reader, t: Table, path: KeyPath): string {
  if (t['prefix'] !== undefined && t['value'] !== undefined) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...path, 'value'],
      'value is another name for prefix; keep one',
    );
  }
  if (t['prefix'] === undefined && t['value'] === undefined) {
    r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, 'is missing prefix');
    return '/';
  }
  const p = t['prefix'] !== undefined ? 'prefix' : 'value';
  return checkPathValue(r, r.string(t, p, path, true), [...path, p]) ?? '/';
}

function readRewrite(r: Reader, v: unknown, path: KeyPath): GatewayMiddleware['rewrite'] {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, ['request', 'response']);
  const request: GatewayRequestRewrite[] = [];
  const response: GatewayResponseRewrite[] = [];
  r.tables(t['request'], [...path, 'request'], 'route.middleware.rewrite.request').forEach(
    (rule, i) => {
      const p = [...path, 'request', i];
      const type = r.string(rule, 'type', p, true);
      const named = (keys: string[]) => r.keys(rule, p, ['type', ...keys]);
      switch (type) {
        case 'header_set': {
          named(['name', 'value']);
          const name = r.string(rule, 'name', p, true);
          const value = r.string(rule, 'value', p) ?? '';
          if (name !== null && checkHeaderName(r, name, [...p, 'name']))
            request.push({ type, name, value });
          break;
        }
        case 'header_remove': {
          named(['name']);
          const name = r.string(rule, 'name', p, true);
          if (name !== null && checkHeaderName(r, name, [...p, 'name']))
            request.push({ type, name });
          break;
        }
        case 'uri_set': {
          named(['value']);
          const value = r.string(rule, 'value', p, true);
          if (value !== null && !value.startsWith('/'))
            r.invalid([...p, 'value'], 'must start with "/"');
          else if (value !== null) request.push({ type, value });
          break;
        }
        case 'uri_strip_prefix':
        case 'strip_prefix':
          named(['prefix', 'value']);
          request.push({ type: 'uri_strip_prefix', prefix: prefixField(r, rule, p) });
          break;
        case 'uri_add_prefix':
        case 'add_prefix':
          named(['prefix', 'value']);
          request.push({ type: 'uri_add_prefix', prefix: prefixField(r, rule, p) });
          break;
        case 'uri_regex': {
          named(['pattern', 'replacement', 'redirect']);
          const pattern = r.string(rule, 'pattern', p, true);
          const replacement = r.string(rule, 'replacement', p, true);
          if (pattern !== null) {
            try {
              new RegExp(pattern);
            } catch (err) {
              r.invalid(
                [...p, 'pattern'],
                `not a valid regular expression: ${(err as Error).message}`,
              );
            }
          }
          const redirect = r.int(rule, 'redirect', p, 100, 999);
          if (redirect !== null && !(REDIRECT_STATUSES as readonly number[]).includes(redirect)) {
            r.invalid([...p, 'redirect'], `must be one of ${REDIRECT_STATUSES.join(', ')}`);
          }
          if (pattern !== null && replacement !== null) {
            request.push({
              type,
              pattern,
              replacement,
              redirect: redirect as RedirectStatus | null,
            });
          }
          break;
        }
        case null:
          break;
        default: {
          const kinds = [
            'header_set',
            'header_remove',
            'uri_set',
            'uri_strip_prefix',
            'uri_add_prefix',
            'uri_regex',
          ];
          const hint = didYouMean(type, kinds);
          r.invalid(
            [...p, 'type'],
            `unknown request rewrite ${JSON.stringify(type)} (one of ${kinds.join(', ')})`,
            hint === null ? undefined : `did you mean "${hint}"?`,
          );
        }
      }
    },
  );
  r.tables(t['response'], [...path, 'response'], 'route.middleware.rewrite.response').forEach(
    (rule, i) => {
      const p = [...path, 'response', i];
      const type = r.string(rule, 'type', p, true);
      const named = (keys: string[]) => r.keys(rule, p, ['type', ...keys]);
      switch (type) {
        case 'header_set': {
          named(['name', 'value']);
          const name = r.string(rule, 'name', p, true);
          const value = r.string(rule, 'value', p) ?? '';
          if (name !== null && checkHeaderName(r, name, [...p, 'name']))
            response.push({ type, name, value });
          break;
        }
        case 'header_remove': {
          named(['name']);
          const name = r.string(rule, 'name', p, true);
          if (name !== null && checkHeaderName(r, name, [...p, 'name']))
            response.push({ type, name });
          break;
        }
        case 'status':
        case 'status_set': {
          named(['code', 'reason']);
          // The reason phrase comes from the status table; `reason` is accepted for
          // rust-web-server configs and otherwise ignored.
          r.string(rule, 'reason', p);
          const code = r.int(rule, 'code', p, 200, 599);
          if (code === null && rule['code'] === undefined)
            r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, p, 'is missing code');
          if (code !== null) response.push({ type: 'status', code });
          break;
        }
        case 'body_replace': {
          named(['from', 'to']);
          const from = r.string(rule, 'from', p, true);
          const to = r.string(rule, 'to', p) ?? '';
          if (from !== null) response.push({ type, from, to });
          break;
        }
        case null:
          break;
        default: {
          const kinds = ['header_set', 'header_remove', 'status', 'body_replace'];
          const hint = didYouMean(type, kinds);
          r.invalid(
            [...p, 'type'],
            `unknown response rewrite ${JSON.stringify(type)} (one of ${kinds.join(', ')})`,
            hint === null ? undefined : `did you mean "${hint}"?`,
          );
        }
      }
    },
  );
  return { request, response };
}

function readMiddleware(
  r: Reader,
  v: unknown,
  path: KeyPath,
  isGlobal: boolean,
): GatewayMiddleware | null {
  const t = r.table(v, path, isGlobal ? 'a table ([middleware])' : 'a table ([route.middleware])');
  if (t === null) return null;
  if (isGlobal && t['log_format'] !== undefined) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...path, 'log_format'],
      'the access-log format is the top-level log_format key, not [middleware].log_format',
    );
  }
  r.keys(
    Object.fromEntries(Object.entries(t).filter(([k]) => !(isGlobal && k === 'log_format'))),
    path,
    MIDDLEWARE_KEYS,
  );
  return {
    rateLimit: readRateLimit(r, t['rate_limit'], [...path, 'rate_limit']),
    auth: readAuth(r, t['auth'], [...path, 'auth']),
    cache: readCache(r, t['cache'], [...path, 'cache']),
    ipFilter: readIpFilter(r, t['ip_filter'], [...path, 'ip_filter']),
    rewrite: readRewrite(r, t['rewrite'], [...path, 'rewrite']),
    timeoutMs: r.int(t, 'timeout_ms', path, 0, MAX_MS) ?? 0,
    maxBodySize: r.int(t, 'max_body_size', path, 0, Number.MAX_SAFE_INTEGER) ?? 0,
  };
}

const NO_MIDDLEWARE: GatewayMiddleware = {
  rateLimit: null,
  auth: null,
  cache: null,
  ipFilter: null,
  rewrite: null,
  timeoutMs: 0,
  maxBodySize: 0,
};

function readRoutes(
  r: Reader,
  v: unknown,
  upstreams: ReadonlyMap<string, GatewayUpstream>,
): GatewayRoute[] {
  const out: GatewayRoute[] = [];
  r.tables(v, ['route'], 'route').forEach((t, i) => {
    const path = ['route', i];
    r.keys(t, path, ['name', 'match', 'action', 'middleware']);
    const name = r.string(t, 'name', path);
    const match = readMatch(r, t['match'], [...path, 'match']);
    const action = readAction(r, t['action'], [...path, 'action'], upstreams);
    const middleware =
      readMiddleware(r, t['middleware'], [...path, 'middleware'], false) ?? NO_MIDDLEWARE;
    if (action !== null) out.push({ name, index: i, match, action, middleware });
  });
  return out;
}

/** `host:port` with an explicit port (0 allowed for listeners: pick a free one). */
function readHostPort(
  r: Reader,
  raw: string,
  path: KeyPath,
  what: 'listen' | 'backend' | 'udp backend',
): GatewayHostPort | null {
  const fail = (why: string): null => {
    r.invalid(path, `${JSON.stringify(raw)} ${why}`);
    return null;
  };
  if (raw.includes('://') || raw.includes('/'))
    return fail('must be host:port (no scheme, no path)');
  let host: string;
  let portText: string;
  if (raw.startsWith('[')) {
    const close = raw.indexOf(']');
    if (close === -1 || raw[close + 1] !== ':') return fail('must be [ipv6]:port');
    host = raw.slice(1, close);
    portText = raw.slice(close + 2);
    if (isIP(host) !== 6) return fail('is not an IPv6 address in brackets');
  } else {
    const colon = raw.lastIndexOf(':');
    if (colon === -1) return fail('needs a port: host:port');
    if (raw.indexOf(':') !== colon) return fail('is IPv6: write it in brackets, [::1]:53');
    host = raw.slice(0, colon);
    portText = raw.slice(colon + 1);
    if (!/^[A-Za-z0-9.-]+$/.test(host)) return fail('has no valid host');
  }
  const min = what === 'listen' ? 0 : 1;
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < min || Number(portText) > 65535) {
    return fail(`needs a port ${min}-65535`);
  }
  if ((what === 'listen' || what === 'udp backend') && isIP(host) === 0 && host !== 'localhost') {
    return fail(what === 'listen' ? 'must be an IP address to bind' : 'must be an IP address');
  }
  return { host, port: Number(portText) };
}

function readL4Backends(r: Reader, t: Table, path: KeyPath, isUdp: boolean): string[] {
  const list = r.strings(t, 'backends', path);
  if (list === null) {
    if (t['backends'] === undefined)
      r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, 'is missing backends');
    return [];
  }
  if (list.length === 0) r.invalid([...path, 'backends'], 'must list at least one backend');
  const out: string[] = [];
  list.forEach((raw, i) => {
    const hp = readHostPort(r, raw, [...path, 'backends', i], isUdp ? 'udp backend' : 'backend');
    if (hp !== null)
      out.push(hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`);
  });
  return out;
}

function readStrategyRoundRobin(r: Reader, t: Table, path: KeyPath): void {
  const s = r.string(t, 'strategy', path);
  if (s !== null && s !== 'round_robin') {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_UNSUPPORTED,
      [...path, 'strategy'],
      `L4 proxies balance round robin only; ${JSON.stringify(s)} is not supported yet (issue #10)`,
    );
  }
}

function readListen(r: Reader, t: Table, path: KeyPath): GatewayHostPort | null {
  const listen = r.string(t, 'listen', path, true);
  return listen === null ? null : readHostPort(r, listen, [...path, 'listen'], 'listen');
}

function readTcpProxies(r: Reader, v: unknown): GatewayTcpProxy[] {
  const out: GatewayTcpProxy[] = [];
  r.tables(v, ['tcp_proxy'], 'tcp_proxy').forEach((t, i) => {
    const path = ['tcp_proxy', i];
    r.keys(t, path, [
      'name',
      'listen',
      'backends',
      'connect_timeout_ms',
      'idle_timeout_ms',
      'strategy',
      'health_check',
    ]);
    const name = r.string(t, 'name', path);
    const listen = readListen(r, t, path);
    const backends = readL4Backends(r, t, path, false);
    readStrategyRoundRobin(r, t, path);
    let healthCheck: GatewayTcpProxy['healthCheck'] = null;
    const hc = r.table(
      t['health_check'],
      [...path, 'health_check'],
      'a table ([tcp_proxy.health_check])',
    );
    if (hc !== null) {
      const hp = [...path, 'health_check'];
      r.keys(hc, hp, ['interval_secs', 'timeout_ms', 'healthy_threshold', 'unhealthy_threshold']);
      healthCheck = {
        intervalMs: (r.int(hc, 'interval_secs', hp, 1, 86_400) ?? 5) * 1000,
        timeoutMs: r.int(hc, 'timeout_ms', hp, 1, MAX_MS) ?? 1000,
        healthyThreshold: r.int(hc, 'healthy_threshold', hp, 1, 1000) ?? 1,
        unhealthyThreshold: r.int(hc, 'unhealthy_threshold', hp, 1, 1000) ?? 2,
      };
    }
    if (listen !== null) {
      out.push({
        name,
        index: i,
        listen,
        backends,
        connectTimeoutMs: r.int(t, 'connect_timeout_ms', path, 1, MAX_MS) ?? 5000,
        idleTimeoutMs: r.int(t, 'idle_timeout_ms', path, 0, MAX_MS) ?? 0,
        healthCheck,
      });
    }
  });
  return out;
}

function readUdpProxies(r: Reader, v: unknown): GatewayUdpProxy[] {
  const out: GatewayUdpProxy[] = [];
  r.tables(v, ['udp_proxy'], 'udp_proxy').forEach((t, i) => {
    const path = ['udp_proxy', i];
    r.keys(t, path, ['name', 'listen', 'backends', 'reply_timeout_ms', 'buffer_size', 'strategy']);
    const name = r.string(t, 'name', path);
    const listen = readListen(r, t, path);
    const backends = readL4Backends(r, t, path, true);
    readStrategyRoundRobin(r, t, path);
    const buffer = r.int(t, 'buffer_size', path, 1, 65_536);
    if (buffer !== null && buffer < 65_507) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_UNSUPPORTED,
        [...path, 'buffer_size'],
        'datagrams are relayed whole (up to 65507 bytes); a smaller buffer_size that would truncate them is not supported',
      );
    }
    if (listen !== null) {
      out.push({
        name,
        index: i,
        listen,
        backends,
        idleTimeoutMs: r.int(t, 'reply_timeout_ms', path, 1, MAX_MS) ?? 5000,
      });
    }
  });
  return out;
}

/** `[[ws_proxy]]`: a WebSocket listener over health-checked backends. */
function readWsProxies(r: Reader, v: unknown): GatewayWsProxy[] {
  const out: GatewayWsProxy[] = [];
  r.tables(v, ['ws_proxy'], 'ws_proxy').forEach((t, i) => {
    const path = ['ws_proxy', i];
    r.keys(t, path, [
      'name',
      'listen',
      'backends',
      'connect_timeout_ms',
      'read_timeout_ms',
      'health_check',
    ]);
    const name = r.string(t, 'name', path);
    const listen = readListen(r, t, path);
    const backends = readBackends(r, t, path);
    const healthCheck = readHealthCheck(r, t['health_check'], [...path, 'health_check']);
    const connectTimeoutMs = r.int(t, 'connect_timeout_ms', path, 1, MAX_MS) ?? 5000;
    const readTimeoutMs = r.int(t, 'read_timeout_ms', path, 1, MAX_MS) ?? 30_000;
    if (listen !== null) {
      out.push({ name, index: i, listen, backends, connectTimeoutMs, readTimeoutMs, healthCheck });
    }
  });
  return out;
}

/** `[admin]` keys a host such as the `rws` CLI owns (its admin listener), under `ignoreOtherKeys`. */
const HOST_ADMIN_KEYS: readonly string[] = ['listen'];

function readAdmin(r: Reader, v: unknown, isHosted: boolean): GatewayAdmin {
  const t = r.table(v, ['admin'], 'a table ([admin])');
  if (t === null) return { reload: false, tokenEnv: null };
  r.keys(t, ['admin'], ['reload', 'token_env', ...(isHosted ? HOST_ADMIN_KEYS : [])]);
  const reload = r.bool(t, 'reload', ['admin']) ?? false;
  const tokenEnv = r.string(t, 'token_env', ['admin']);
  if (reload && tokenEnv === null) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
      ['admin'],
      'reload = true needs token_env (the endpoint is never open)',
    );
  }
  return { reload, tokenEnv };
}

/**
 * Validates a gateway configuration: TOML text, or an object shaped like the parsed TOML
 * (snake_case keys). Every problem is reported at once; `config` is null when there is any.
 *
 * @example
 * ```ts
 * import { formatConfigProblem, parseGatewayConfig } from '@rws/proxy';
 * const { config, problems } = parseGatewayConfig('[[route]]\n[route.action]\ntype = "respond"\n');
 * for (const p of problems) console.error(formatConfigProblem(p));
 * ```
 */
export function parseGatewayConfig(
  input: string | Readonly<Record<string, unknown>>,
  options: ParseGatewayConfigOptions = {},
): GatewayConfigResult {
  const text = typeof input === 'string' ? input : null;
  const file = options.file ?? (text === null ? undefined : 'rws.config.toml');
  const r = new Reader(text, file);
  let tree: Table;
  if (text !== null) {
    try {
      tree = parse(text) as Table;
    } catch (err) {
      r.problems.push({
        code: GATEWAY_CONFIG_CODES.CONFIG_TOML_SYNTAX,
        source: file === undefined ? 'config' : 'file',
        file,
        key: '(syntax)',
        line: err instanceof TomlError ? err.line : undefined,
        message: String((err as Error).message).split('\n')[0]!,
      });
      return { config: null, problems: r.problems };
    }
  } else if (isTable(input)) {
    tree = input as Table;
  } else {
    r.invalid([], 'the gateway configuration must be an object or TOML text');
    return { config: null, problems: r.problems };
  }
  if (options.ignoreOtherKeys !== true) {
    r.keys(tree, [], [...GATEWAY_SECTIONS, ...(options.ignoreKeys ?? [])]);
  }
  const upstreams = readUpstreams(r, tree['upstream']);
  const byName = new Map(upstreams.map((u) => [u.name, u]));
  const routes = readRoutes(r, tree['route'], byName);
  const middleware = readMiddleware(r, tree['middleware'], ['middleware'], true);
  const admin = readAdmin(r, tree['admin'], options.ignoreOtherKeys === true);
  const tcpProxies = readTcpProxies(r, tree['tcp_proxy']);
  const udpProxies = readUdpProxies(r, tree['udp_proxy']);
  const wsProxies = readWsProxies(r, tree['ws_proxy']);
  // Problems in file order: what a human fixes top to bottom.
  const problems = r.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  if (problems.length > 0) return { config: null, problems };
  return {
    config: { upstreams, routes, middleware, admin, tcpProxies, udpProxies, wsProxies },
    problems,
  };
}

/** True when a parsed config tree has gateway work to do (routes, upstreams, L4 and WebSocket listeners). */
export function hasGatewaySections(tree: Readonly<Record<string, unknown>>): boolean {
  return (
    tree['route'] !== undefined ||
    tree['upstream'] !== undefined ||
    tree['tcp_proxy'] !== undefined ||
    tree['udp_proxy'] !== undefined ||
    tree['ws_proxy'] !== undefined
  );
}
