/**
 * websocket-h3 — one `upgradeWebSocket` route served over HTTP/3 (RFC 9220 extended CONNECT),
 * HTTP/2 (RFC 8441) and HTTP/1.1 by `serve()` on one port number (TCP for h2 and http/1.1,
 * UDP for h3). `enableConnectProtocol` makes the HTTP/2 and HTTP/3 sides advertise
 * SETTINGS_ENABLE_CONNECT_PROTOCOL, so a client on either opens its WebSocket as a stream of
 * the connection it has. Each handshake is logged with the protocol it arrived on, and the
 * echo says it too.
 *
 * At startup it makes a throwaway self-signed certificate for localhost with the `openssl`
 * command (deleted on exit).
 *
 * Run from the repository root (needs openssl on PATH):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/websocket-h3.ts
 * then talk to it over HTTP/3 with @rws/h3's client (what examples/test/examples.test.ts does):
 *   const client = await Http3Client.connect({ host: '127.0.0.1', port, serverName: 'localhost',
 *     rejectUnauthorized: false });
 *   const res = await client.request({ path: '/echo', protocol: 'websocket',
 *     headers: [['sec-websocket-version', '13']] });
 *   const ws = new WebSocket(res.tunnel!, { isServer: false }); // from @rws/http1/websocket
 * or over HTTP/1.1 with Node's WebSocket (logs `GET /echo http/1.1`):
 *   NODE_TLS_REJECT_UNAUTHORIZED=0 node -e "const w=new WebSocket('wss://localhost:3443/echo');w.onmessage=e=>{console.log(e.data);w.close()};w.onopen=()=>w.send('hi')"
 *
 * PORT sets the port (default 3443; 0 picks a free one). The real URL is printed on start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { upgradeWebSocket } from '@rws/http1/websocket';
import { createApp } from '@rws/router';
import { serve } from '@rws/server';

const dir = mkdtempSync(join(tmpdir(), 'rws-ws-h3-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const tlsCertFile = join(dir, 'localhost.crt');
const tlsKeyFile = join(dir, 'localhost.key');
// biome-ignore format: the openssl arguments read best as flag/value pairs
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  '-keyout', tlsKeyFile, '-out', tlsCertFile,
], { stdio: 'ignore' });

const app = createApp();
// One route for every handshake: the HTTP/1.1 GET with Upgrade and the h2/h3 extended
// CONNECT, which the router takes to the GET route (`req.method` is CONNECT there).
app.get('/echo', (req) => {
  console.log(`${req.method} ${req.path} ${req.protocol}`);
  return upgradeWebSocket(req, {
    onMessage: (message, ws) =>
      ws.send(typeof message === 'string' ? `${req.protocol}: ${message}` : message),
  });
});

const server = await serve(app, {
  port: Number(process.env['PORT'] ?? 3443),
  tlsCertFile,
  tlsKeyFile,
  http3: true,
  enableConnectProtocol: true,
  handleSignals: true,
});
console.log(
  `listening on https://localhost:${server.address.port} (WebSocket at /echo: h3, h2, http/1.1)`,
);
