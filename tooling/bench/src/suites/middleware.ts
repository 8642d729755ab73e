/**
 * Per-middleware overhead (issue #13): hello world behind request id, CORS, rate limit
 * (memory) and compression (a body below the threshold), each alone and all four together,
 * on @rws/middleware + @rws/http1 vs fastify with its plugins and hono-node with its
 * middleware. `bare` is the same server with no middleware: a case's drop from `bare` is that
 * middleware's cost on that framework. hono's `compress` gzips even this small body: it judges
 * size by `Content-Length`, which `c.text()` does not set — that is hono as documented, so it
 * is measured as it is.
 */
import { MIDDLEWARE_PATHS, MIDDLEWARE_REQUEST_HEADERS } from '../middleware-cases.js';
import { defineSuite } from '../suite.js';
import { nodeServer, serverScript } from '../targets.js';

export default defineSuite({
  name: 'middleware',
  description:
    '@rws/middleware vs fastify plugins and hono middleware: request id, CORS, rate limit, compress, all four',
  subject: 'rws-middleware',
  targets: [
    nodeServer('rws-middleware', serverScript('rws-middleware.ts')),
    nodeServer('fastify', serverScript('fastify-middleware.ts')),
    nodeServer('hono-node', serverScript('hono-middleware.ts')),
  ],
  cases: MIDDLEWARE_PATHS.map((path) => ({
    name: path.slice(1),
    load: { tool: 'wrk', path, connections: 100, headers: MIDDLEWARE_REQUEST_HEADERS },
  })),
});
