/**
 * Peer: node:http2's core API (`server.on('stream')`, `stream.respond()`) answering
 * `Hello, World!` on 127.0.0.1:$PORT; over TLS with TLS_CERT_FILE/TLS_KEY_FILE, h2c with
 * prior knowledge without. The fastest way node:http2 can answer.
 */
import { readFileSync } from 'node:fs';
import { createSecureServer, createServer } from 'node:http2';

const port = Number(process.env['PORT'] ?? 3000);
const certFile = process.env['TLS_CERT_FILE'];
const keyFile = process.env['TLS_KEY_FILE'];

const server =
  certFile === undefined || keyFile === undefined
    ? createServer()
    : createSecureServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) });
server.on('stream', (stream) => {
  stream.respond({ ':status': 200, 'content-type': 'text/plain' });
  stream.end('Hello, World!');
});
server.listen(port, '127.0.0.1');
