import { createHash } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { ClientTlsOptions } from '@rws/http1';
import type { KeyPath } from '../../config/config-problem.js';
import type { GatewayConfig } from '../../config/gateway-config.js';
import { createTcpProxy } from '../../tcp-proxy.js';
import { createUdpProxy } from '../../udp-proxy.js';
import { readUpstreamTls } from './build-runtime.js';
import { createWsListener } from './ws-listener.js';

/** A bound `[[tcp_proxy]]`, `[[udp_proxy]]` or `[[ws_proxy]]`. */
export interface RunningListener {
  /** The settings it was built from: equal keys are kept across a reload. */
  readonly key: string;
  readonly kind: 'tcp' | 'udp' | 'ws';
  readonly name: string | null;
  readonly host: string;
  /** The bound port (the real one when `listen` asked for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Binds the L4 and WebSocket listeners of `config`, keeping those of `previous` whose settings are equal
 * (their connections and sessions go on). Returns null, with problems reported and whatever
 * it bound closed again, when one cannot bind; `previous` is untouched either way.
 */
export async function startListeners(
  config: GatewayConfig,
  previous: readonly RunningListener[],
  problem: (path: KeyPath, message: string) => void,
  cwd: string,
): Promise<RunningListener[] | null> {
  const kept = new Set<RunningListener>();
  const started: RunningListener[] = [];
  const out: RunningListener[] = [];
  let isFailed = false;
  const reuse = (key: string): RunningListener | null => {
    const old = previous.find((l) => l.key === key && !kept.has(l));
    if (old === undefined) return null;
    kept.add(old);
    return old;
  };
  const bind = async (
    path: KeyPath,
    kind: 'tcp' | 'udp' | 'ws',
    name: string | null,
    key: string,
    listen: { host: string; port: number },
    open: () => {
      listen(o: { host: string; port: number }): Promise<{ port: number }>;
      close(): Promise<void>;
    },
  ): Promise<void> => {
    const old = reuse(key);
    if (old !== null) {
      out.push(old);
      return;
    }
    const proxy = open();
    try {
      const address = await proxy.listen({ host: listen.host, port: listen.port });
      const l = {
        key,
        kind,
        name,
        host: listen.host,
        port: address.port,
        close: () => proxy.close(),
      };
      started.push(l);
      out.push(l);
    } catch (err) {
      isFailed = true;
      await proxy.close().catch(() => {});
      const hint =
        (err as { code?: string }).code === 'EADDRINUSE' &&
        previous.some((l) => l.host === listen.host && l.port === listen.port)
          ? ' (a running listener holds it: changing a listener in place needs a restart)'
          : '';
      problem(
        [...path, 'listen'],
        `cannot listen on ${listen.host}:${listen.port}: ${(err as Error).message}${hint}`,
      );
    }
  };
  for (const t of config.tcpProxies) {
    const { index: _index, ...settings } = t;
    await bind(
      ['tcp_proxy', t.index],
      'tcp',
      t.name,
      `tcp${JSON.stringify(settings)}`,
      t.listen,
      () =>
        createTcpProxy({
          backends: t.backends,
          connectTimeoutMs: t.connectTimeoutMs,
          idleTimeoutMs: t.idleTimeoutMs,
          ...(t.healthCheck === null ? {} : { healthCheck: t.healthCheck }),
        }),
    );
  }
  for (const u of config.udpProxies) {
    const { index: _index, ...settings } = u;
    await bind(
      ['udp_proxy', u.index],
      'udp',
      u.name,
      `udp${JSON.stringify(settings)}`,
      u.listen,
      () => createUdpProxy({ backends: u.backends, idleTimeoutMs: u.idleTimeoutMs }),
    );
  }
  for (const w of config.wsProxies) {
    const { index: _index, ...settings } = w;
    let tls: ClientTlsOptions | null = null;
    if (w.tls !== null) {
      let isReadable = true;
      tls = readUpstreamTls(w.tls, ['ws_proxy', w.index, 'tls'], {
        resolvePath: (p) => (isAbsolute(p) ? p : resolve(cwd, p)),
        problem: (path, message) => {
          isReadable = false;
          problem(path, message);
        },
      });
      if (!isReadable) {
        isFailed = true;
        continue;
      }
    }
    // Certificates by digest: a reload that re-reads changed PEM files builds a new listener.
    const tlsKey =
      tls === null ? '' : createHash('sha256').update(JSON.stringify(tls)).digest('base64');
    const wsTls = tls;
    await bind(
      ['ws_proxy', w.index],
      'ws',
      w.name,
      `ws${JSON.stringify(settings)}${tlsKey}`,
      w.listen,
      () => createWsListener(w, wsTls),
    );
  }
  if (isFailed) {
    await Promise.all(started.map((l) => l.close()));
    return null;
  }
  return out;
}
