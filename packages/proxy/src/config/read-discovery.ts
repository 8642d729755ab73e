/** `[upstream.discovery]` and `[kubernetes_ingress]`: where backends and routes come from. */
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type { GatewayDiscovery, GatewayKubernetesIngress } from './gateway-config.js';
import { MAX_MS, type Reader, type Table } from './reader.js';

const COMMON = ['type', 'refresh_secs', 'timeout_ms'];

/** The keys of each discovery type (besides `type`, `refresh_secs`, `timeout_ms`). */
export const DISCOVERY_KEYS: Readonly<Record<GatewayDiscovery['type'], readonly string[]>> = {
  etcd: ['endpoints', 'prefix', 'username', 'password_env', 'ca_file', 'cert_file', 'key_file'],
  consul: ['address', 'service', 'tag', 'datacenter', 'token_env', 'scheme', 'wait_secs'],
  docker: ['socket', 'label', 'network', 'port'],
  kubernetes: ['namespace', 'service', 'port', 'scheme', 'api_server', 'token_file', 'ca_file'],
  dns: ['hostname', 'record_type', 'port', 'scheme', 'servers'],
  file: ['path'],
};

const KUBE_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

function scheme(r: Reader, t: Table, path: KeyPath): 'http' | 'https' {
  const s = r.string(t, 'scheme', path);
  if (s !== null && s !== 'http' && s !== 'https') {
    r.invalid([...path, 'scheme'], `must be "http" or "https", got ${JSON.stringify(s)}`);
  }
  return s === 'https' ? 'https' : 'http';
}

function url(r: Reader, at: KeyPath, value: string | null): void {
  if (value === null) return;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    r.invalid(at, `${JSON.stringify(value)} is not an http:// or https:// URL`);
  }
}

function kubeName(r: Reader, path: KeyPath, key: string, v: string | null): void {
  if (v !== null && !KUBE_NAME.test(v)) {
    r.invalid([...path, key], `${JSON.stringify(v)} is not a Kubernetes object name`);
  }
}

