/**
 * `[[ws_proxy]]`: an @rws/http1 server of its own whose only handler is a `reverseProxy` over
 * an upstream of the listed backends, taking WebSocket handshakes and nothing else.
 */
import { Headers, type Response } from '@rws/core';
import { type ClientTlsOptions, createServer } from '@rws/http1';
import type { GatewayWsProxy } from '../../config/gateway-config.js';
import { reverseProxy } from '../../reverse-proxy.js';
import { createUpstream } from '../../upstream.js';

/** How long open WebSockets get to finish when the listener closes (reload, shutdown). */
const CLOSE_GRACE_MS = 1000;

function badRequest(): Response {
  return {
    status: 400,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8', connection: 'close' }),
    body: '400 Bad Request: this listener accepts WebSocket upgrade requests only\n',
  };
}

/** A `[[ws_proxy]]` ready to bind: `listen()` then `close()`. */
export function createWsListener(
  w: GatewayWsProxy,
  tls: ClientTlsOptions | null,
): {
  listen(o: { host: string; port: number }): Promise<{ port: number }>;
  close(): Promise<void>;
} {
  const upstream = createUpstream({
    name: w.name ?? `ws_proxy[${w.index}]`,
    backends: w.backends.map((b) => b.url),
    ...(tls === null ? {} : { tls }),
    ...(w.healthCheck === null
      ? {}
      : {
          healthCheck: {
            path: w.healthCheck.path,
            intervalMs: w.healthCheck.intervalMs,
            timeoutMs: w.healthCheck.timeoutMs,
            healthyThreshold: w.healthCheck.healthyThreshold,
            unhealthyThreshold: w.healthCheck.unhealthyThreshold,
          },
        }),
  });
  const proxy = reverseProxy({
    upstream,
    // The handshake's answer; the tunnel after a 101 has no deadline.
    timeouts: {
      connectMs: w.connectTimeoutMs,
      responseHeadersMs: w.readTimeoutMs,
      bodyIdleMs: w.readTimeoutMs,
    },
  });
  const server = createServer(
    (req) => {
      const isWebSocket =
        req.upgrade?.kind === 'upgrade' &&
        (req.upgrade.protocol ?? '').split(',').some((p) => p.trim() === 'websocket');
      if (!isWebSocket) return badRequest();
      return proxy.handle(req, () => badRequest());
    },
    { onError: () => {} },
  );
  return {
    listen: (o) => server.listen({ host: o.host, port: o.port }),
    async close() {
      await server.close({ graceMs: CLOSE_GRACE_MS });
      await proxy.close();
      await upstream.close();
    },
  };
}
