/**
 * websocket-proxy-h2-backend — WebSockets relayed by `reverseProxy` to an HTTP/2 backend
 * (`h2://` upstream, cleartext h2 with prior knowledge) as RFC 8441 extended CONNECT. The
 * backend is `serve()` with `h2c` and `enableConnectProtocol` and an `upgradeWebSocket` echo
 * route, in this process on a free port. The front is `serve()` on a plain port: a browser's
 * or Node's HTTP/1.1 WebSocket handshake is turned into an extended CONNECT to the backend and
 * answered 101 with the accept value of the client's own key; an h2c client's extended
 * CONNECT goes on as it is. The backend logs each handshake (`backend: CONNECT /echo h2`).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/websocket-proxy-h2-backend.ts
 * then, with Node's WebSocket (HTTP/1.1 to the proxy, h2 from the proxy to the backend):
 *   node -e "const w=new WebSocket('ws://127.0.0.1:3000/ws/echo');w.onmessage=e=>{console.log(e.data);w.close()};w.onopen=()=>w.send('hi')"
 *
 * PORT sets the proxy's port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { text } from '@rws/core';
import { upgradeWebSocket } from '@rws/http1/websocket';
import { reverseProxy } from '@rws/proxy';
import { serve } from '@rws/server';

// The backend: a WebSocket route served over cleartext HTTP/2 with extended CONNECT.
const backend = await serve(
  (req) => {
    console.log(`backend: ${req.method} ${req.path} ${req.protocol}`);
    return upgradeWebSocket(req, {
      onMessage: (message, ws) =>
        ws.send(typeof message === 'string' ? `echo over h2: ${message}` : message),
    });
  },
  { port: 0, host: '127.0.0.1', h2c: true, enableConnectProtocol: true },
);

// The front: /ws/* goes to the h2 backend with the prefix stripped.
const proxy = reverseProxy({
  upstream: `h2://127.0.0.1:${backend.address.port}`,
  stripPrefix: '/ws',
});
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
console.log(`websocket-proxy-h2-backend listening on ${server.url}/ws/echo`);
