/**
 * websocket-h2 — one `upgradeWebSocket` route served over HTTP/2 and HTTP/1.1 by `serve()` on
 * one TLS port. With `enableConnectProtocol` the HTTP/2 side advertises RFC 8441 extended
 * CONNECT, so a browser that loaded the page over HTTP/2 opens its WebSocket as a stream of
 * that same connection; clients without HTTP/2 get the usual 101 over HTTP/1.1. Each request
 * is logged with the protocol it arrived on (`h2` or `http/1.1`).
 *
 * At startup it makes a throwaway self-signed certificate for localhost with the `openssl`
 * command (deleted on exit).
 *
 * Run from the repository root (needs openssl on PATH):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/websocket-h2.ts
 * then open https://localhost:3443/ in Chromium (accept the certificate warning): the log
 * shows `CONNECT /echo h2`. From a shell, Node's WebSocket (HTTP/1.1) logs `GET /echo http/1.1`:
 *   NODE_TLS_REJECT_UNAUTHORIZED=0 node -e "const w=new WebSocket('wss://localhost:3443/echo');w.onmessage=e=>{console.log(e.data);w.close()};w.onopen=()=>w.send('hi')"
 *
 * PORT sets the port (default 3443; 0 picks a free one). The real URL is printed on start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { html } from '@rws/core';
import { upgradeWebSocket } from '@rws/http1/websocket';
import { createApp } from '@rws/router';
import { serve } from '@rws/server';

const dir = mkdtempSync(join(tmpdir(), 'rws-ws-h2-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const tlsCertFile = join(dir, 'localhost.crt');
const tlsKeyFile = join(dir, 'localhost.key');
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    .concat(['-days', '1', '-subj', '/CN=localhost', '-keyout', tlsKeyFile, '-out', tlsCertFile])
    .concat(['-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']),
  { stdio: 'ignore' },
);

const app = createApp();
app.use((req, next) => {
  console.log(`${req.method} ${req.path} ${req.protocol}`);
  return next(req);
});

app.get('/', () =>
  html(`<!doctype html>
<title>websocket over h2</title>
<pre id="out"></pre>
<script>
  const ws = new WebSocket('wss://' + location.host + '/echo');
  ws.onopen = () => ws.send('hello over ' + performance.getEntriesByType('navigation')[0].nextHopProtocol);
  ws.onmessage = (e) => { document.getElementById('out').textContent = e.data; };
</script>`),
);

// One route for both handshakes: the HTTP/1.1 GET with Upgrade and the HTTP/2 extended
// CONNECT, which the router takes to the GET route (`req.method` stays CONNECT).
app.get('/echo', (req) =>
  upgradeWebSocket(req, {
    origin: true,
    onMessage: (message, ws) => ws.send(message),
  }),
);

const server = await serve(app, {
  port: Number(process.env['PORT'] ?? 3443),
  tlsCertFile,
  tlsKeyFile,
  enableConnectProtocol: true,
  handleSignals: true,
});
console.log(`listening on https://localhost:${server.address.port}`);
