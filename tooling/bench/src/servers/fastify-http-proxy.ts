/**
 * Peer: `@fastify/http-proxy` on fastify (logger off), forwarding everything to $UPSTREAM_URL
 * with its defaults (@fastify/reply-from over an undici keep-alive pool). Listens on
 * 127.0.0.1:$PORT.
 */
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const port = Number(process.env['PORT'] ?? 3000);
const upstream = process.env['UPSTREAM_URL'];
if (upstream === undefined || upstream === '') {
  throw new Error('fastify-http-proxy: UPSTREAM_URL is not set');
}

const app = Fastify({ logger: false });
await app.register(proxy, { upstream });
await app.listen({ port, host: '127.0.0.1' });
