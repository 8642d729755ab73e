/**
 * reverse-proxy — `@rws/proxy` in front of two backends: smooth weighted round robin (2:1),
 * active health checks, a path prefix stripped, X-Forwarded-* and Via added, the upstream's
 * per-backend counters on /metrics, and `clientHalfClose: 'abort'`: a client that half-closes
 * (FIN) while its request is in flight gets its backend request cancelled, as nginx does. The
 * two backends run in this process on free ports.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/reverse-proxy.ts
 * then:
 *   curl http://127.0.0.1:3000/api/hello     # "hello from blue" twice, then "green", …
 *   curl http://127.0.0.1:3000/metrics       # rws_upstream_backend_* per backend
 *   printf 'GET /api/slow HTTP/1.1\r\nHost: x\r\n\r\n' | nc -N 127.0.0.1 3000   # FIN at once
 *   curl http://127.0.0.1:3000/api/cancelled # "1 of 1": the backend saw /slow cancelled
 *
 * PORT sets the proxy's port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { Headers, type Request, type Response, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { createUpstream, reverseProxy } from '@rws/proxy';

/** `/slow` requests received, and those cancelled before their answer (both backends). */
let started = 0;
let cancelled = 0;

/** Answers after 10 s, unless the proxy gives up on the request first. */
function slow(req: Request): Promise<Response> {
  // The proxy closes its backend connection to cancel: a FIN, which `req.signal` does not
  // treat as an abort (RFC 9112 §9.6), so the backend watches `req.halfClose` as well.
  const gone =
    req.halfClose === undefined ? req.signal : AbortSignal.any([req.signal, req.halfClose]);
  started++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(text('slow answer\n')), 10_000);
    gone.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        cancelled++;
        resolve(text('cancelled\n'));
      },
      { once: true },
    );
  });
}

/** A backend that names itself and echoes what the proxy told it about the client. */
async function startBackend(name: string): Promise<string> {
  const server = createServer((req) => {
    if (req.path === '/healthz') return text('ok');
    if (req.path === '/slow') return slow(req);
    if (req.path === '/cancelled') return text(`${cancelled} of ${started}`);
    return {
      status: 200,
      headers: new Headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({
        backend: name,
        path: req.target,
        forwardedFor: req.headers.get('x-forwarded-for'),
        via: req.headers.get('via'),
      }),
    };
  });
  const { port } = await server.listen({ port: 0 });
  return `http://127.0.0.1:${port}`;
}

const blue = await startBackend('blue');
const green = await startBackend('green');

const api = createUpstream({
  name: 'api',
  backends: [
    { url: blue, weight: 2 },
    { url: green, weight: 1 },
  ],
  strategy: 'weighted_round_robin',
  healthCheck: { path: '/healthz', intervalMs: 2000, timeoutMs: 500 },
});
const proxy = reverseProxy({
  upstream: api,
  stripPrefix: '/api',
  timeouts: { totalMs: 30_000 },
  clientHalfClose: 'abort',
});

const server = createServer((req) => {
  if (req.path === '/metrics') {
    return {
      status: 200,
      headers: new Headers({ 'content-type': 'text/plain; version=0.0.4' }),
      body: api.metrics(),
    };
  }
  if (req.path === '/api' || req.path.startsWith('/api/')) {
    return proxy.handle(req, () => text('unreachable', { status: 500 }));
  }
  return text('try /api/hello or /metrics\n', { status: 404 });
});
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`reverse-proxy listening on http://127.0.0.1:${port}/ (backends ${blue}, ${green})`);

process.once('SIGTERM', async () => {
  await server.close({ graceMs: 1000 });
  await api.close();
  process.exit(0);
});
