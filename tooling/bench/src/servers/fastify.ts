/** Peer: fastify hello world on 127.0.0.1:$PORT (logger off, as in fastify's own benchmarks). */
import Fastify from 'fastify';

const port = Number(process.env['PORT'] ?? 3000);
const app = Fastify({ logger: false });
app.get('/', (_req, reply) => {
  reply.type('text/plain').send('Hello, World!');
});
await app.listen({ port, host: '127.0.0.1' });
