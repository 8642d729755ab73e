/**
 * proxy-h3-upstream — `@rws/proxy` in front of an HTTP/3 backend: an upstream written
 * `h3://host:port` is reached over QUIC (one connection per backend, every request a stream),
 * with bodies streaming both ways and the backend's certificate checked against `tls.ca`.
 * Clients talk HTTP/1.1 to the proxy; the backend (an @rws/h3 `Http3Server` in this process,
 * on a free UDP port) answers over HTTP/3 and says so.
 *
 * At startup it creates a self-signed EC certificate for 127.0.0.1 with the `openssl` command
 * in a temporary directory (deleted on exit).
 *
 * Run from the repository root (needs openssl on PATH):
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/proxy-h3-upstream.ts
 * then:
 *   curl http://127.0.0.1:3000/hello                       # {"protocol":"h3",...}
 *   curl --data-binary @README.md http://127.0.0.1:3000/upload   # bytes counted over h3
 *
 * PORT sets the proxy's port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json } from '@rws/core';
import { Http3Server } from '@rws/h3';
import { createServer } from '@rws/http1';
import { createUpstream, reverseProxy } from '@rws/proxy';

const dir = mkdtempSync(join(tmpdir(), 'rws-h3-upstream-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
// biome-ignore format: the openssl arguments read best as flag/value pairs
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
  '-days', '1', '-subj', '/CN=backend', '-addext', 'subjectAltName=IP:127.0.0.1',
  '-keyout', join(dir, 'backend.key'), '-out', join(dir, 'backend.crt'),
], { stdio: 'ignore' });
const cert = readFileSync(join(dir, 'backend.crt'), 'utf8');

// The backend: HTTP/3 only, on UDP.
const backend = await Http3Server.listen({
  tls: { cert, key: readFileSync(join(dir, 'backend.key'), 'utf8') },
  handler: async (req) =>
    json({
      protocol: req.protocol,
      path: req.target,
      bytes: (await req.body.bytes()).length,
      forwardedFor: req.headers.get('x-forwarded-for'),
    }),
});

// The proxy: HTTP/1.1 in, HTTP/3 out.
const upstream = createUpstream({
  name: 'quic-backend',
  backends: [`h3://127.0.0.1:${backend.address().port}`],
  tls: { ca: cert },
  healthCheck: { path: '/healthz', intervalMs: 5000 },
});
const proxy = reverseProxy({ upstream });
const server = createServer((req) =>
  proxy.handle(req, () => {
    throw new Error('the proxy answers every request');
  }),
);
const { port } = await server.listen({
  port: Number(process.env['PORT'] ?? 3000),
  host: '127.0.0.1',
});
console.log(
  `listening on http://127.0.0.1:${port} (backend: h3://127.0.0.1:${backend.address().port})`,
);

process.once('SIGTERM', async () => {
  await server.close();
  await proxy.close();
  await upstream.close();
  await backend.close({ graceMs: 100 });
  process.exit(0);
});
