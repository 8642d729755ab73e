import type { DiscoverySource } from '../discovery.js';
import { parseBackendList } from '../internal/backend-list.js';
import {
  type ControlEndpoint,
  discoveryError,
  keepStreaming,
  requestJson,
  streamJsonLines,
} from '../internal/discovery/control-http.js';
import { etcdAuthRunner } from '../internal/discovery/etcd-auth.js';
import { invalidOption } from '../internal/proxy-error.js';
import type { BackendOptions } from '../upstream.js';

/** Options of `etcdSource`. */
export interface EtcdSourceOptions {
  /** etcd client URLs (`http://127.0.0.1:2379`), tried in order. */
  endpoints: readonly string[];
  /** Every key under this prefix is one backend (`/rws/upstreams/api/`). */
  prefix: string;
  /** PEM CA of https endpoints. */
  ca?: string | Buffer | undefined;
  /** PEM client certificate and key for etcd's `--client-cert-auth` (mutual TLS). */
  cert?: string | Buffer | undefined;
  key?: string | Buffer | undefined;
  /**
   * An etcd user (etcd with `auth enable`): the source authenticates with `password`, sends the
   * token with each call and authenticates again when etcd says the token expired.
   */
  username?: string | undefined;
  password?: string | undefined;
  /** Per-request deadline. Default 5000. */
  timeoutMs?: number | undefined;
}

interface RangeResponse {
  header?: { revision?: string };
  kvs?: { key: string; value?: string }[];
}

interface WatchResult {
  events?: unknown[];
  created?: boolean;
  canceled?: boolean;
  cancel_reason?: string;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString('utf8');

/** The key just past every key starting with `prefix` (etcd's `range_end` for a prefix). */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.subarray(0, i + 1);
      end[i]! += 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

/** A value is a backend line (`10.0.0.5:8080 weight=2`) or JSON `{"url", "weight"}`. */
function parseValue(key: string, value: string): BackendOptions[] {
  const text = value.trim();
  if (!text.startsWith('{')) return parseBackendList(text, key);
  const v = JSON.parse(text) as { url?: unknown; weight?: unknown };
  if (typeof v.url !== 'string') throw new Error(`${key}: JSON value without a "url" string`);
  const out: BackendOptions = {
    url: v.url.includes('://') ? v.url : `http://${v.url}`,
  };
  if (typeof v.weight === 'number') out.weight = v.weight;
  return [out];
}

/**
 * Backends from etcd v3 through its JSON gateway: every key under `prefix` holds one backend
 * (`/v3/kv/range`), and a `/v3/watch` stream on the prefix reports changes as they happen.
 * @see https://etcd.io/docs/v3.5/dev-guide/api_grpc_gateway/
 *
 * @example
 * ```ts
 * import { createUpstream, etcdSource, watchDiscovery } from '@rws/proxy';
 * const api = createUpstream({ name: 'api', backends: [] });
 * const source = etcdSource({ endpoints: ['http://127.0.0.1:2379'], prefix: '/rws/api/' });
 * const watch = watchDiscovery(api, source, { onError: (e) => console.warn(e.message) });
 * await watch.ready;
 * ```
 */
export function etcdSource(options: EtcdSourceOptions): DiscoverySource {
  if (options.endpoints.length === 0) throw invalidOption('endpoints', [], 'at least one URL');
  if (options.prefix === '') throw invalidOption('prefix', '', 'a non-empty key prefix');
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw invalidOption('password', '(hidden)', 'username and password together');
  }
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw invalidOption('key', '(hidden)', 'cert and key together');
  }
  const name = `etcd:${options.prefix}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const { ca, cert, key } = options;
  const endpoints: ControlEndpoint[] = options.endpoints.map((url) => ({ url, ca, cert, key }));
  const authed = etcdAuthRunner(
    name,
    options.username === undefined
      ? undefined
      : { username: options.username, password: options.password ?? '' },
    timeoutMs,
  );
  const range = { key: b64(options.prefix), range_end: prefixEnd(options.prefix) };
  let preferred = 0;

  return {
    name,
    async resolve({ signal } = {}) {
      let last: unknown = null;
      for (let i = 0; i < endpoints.length; i++) {
        const at = (preferred + i) % endpoints.length;
        try {
          const { body } = await authed(endpoints[at]!, signal, (ep) =>
            requestJson<RangeResponse>(ep, {
              source: name,
              method: 'POST',
              path: '/v3/kv/range',
              body: range,
              timeoutMs,
              signal,
            }),
          );
          preferred = at;
          const out: BackendOptions[] = [];
          for (const kv of body.kvs ?? []) {
            const key = unb64(kv.key);
            try {
              out.push(...parseValue(key, unb64(kv.value)));
            } catch (err) {
              throw discoveryError(name, `key ${key}: ${(err as Error).message}`, err);
            }
          }
          return out.sort((a, b) => a.url.localeCompare(b.url));
        } catch (err) {
          last = err;
        }
      }
      throw last;
    },
    watch(onChange, onError) {
      let turn = 0;
      return keepStreaming(
        (signal) =>
          authed(endpoints[(preferred + turn++) % endpoints.length]!, signal, (ep) =>
            streamJsonLines(ep, {
              source: name,
              method: 'POST',
              path: '/v3/watch',
              body: { create_request: range },
              timeoutMs,
              signal,
              // etcd sends nothing on a quiet key; the socket's own errors end a dead stream.
              idleMs: 0,
              onValue: (v) => {
                const m = v as { result?: WatchResult; error?: { message?: string } };
                // A refused stream (a bad token) is one error object, with status 200.
                if (m.error !== undefined) throw new Error(m.error.message ?? JSON.stringify(v));
                const r = m.result;
                if (r?.canceled === true) {
                  throw new Error(
                    `etcd canceled the watch: ${r.cancel_reason ?? 'no reason given'}`,
                  );
                }
                // The first message confirms the watch: re-read in case of changes since the list.
                if (r?.created === true || (r?.events?.length ?? 0) > 0) onChange();
              },
            }),
          ),
        (error) => {
          onError?.(error ?? discoveryError(name, 'the watch stream ended; reconnecting'));
        },
      );
    },
  };
}
