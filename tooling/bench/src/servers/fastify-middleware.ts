/**
 * Peer: fastify (logger off) on 127.0.0.1:$PORT with the plugins that match @rws/middleware,
 * each path in its own encapsulated context: fastify's request id (`genReqId`, echoed by an
 * `onSend` hook), @fastify/cors, @fastify/rate-limit (in-memory store) and @fastify/compress.
 */
import fastifyCompress from '@fastify/compress';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { RATE_LIMIT } from '../middleware-cases.js';
import { HELLO_BODY } from '../peers.js';

const port = Number(process.env['PORT'] ?? 3000);
const app = Fastify({
  logger: false,
  requestIdHeader: 'x-request-id',
  genReqId: () => crypto.randomUUID(),
});

type Plugin = (i: FastifyInstance) => Promise<void>;
const requestId: Plugin = async (i) => {
  i.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
};
const cors: Plugin = async (i) => {
  await i.register(fastifyCors, { origin: ['https://app.example'] });
};
const rateLimit: Plugin = async (i) => {
  await i.register(fastifyRateLimit, { max: RATE_LIMIT.max, timeWindow: RATE_LIMIT.windowMs });
};
const compress: Plugin = async (i) => {
  await i.register(fastifyCompress, { global: true });
};

// A prefix per scope: @fastify/cors adds an `OPTIONS <prefix>/*` preflight route in each.
const scope = (path: string, plugins: Plugin[]) =>
  app.register(
    async (i) => {
      for (const p of plugins) await p(i);
      i.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(HELLO_BODY));
    },
    { prefix: path },
  );
scope('/bare', []);
scope('/request-id', [requestId]);
scope('/cors', [cors]);
scope('/rate-limit', [rateLimit]);
scope('/compress', [compress]);
scope('/all', [requestId, cors, rateLimit, compress]);
await app.listen({ port, host: '127.0.0.1' });
