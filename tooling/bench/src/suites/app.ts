/**
 * An application, not a bare transport: one param route (`GET /users/:id` → JSON) behind one
 * middleware that adds a header. @rws/router on @rws/http1 vs fastify (same route + an
 * `onRequest` hook) and hono on @hono/node-server (same route + middleware).
 */
import { defineSuite } from '../suite.js';
import { nodeServer, serverScript } from '../targets.js';

export default defineSuite({
  name: 'app',
  description: '@rws/router App vs fastify and hono-node: GET /users/:id → JSON + 1 middleware',
  subject: 'rws-app',
  targets: [
    nodeServer('rws-app', serverScript('rws-app.ts')),
    nodeServer('fastify', serverScript('fastify-app.ts')),
    nodeServer('hono-node', serverScript('hono-app.ts')),
  ],
  cases: [{ name: 'keep-alive', load: { tool: 'wrk', path: '/users/42', connections: 100 } }],
});
