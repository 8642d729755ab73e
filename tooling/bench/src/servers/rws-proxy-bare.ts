/**
 * Subject (bare): @rws/proxy's `reverseProxy` to $UPSTREAM_URL on @rws/http1, nothing else —
 * no access log, no gateway routing, the proxy's defaults (X-Forwarded-*, Via, retries on
 * idempotent requests). Listens on 127.0.0.1:$PORT. Beside `rws-gateway` it shows what the
 * gateway's routing and access log cost on top of the proxy itself.
 */
import { createServer } from '@rws/http1';
import { reverseProxy } from '@rws/proxy';

const port = Number(process.env['PORT'] ?? 3000);
const upstream = process.env['UPSTREAM_URL'];
if (upstream === undefined || upstream === '') {
  throw new Error('rws-proxy-bare: UPSTREAM_URL is not set');
}

const proxy = reverseProxy({ upstream });
const server = createServer((req) =>
  proxy.handle(req, () => {
    // reverseProxy answers every request itself; `next` is never called.
    throw new Error('unreachable');
  }),
);
await server.listen({ port, host: '127.0.0.1' });