/** `[upstream.discovery]`, or null when absent. `upstream` names the default Docker label. */
export function readDiscovery(
  r: Reader,
  v: unknown,
  path: KeyPath,
  upstream: string | null,
): GatewayDiscovery | null {
  const t = r.table(v, path, 'a table ([upstream.discovery])');
  if (t === null) return null;
  const type = r.string(t, 'type', path, true);
  if (type === null) return null;
  const own = DISCOVERY_KEYS[type as GatewayDiscovery['type']];
  if (own === undefined) {
    const names = Object.keys(DISCOVERY_KEYS);
    const hint = didYouMean(type, names);
    r.invalid(
      [...path, 'type'],
      `unknown discovery type ${JSON.stringify(type)} (one of ${names.join(', ')})`,
      hint === null ? undefined : `did you mean "${hint}"?`,
    );
    return null;
  }
  r.keys(t, path, [...COMMON, ...own]);
  const common = {
    refreshMs: (r.int(t, 'refresh_secs', path, 1, 86_400) ?? 30) * 1000,
    timeoutMs: r.int(t, 'timeout_ms', path, 1, MAX_MS) ?? 5000,
  };
  switch (type as GatewayDiscovery['type']) {
    case 'etcd': {
      const endpoints = r.strings(t, 'endpoints', path, true) ?? ['http://127.0.0.1:2379'];
      for (const [i, e] of endpoints.entries()) url(r, [...path, 'endpoints', i], e);
      if (endpoints.length === 0) r.invalid([...path, 'endpoints'], 'must list at least one URL');
      const prefix = r.string(t, 'prefix', path, true) ?? '';
      const username = r.string(t, 'username', path);
      const passwordEnv = r.string(t, 'password_env', path);
      if ((username === null) !== (passwordEnv === null)) {
        const missing = username === null ? 'username' : 'password_env';
        r.invalid([...path, missing], 'username and password_env go together (etcd auth)');
      }
      const certFile = r.string(t, 'cert_file', path);
      const keyFile = r.string(t, 'key_file', path);
      if ((certFile === null) !== (keyFile === null)) {
        const missing = certFile === null ? 'cert_file' : 'key_file';
        r.invalid([...path, missing], 'cert_file and key_file go together (client certificate)');
      }
      return {
        type: 'etcd',
        endpoints,
        prefix,
        username,
        passwordEnv,
        caFile: r.string(t, 'ca_file', path),
        certFile,
        keyFile,
        ...common,
      };
    }
    case 'consul': {
      const address = r.string(t, 'address', path) ?? 'http://127.0.0.1:8500';
      url(r, [...path, 'address'], address);
      const service = r.string(t, 'service', path) ?? upstream ?? '';
      if (!/^[A-Za-z0-9._-]+$/.test(service)) {
        r.invalid([...path, 'service'], `${JSON.stringify(service)} is not a Consul service name`);
      }
      return {
        type: 'consul',
        address,
        service,
        tag: r.string(t, 'tag', path),
        datacenter: r.string(t, 'datacenter', path),
        tokenEnv: r.string(t, 'token_env', path),
        scheme: scheme(r, t, path),
        waitSecs: r.int(t, 'wait_secs', path, 1, 600) ?? 60,
        ...common,
      };
    }
    case 'docker': {
      const label = r.string(t, 'label', path) ?? upstream ?? '';
      if (!/^[A-Za-z0-9._-]+$/.test(label)) {
        r.invalid([...path, 'label'], `${JSON.stringify(label)} is not a usable label value`);
      }
      return {
        type: 'docker',
        socket: r.string(t, 'socket', path) ?? '/var/run/docker.sock',
        label,
        network: r.string(t, 'network', path),
        port: r.int(t, 'port', path, 1, 65_535) ?? 80,
        ...common,
      };
    }
    case 'kubernetes': {
      const namespace = r.string(t, 'namespace', path) ?? 'default';
      const service = r.string(t, 'service', path) ?? upstream ?? '';
      kubeName(r, path, 'namespace', namespace);
      kubeName(r, path, 'service', service);
      let port: number | string = 80;
      const p = t['port'];
      if (typeof p === 'string' && p !== '') port = p;
      else if (p !== undefined) port = r.int(t, 'port', path, 1, 65_535) ?? 80;
      const apiServer = r.string(t, 'api_server', path);
      url(r, [...path, 'api_server'], apiServer);
      return {
        type: 'kubernetes',
        namespace,
        service,
        port,
        scheme: scheme(r, t, path),
        apiServer,
        tokenFile: r.string(t, 'token_file', path),
        caFile: r.string(t, 'ca_file', path),
        ...common,
      };
    }
    case 'dns': {
      const recordType = r.string(t, 'record_type', path) ?? 'A';
      if (!['A', 'AAAA', 'A+AAAA', 'SRV'].includes(recordType)) {
        r.invalid(
          [...path, 'record_type'],
          `must be "A", "AAAA", "A+AAAA" or "SRV", got ${JSON.stringify(recordType)}`,
        );
      }
      return {
        type: 'dns',
        hostname: r.string(t, 'hostname', path, true) ?? '',
        recordType: recordType as 'A',
        port: r.int(t, 'port', path, 1, 65_535),
        scheme: scheme(r, t, path),
        servers: r.strings(t, 'servers', path) ?? [],
        ...common,
      };
    }
    case 'file':
      return { type: 'file', path: r.string(t, 'path', path, true) ?? '', ...common };
  }
}

/** `[kubernetes_ingress]`: routes from Ingress objects, tried after the `[[route]]`s. */
export function readKubernetesIngress(r: Reader, v: unknown): GatewayKubernetesIngress | null {
  const path = ['kubernetes_ingress'];
  const t = r.table(v, path, 'a table ([kubernetes_ingress])');
  if (t === null) return null;
  r.keys(t, path, [
    'ingress_class',
    'namespace',
    'api_server',
    'token_file',
    'ca_file',
    'refresh_secs',
    'timeout_ms',
  ]);
  const namespace = r.string(t, 'namespace', path);
  kubeName(r, path, 'namespace', namespace);
  const apiServer = r.string(t, 'api_server', path);
  url(r, [...path, 'api_server'], apiServer);
  const ingressClass = r.string(t, 'ingress_class', path) ?? 'rws';
  if (ingressClass === '') r.invalid([...path, 'ingress_class'], 'must not be empty');
  return {
    ingressClass,
    namespace,
    apiServer,
    tokenFile: r.string(t, 'token_file', path),
    caFile: r.string(t, 'ca_file', path),
    refreshMs: (r.int(t, 'refresh_secs', path, 1, 86_400) ?? 30) * 1000,
    timeoutMs: r.int(t, 'timeout_ms', path, 1, MAX_MS) ?? 5000,
  };
}
