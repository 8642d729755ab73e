/**
 * Peer: fastify (logger off) on 127.0.0.1:$PORT — `GET /users/:id` answers `{"id":"<id>"}` as
 * JSON, and an `onRequest` hook adds `x-powered-by` to every response. The route declares a
 * response schema, as fastify's own benchmarks do, so fastify serializes with
 * fast-json-stringify (its fastest path) rather than JSON.stringify.
 */
import Fastify from 'fastify';

const port = Number(process.env['PORT'] ?? 3000);
const app = Fastify({ logger: false });
app.addHook('onRequest', (_req, reply, done) => {
  reply.header('x-powered-by', 'fastify');
  done();
});
app.get<{ Params: { id: string } }>(
  '/users/:id',
  {
    schema: {
      response: { 200: { type: 'object', properties: { id: { type: 'string' } } } },
    },
  },
  (req) => ({ id: req.params.id }),
);
await app.listen({ port, host: '127.0.0.1' });
