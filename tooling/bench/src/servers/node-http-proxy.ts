/**
 * Peer: `http-proxy` (node-http-proxy) on node:http, forwarding to $UPSTREAM_URL over a
 * keep-alive agent (its default agent-less mode would open a connection per request, which
 * nobody benchmarks a proxy with). Listens on 127.0.0.1:$PORT.
 */
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

const port = Number(process.env['PORT'] ?? 3000);
const target = process.env['UPSTREAM_URL'];
if (target === undefined || target === '') throw new Error('http-proxy: UPSTREAM_URL is not set');

const proxy = httpProxy.createProxyServer({
  target,
  agent: new Agent({ keepAlive: true, maxSockets: 128 }),
  xfwd: true,
});
proxy.on('error', (_err, _req, res) => {
  // `res` is a ServerResponse for HTTP requests (a Socket only for upgrades, unused here).
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
createServer((req, res) => proxy.web(req, res)).listen(port, '127.0.0.1');
