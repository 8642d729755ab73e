/** Ready-made peer targets that answer `GET /` with `Hello, World!` (text/plain). */
import { nginxServer, nodeServer, serverScript } from './targets.js';
import type { Target } from './types.js';

/** The body every hello-world target sends. */
export const HELLO_BODY = 'Hello, World!';

/** node:http, fastify, hono on @hono/node-server and nginx, each a hello-world server. */
export function helloWorldPeers(): Target[] {
  return [
    nodeServer('node-http', serverScript('node-http.ts')),
    nodeServer('fastify', serverScript('fastify.ts')),
    nodeServer('hono-node', serverScript('hono-node.ts')),
    nginxServer('nginx', `    location / { return 200 "${HELLO_BODY}"; }`),
  ];
}
