/** `[[upstream]]`: backends (`parseBackendAddress`), strategy, health check, TLS. */
import { isIP } from 'node:net';
import { isToken } from '@rws/core';
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import { checkPathValue } from './checks.js';
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type {
  GatewayBackend,
  GatewayHealthCheck,
  GatewayStrategy,
  GatewayUpstream,
  GatewayUpstreamTls,
} from './gateway-config.js';
import { readDiscovery } from './read-discovery.js';
import { isTlsBackend } from './read-grpc-action.js';
import { MAX_MS, type Reader, type Table } from './reader.js';

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

const MAX_PORT = 65535;

/** `host:port`, `http(s)://host[:port]`, `[v6]:port`: the backend, or a reason it is not one. */
export function parseBackendAddress(raw: string): GatewayBackend | string {
  let rest = raw.trim();
  let protocol: GatewayBackend['protocol'] = 'http';
  const scheme = rest.indexOf('://');
  if (scheme !== -1) {
    const s = rest.slice(0, scheme).toLowerCase();
    if (s === 'https' || s === 'wss') protocol = 'https';
    else if (s === 'h2' || s === 'h2s' || s === 'grpc' || s === 'grpcs' || s === 'h3') protocol = s;
    else if (s !== 'http' && s !== 'ws')
      return `unknown scheme ${s}:// (use http://, https://, grpc://, grpcs://, h2://, h2s:// or h3://)`;
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
  let port = isTlsBackend({ protocol }) ? 443 : 80;
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

export function readHealthCheck(r: Reader, v: unknown, path: KeyPath): GatewayHealthCheck | null {
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

export function readUpstreamTls(
  r: Reader,
  v: unknown,
  path: KeyPath,
  section = 'upstream',
): GatewayUpstreamTls | null {
  const t = r.table(v, path, `a table ([${section}.tls])`);
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

export function readBackends(
  r: Reader,
  t: Table,
  path: KeyPath,
  isDiscovered = false,
): GatewayBackend[] {
  const list = r.strings(t, 'backends', path);
  if (list === null) {
    if (t['backends'] === undefined && !isDiscovered) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE,
        path,
        'is missing backends (or an [upstream.discovery] source)',
      );
    }
    return [];
  }
  if (list.length === 0 && !isDiscovered) {
    r.invalid([...path, 'backends'], 'must list at least one backend');
  }
  const out: GatewayBackend[] = [];
  list.forEach((raw, i) => {
    const b = parseBackendAddress(raw);
    if (typeof b === 'string') r.invalid([...path, 'backends', i], `${JSON.stringify(raw)}: ${b}`);
    else out.push(b);
  });
  return out;
}

export function readUpstreams(r: Reader, v: unknown): GatewayUpstream[] {
  const out: GatewayUpstream[] = [];
  const seen = new Map<string, number>();
  r.tables(v, ['upstream'], 'upstream').forEach((t, i) => {
    const path = ['upstream', i];
    r.keys(t, path, [
      'name',
      'backends',
      'strategy',
      'hash_key',
      'health_check',
      'tls',
      'discovery',
    ]);
    const name = r.string(t, 'name', path, true);
    const discovery = readDiscovery(r, t['discovery'], [...path, 'discovery'], name);
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
    const backends = readBackends(r, t, path, t['discovery'] !== undefined);
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
    if (tls !== null && backends.length > 0 && backends.every((b) => !isTlsBackend(b))) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        [...path, 'tls'],
        '[upstream.tls] applies to https://, grpcs://, h2s:// and h3:// backends, and this upstream has none',
      );
    }
    if (name !== null) {
      out.push({
        name,
        backends,
        strategy,
        hashKey: isHashed ? hashKey : null,
        healthCheck,
        tls,
        discovery,
      });
    }
  });
  return out;
}
