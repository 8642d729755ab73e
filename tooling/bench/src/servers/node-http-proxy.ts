/**
 * Peer: `http-proxy` (node-http-proxy 1.18) on node:http, forwarding to $UPSTREAM_URL through
 * Node's default agent. Listens on 127.0.0.1:$PORT.
 *
 * Two options differ from http-proxy's defaults, both said here so nobody mistakes the setup:
 * - `agent: globalAgent`. http-proxy never uses Node's global agent on its own: without an
 *   `agent` option it passes `agent: false` to `http.request` and adds `Connection: close`
 *   (lib/http-proxy/common.js), i.e. a new upstream TCP connection per request, which is not
 *   how a proxy is compared with nginx's `keepalive` pool. `globalAgent` is the agent Node
 *   documents as the default one; since Node 19 it keeps connections alive (`keepAlive:
 *   true`, unlimited sockets, LIFO scheduling, 5 s socket timeout). The suite used to pass
 *   `new Agent({ keepAlive: true, maxSockets: 128 })`, which differs only in a socket cap
 *   that wrk's 100 connections never reach; the global one carries no tuning of ours.
 * - `xfwd: true` (X-Forwarded-For/-Port/-Proto/-Host), the equivalent of what rws and the
 *   nginx target send to the upstream: work a proxy does, never a speed-up.
 *
 * With `HTTP_PROXY_AGENT=none` the `agent` option is left out: http-proxy exactly at its
 * documented defaults (a connection per request), the setup most of its examples show and the
 * one the "http-proxy 9-11k req/s" most likely measured; the suite runs it as a second
 * row (`http-proxy-default`) so both readings of "http-proxy" are in the same run.
 */
import { createServer, globalAgent } from 'node:http';
import httpProxy from 'http-proxy';

const port = Number(process.env['PORT'] ?? 3000);
const target = process.env['UPSTREAM_URL'];
if (target === undefined || target === '') throw new Error('http-proxy: UPSTREAM_URL is not set');

const defaults = process.env['HTTP_PROXY_AGENT'] === 'none';
const proxy = httpProxy.createProxyServer(
  defaults ? { target, xfwd: true } : { target, agent: globalAgent, xfwd: true },
);
proxy.on('error', (_err, _req, res) => {
  // `res` is a ServerResponse for HTTP requests (a Socket only for upgrades, unused here).
  if ('writeHead' in res && !res.headersSent) res.writeHead(502);
  res.end();
});
createServer((req, res) => proxy.web(req, res)).listen(port, '127.0.0.1');
