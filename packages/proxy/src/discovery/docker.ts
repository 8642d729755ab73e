import type { DiscoverySource } from '../discovery.js';
import {
  type ControlEndpoint,
  discoveryError,
  keepStreaming,
  requestJson,
  streamJsonLines,
} from '../internal/discovery/control-http.js';
import { invalidOption } from '../internal/proxy-error.js';
import type { BackendOptions } from '../upstream.js';

/** Options of `dockerSource`. */
export interface DockerSourceOptions {
  /** The upstream name containers opt into with the label `rws.upstream=<name>`. */
  upstream: string;
  /** The Engine API socket. Default `/var/run/docker.sock`. */
  socketPath?: string | undefined;
  /** Use the container's address on this network. Default: its first network. */
  network?: string | undefined;
  /** Port when a container has no `rws.port` label. Default 80. */
  port?: number | undefined;
  /** Per-request deadline. Default 5000. */
  timeoutMs?: number | undefined;
}

interface Container {
  Id?: string;
  Labels?: Record<string, string>;
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

/** Events that change which containers run (or whether they are healthy). */
const CHANGES = new Set(['start', 'die', 'stop', 'kill', 'destroy', 'pause', 'unpause']);

/**
 * Backends from Docker container labels over the Engine API socket: running containers
 * labelled `rws.upstream=<upstream>` (`/containers/json` with a label filter), at their network
 * address and `rws.port` (optional `rws.scheme`, `rws.weight`); the `/events` stream reports
 * starts, stops and health changes.
 * @see https://docs.docker.com/engine/api/
 */
export function dockerSource(options: DockerSourceOptions): DiscoverySource {
  if (!/^[A-Za-z0-9._-]+$/.test(options.upstream)) {
    throw invalidOption('upstream', options.upstream, 'a label value of letters, digits, . _ -');
  }
  const name = `docker:${options.upstream}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const defaultPort = options.port ?? 80;
  const ep: ControlEndpoint = {
    url: 'http://docker',
    socketPath: options.socketPath ?? '/var/run/docker.sock',
  };
  const label = `rws.upstream=${options.upstream}`;
  const listFilter = encodeURIComponent(JSON.stringify({ label: [label], status: ['running'] }));
  const eventFilter = encodeURIComponent(JSON.stringify({ type: ['container'], label: [label] }));

  const toBackend = (c: Container): BackendOptions | null => {
    const labels = c.Labels ?? {};
    const networks = c.NetworkSettings?.Networks ?? {};
    const net =
      options.network === undefined ? Object.values(networks)[0] : networks[options.network];
    const ip = net?.IPAddress;
    if (ip === undefined || ip === '') return null;
    const portText = labels['rws.port'];
    const port = portText === undefined ? defaultPort : Number(portText);
    const id = (c.Id ?? '?').slice(0, 12);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw discoveryError(
        name,
        `container ${id}: rws.port ${JSON.stringify(portText)} is not a port`,
      );
    }
    const scheme = labels['rws.scheme'] ?? 'http';
    if (scheme !== 'http' && scheme !== 'https') {
      throw discoveryError(name, `container ${id}: rws.scheme must be http or https`);
    }
    const b: BackendOptions = { url: `${scheme}://${ip.includes(':') ? `[${ip}]` : ip}:${port}` };
    const weight = Number(labels['rws.weight'] ?? 1);
    if (weight > 0 && weight !== 1) b.weight = weight;
    return b;
  };

  return {
    name,
    async resolve({ signal } = {}) {
      const { body } = await requestJson<Container[]>(ep, {
        source: name,
        path: `/containers/json?filters=${listFilter}`,
        timeoutMs,
        signal,
      });
      const out: BackendOptions[] = [];
      for (const c of Array.isArray(body) ? body : []) {
        const b = toBackend(c);
        if (b !== null) out.push(b);
      }
      return out.sort((a, b) => a.url.localeCompare(b.url));
    },
    watch(onChange, onError) {
      return keepStreaming(
        (signal) =>
          streamJsonLines(ep, {
            source: name,
            path: `/events?filters=${eventFilter}`,
            timeoutMs,
            signal,
            idleMs: 0,
            onValue: (v) => {
              const e = v as { Action?: string; status?: string };
              const action = e.Action ?? e.status ?? '';
              if (CHANGES.has(action) || action.startsWith('health_status')) onChange();
            },
          }),
        (error) => {
          onError?.(error ?? discoveryError(name, 'the event stream ended; reconnecting'));
          // Containers may have started or stopped while the stream was down.
          onChange();
        },
      );
    },
  };
}
