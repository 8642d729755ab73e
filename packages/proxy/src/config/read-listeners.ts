/** `[[tcp_proxy]]`, `[[udp_proxy]]` and `[[ws_proxy]]`: listeners of their own. */
import { isIP } from 'node:net';
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import type { KeyPath } from './config-problem.js';
import type {
  GatewayHostPort,
  GatewayTcpProxy,
  GatewayUdpProxy,
  GatewayWsProxy,
} from './gateway-config.js';
import { readBackends, readHealthCheck, readUpstreamTls } from './read-upstreams.js';
import { MAX_MS, type Reader, type Table } from './reader.js';

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

export function readTcpProxies(r: Reader, v: unknown): GatewayTcpProxy[] {
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

export function readUdpProxies(r: Reader, v: unknown): GatewayUdpProxy[] {
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
export function readWsProxies(r: Reader, v: unknown): GatewayWsProxy[] {
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
      'tls',
    ]);
    const name = r.string(t, 'name', path);
    const listen = readListen(r, t, path);
    const backends = readBackends(r, t, path);
    // A WebSocket listener relays HTTP/1.1 upgrades: HTTP/2 and gRPC schemes cannot carry them.
    const notWs = backends.filter((b) => b.protocol !== 'http' && b.protocol !== 'https');
    if (notWs.length > 0) {
      r.invalid(
        [...path, 'backends'],
        `${notWs.map((b) => JSON.stringify(b.address)).join(', ')}: ws_proxy backends are ws://, wss:// or host:port`,
      );
    }
    const tls = readUpstreamTls(r, t['tls'], [...path, 'tls'], 'ws_proxy');
    if (tls !== null && backends.length > 0 && backends.every((b) => b.protocol === 'http')) {
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
        [...path, 'tls'],
        '[ws_proxy.tls] applies to wss:// backends, and this listener has none',
      );
    }
    const healthCheck = readHealthCheck(r, t['health_check'], [...path, 'health_check']);
    const connectTimeoutMs = r.int(t, 'connect_timeout_ms', path, 1, MAX_MS) ?? 5000;
    const readTimeoutMs = r.int(t, 'read_timeout_ms', path, 1, MAX_MS) ?? 30_000;
    if (listen !== null) {
      out.push({
        name,
        index: i,
        listen,
        backends,
        connectTimeoutMs,
        readTimeoutMs,
        healthCheck,
        tls,
      });
    }
  });
  return out;
}
