/**
 * websocket-proxy-h2 — a WebSocket opened over HTTP/2 (RFC 8441 extended CONNECT) passed
 * through `reverseProxy` to an HTTP/1.1 WebSocket backend. The front is `serve()` with
 * `h2c` and `enableConnectProtocol` (plain port, HTTP/1.1 and cleartext HTTP/2); the backend,
 * an @rws/http1 server with an `upgradeWebSocket` echo route, runs in this process on a free
 * port. The proxy turns the h2 stream's CONNECT into the RFC 6455 handshake (GET with Upgrade
 * and a key of its own), checks the backend's 101, answers 200 on the stream and relays the
 * frames. HTTP/1.1 clients' upgrades pass through as well. The backend logs each handshake.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/websocket-proxy-h2.ts
 * then, over HTTP/1.1 with Node's WebSocket (logs `backend: GET /echo http/1.1`):
 *   node -e "const w=new WebSocket('ws://127.0.0.1:3000/ws/echo');w.onmessage=e=>{console.log(e.data);w.close()};w.onopen=()=>w.send('hi')"
 * or over h2c with node:http2 as the client (see examples/test/examples.test.ts).
 *
 * PORT sets the proxy's port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { text } from '@rws/core';
import { createServer } from '@rws/http1';
import { upgradeWebSocket } from '@rws/http1/websocket';
import { reverseProxy } from '@rws/proxy';
import { serve } from '@rws/server';

// The backend: an ordinary HTTP/1.1 WebSocket app.
const backend = createServer((req) => {
  console.log(`backend: ${req.method} ${req.path} ${req.protocol}`);
  return upgradeWebSocket(req, {
    onMessage: (message, ws) => ws.send(typeof message === 'string' ? `echo: ${message}` : message),
  });
});
const { port: backendPort } = await backend.listen({ port: 0, host: '127.0.0.1' });

// The front: /ws/* goes to the backend with the prefix stripped, whatever protocol the
// client speaks (an h2 extended CONNECT becomes the backend's HTTP/1.1 handshake).
const proxy = reverseProxy({ upstream: `http://127.0.0.1:${backendPort}`, stripPrefix: '/ws' });
const front = (req: Parameters<typeof proxy.handle>[0]) =>
  req.path.startsWith('/ws/')
    ? proxy.handle(req, () => text('unreachable\n', { status: 500 }))
    : text('try a WebSocket to /ws/echo\n', { status: 404 });

const server = await serve(front, {
  port: Number(process.env['PORT'] ?? 3000),
  h2c: true,
  enableConnectProtocol: true,
  handleSignals: true,
});
process.once('SIGTERM', () => void backend.close());
console.log(`websocket-proxy-h2 listening on ${server.url}/ws/echo (HTTP/1.1 and h2c)`);
