import type { DiscoverySource } from '../discovery.js';
import { type ControlEndpoint, requestJson } from '../internal/discovery/control-http.js';
import { pollLoop } from '../internal/discovery/poll-loop.js';
import { invalidOption } from '../internal/proxy-error.js';
import type { BackendOptions } from '../upstream.js';

/** Options of `consulSource`. */
export interface ConsulSourceOptions {
  /** The agent's HTTP API. Default `http://127.0.0.1:8500`. */
  address?: string | undefined;
  /** The service name. */
  service: string;
  /** Only instances carrying this tag. */
  tag?: string | undefined;
  /** Datacenter (`dc=`); default the agent's. */
  datacenter?: string | undefined;
  /** ACL token, sent as `X-Consul-Token`. */
  token?: string | undefined;
  /** Scheme of the backends. Default `http`. */
  scheme?: 'http' | 'https' | undefined;
  /** PEM CA of an https agent. */
  ca?: string | Buffer | undefined;
  /** How long a blocking query may wait for a change (`wait=`), in seconds. Default 60. */
  waitSecs?: number | undefined;
  /** Per-request deadline on top of the blocking wait. Default 5000. */
  timeoutMs?: number | undefined;
}

interface HealthEntry {
  Node?: { Address?: string };
  Service?: { Address?: string; Port?: number; Weights?: { Passing?: number } };
}

/**
 * Backends from Consul's health API: the instances of `service` whose checks all pass
 * (`/v1/health/service/<name>?passing`), watched with blocking queries (`index`, `wait`) so a
 * change is seen as soon as Consul has it.
 * @see https://developer.hashicorp.com/consul/api-docs/features/blocking
 */
export function consulSource(options: ConsulSourceOptions): DiscoverySource {
  if (!/^[A-Za-z0-9._-]+$/.test(options.service)) {
    throw invalidOption('service', options.service, 'a Consul service name');
  }
  const waitSecs = options.waitSecs ?? 60;
  if (!Number.isInteger(waitSecs) || waitSecs < 1 || waitSecs > 600) {
    throw invalidOption('waitSecs', waitSecs, 'an integer from 1 to 600');
  }
  const name = `consul:${options.service}`;
  const scheme = options.scheme ?? 'http';
  const timeoutMs = options.timeoutMs ?? 5000;
  const token = options.token;
  const ep: ControlEndpoint = {
    url: options.address ?? 'http://127.0.0.1:8500',
    ca: options.ca,
    headers: token === undefined ? undefined : async () => ({ 'x-consul-token': token }),
  };
  const query = new URLSearchParams({ passing: 'true' });
  if (options.tag !== undefined) query.set('tag', options.tag);
  if (options.datacenter !== undefined) query.set('dc', options.datacenter);
  const path = `/v1/health/service/${encodeURIComponent(options.service)}`;

  const toBackends = (entries: HealthEntry[]): BackendOptions[] => {
    const out: BackendOptions[] = [];
    for (const e of entries) {
      // An empty service address means "the node's address" (Consul's own rule).
      const host = e.Service?.Address || e.Node?.Address;
      const port = e.Service?.Port;
      if (host === undefined || host === '' || port === undefined || port <= 0) continue;
      const b: BackendOptions = {
        url: `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`,
      };
      const w = e.Service?.Weights?.Passing;
      if (w !== undefined && w > 0 && w !== 1) b.weight = w;
      out.push(b);
    }
    return out.sort((a, b) => a.url.localeCompare(b.url));
  };

  return {
    name,
    async resolve({ signal } = {}) {
      const { body } = await requestJson<HealthEntry[]>(ep, {
        source: name,
        path: `${path}?${query}`,
        timeoutMs,
        signal,
      });
      return toBackends(Array.isArray(body) ? body : []);
    },
    watch(onChange, onError) {
      let index = '0';
      return pollLoop(
        async (signal) => {
          const q = new URLSearchParams(query);
          q.set('index', index);
          q.set('wait', `${waitSecs}s`);
          const { headers } = await requestJson<HealthEntry[]>(ep, {
            source: name,
            path: `${path}?${q}`,
            // Consul adds up to wait/16 of jitter to the wait.
            timeoutMs: waitSecs * 1000 * 1.07 + timeoutMs,
            signal,
          });
          const next = String(headers['x-consul-index'] ?? '0');
          // An index that went backwards (a restarted agent) restarts from 0, per Consul's docs.
          const isReset = BigInt(/^\d+$/.test(next) ? next : '0') < BigInt(index);
          if (next !== index && index !== '0') onChange();
          index = isReset ? '0' : next;
        },
        (error) => onError?.(error),
        onChange,
      );
    },
  };
}
