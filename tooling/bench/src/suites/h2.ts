/**
 * `pnpm bench h2`: HTTP/2 hello world, h2load `-c10 -m100`: @rws/server `serve()` (HTTP/2 by
 * @rws/h2) vs node:http2's compatibility API, node:http2's core stream API, fastify
 * `http2: true` and nginx (`http2`, keep-alive unlimited). Over TLS (h2 by ALPN; the harness
 * makes a self-signed certificate) and, as a second case, cleartext h2c with prior knowledge
 * (`h2c: true` on serve()).
 */
import { HELLO_BODY } from '../peers.js';
import { defineSuite } from '../suite.js';
import { nginxServer, nodeServer, serverScript } from '../targets.js';

export default defineSuite({
  name: 'h2',
  description: '@rws/server HTTP/2 vs node:http2 compat/core, fastify http2, nginx: hello world',
  subject: 'rws-h2',
  targets: [
    nodeServer('rws-h2', serverScript('rws-h2.ts')),
    nodeServer('node-http2-compat', serverScript('node-http2-compat.ts')),
    nodeServer('node-http2-core', serverScript('node-http2-core.ts')),
    nodeServer('fastify-http2', serverScript('fastify-http2.ts')),
    nginxServer('nginx', `    location / { return 200 "${HELLO_BODY}"; }`, { http2: true }),
  ],
  cases: [
    {
      name: 'tls',
      load: { tool: 'h2load', path: '/', connections: 10, streams: 100 },
      tls: true,
    },
    { name: 'h2c', load: { tool: 'h2load', path: '/', connections: 10, streams: 100 } },
  ],
});
