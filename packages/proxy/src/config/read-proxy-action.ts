/** `type = "proxy"`: an `[[upstream]]` name or one backend address, and the proxy settings. */

import { GATEWAY_CONFIG_CODES } from '../errors.js';
import { checkPathValue, readCidrList } from './checks.js';
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type { GatewayAction, GatewayBackend, GatewayProxyAction } from './gateway-config.js';
import type { ActionInput } from './read-action.js';
import { parseBackendAddress } from './read-upstreams.js';
import { MAX_MS, type Reader, type Table } from './reader.js';

/** The keys of a proxy action; an mcp action takes the same ones. */
export const PROXY_KEYS: readonly string[] = [
  'upstream',
  'connect_timeout_ms',
  'read_timeout_ms',
  'strip_path_prefix',
  'add_path_prefix',
  'preserve_host',
  'forwarded',
  'trusted_proxies',
  'client_half_close',
];

export function readProxyAction({ r, merged, at, upstreams }: ActionInput): GatewayAction {
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
  const strip = checkPathValue(r, r.string(merged, 'strip_path_prefix', at('strip_path_prefix')), [
    ...at('strip_path_prefix'),
    'strip_path_prefix',
  ]);
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
    clientHalfClose: readClientHalfClose(r, merged, at('client_half_close')),
  };
}

function readClientHalfClose(
  r: Reader,
  t: Table,
  path: KeyPath,
): GatewayProxyAction['clientHalfClose'] {
  const v = r.string(t, 'client_half_close', path) ?? 'finish';
  if (v !== 'abort' && v !== 'finish') {
    r.invalid(
      [...path, 'client_half_close'],
      `must be "abort" or "finish", got ${JSON.stringify(v)}`,
    );
    return 'finish';
  }
  return v;
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
