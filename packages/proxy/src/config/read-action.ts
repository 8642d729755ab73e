/**
 * `[route.action]`: the action's keys merged from both spellings (directly under
 * `[route.action]` or under `[route.action.<type>]`), then read by the action's own reader.
 * A new action type is one entry in `ACTIONS` and a reader in a file of its own.
 */
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type { GatewayAction, GatewayUpstream } from './gateway-config.js';
import { readGrpcAction } from './read-grpc-action.js';
import { readRedirectAction, readRespondAction, readStaticAction } from './read-local-actions.js';
import { readMcpAction } from './read-mcp-action.js';
import { PROXY_KEYS, readProxyAction } from './read-proxy-action.js';
import { parseBackendAddress } from './read-upstreams.js';
import { isTable, type Reader, type Table } from './reader.js';

/** What an action reader gets: the merged keys, and where each one was written. */
export interface ActionInput {
  readonly r: Reader;
  /** The action's keys, from `[route.action]` and `[route.action.<type>]` together. */
  readonly merged: Table;
  /** The table a key was written in (for problems): `[route.action]` or its sub-table. */
  at(key: string): KeyPath;
  readonly upstreams: ReadonlyMap<string, GatewayUpstream>;
}

/** One action type: the keys it reads and its reader. */
interface ActionSpec {
  readonly keys: readonly string[];
  readonly read: (input: ActionInput) => GatewayAction | null;
}

const ACTIONS: Readonly<Record<string, ActionSpec>> = {
  proxy: { keys: PROXY_KEYS, read: readProxyAction },
  grpc: {
    keys: ['upstream', 'connect_timeout_ms', 'read_timeout_ms'],
    read: ({ r, merged, at, upstreams }) =>
      readGrpcAction(r, merged, at, upstreams, parseBackendAddress),
  },
  static: { keys: ['root', 'index', 'directory_listing', 'storage'], read: readStaticAction },
  redirect: { keys: ['location', 'status'], read: readRedirectAction },
  respond: { keys: ['status', 'body', 'content_type'], read: readRespondAction },
  mcp: { keys: PROXY_KEYS, read: readMcpAction },
};

/**
 * The action's keys from `[route.action]` and `[route.action.<type>]`, merged; a key in both
 * places, or a sub-table of another type, is a conflict.
 */
export function readAction(
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
  const spec = Object.hasOwn(ACTIONS, type) ? ACTIONS[type] : undefined;
  if (spec === undefined) {
    const hint = didYouMean(type, Object.keys(ACTIONS));
    r.invalid(
      [...path, 'type'],
      `unknown action type ${JSON.stringify(type)} (one of ${Object.keys(ACTIONS).join(', ')})`,
      hint === null ? undefined : `did you mean "${hint}"?`,
    );
    return null;
  }
  const keys = spec.keys;
  const merged: Table = {};
  const where = new Map<string, KeyPath>();
  for (const [k, value] of Object.entries(t)) {
    if (k === 'type') continue;
    if (k in ACTIONS && isTable(value)) {
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
  return spec.read({ r, merged, at: (k) => where.get(k) ?? path, upstreams });
}
