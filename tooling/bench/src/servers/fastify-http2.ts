/**
 * Peer: fastify with `http2: true` (logger off, one route) answering `Hello, World!` on
 * 127.0.0.1:$PORT; `https: { cert, key }` with TLS_CERT_FILE/TLS_KEY_FILE, h2c with prior
 * knowledge without.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const port = Number(process.env['PORT'] ?? 3000);
const certFile = process.env['TLS_CERT_FILE'];
const keyFile = process.env['TLS_KEY_FILE'];

// Two branches, not one conditional app: fastify's types differ for secure and plain http2.
if (certFile === undefined || keyFile === undefined) {
  const app = Fastify({ logger: false, http2: true });
  app.get('/', (_req, reply) => {
    reply.type('text/plain').send('Hello, World!');
  });
  await app.listen({ port, host: '127.0.0.1' });
} else {
  const app = Fastify({
    logger: false,
    http2: true,
    https: { cert: readFileSync(certFile), key: readFileSync(keyFile) },
  });
  app.get('/', (_req, reply) => {
    reply.type('text/plain').send('Hello, World!');
  });
  await app.listen({ port, host: '127.0.0.1' });
}
