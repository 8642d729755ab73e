/**
 * Peer: node:http2's compatibility API (`createSecureServer` + a `(req, res)` handler) answering
 * `Hello, World!` on 127.0.0.1:$PORT; over TLS with TLS_CERT_FILE/TLS_KEY_FILE (h2 only, as
 * node:http2 serves by default), h2c with prior knowledge without.
 */
import { readFileSync } from 'node:fs';
import type { Http2ServerResponse } from 'node:http2';
import { createSecureServer, createServer, type Http2ServerRequest } from 'node:http2';

const port = Number(process.env['PORT'] ?? 3000);
const certFile = process.env['TLS_CERT_FILE'];
const keyFile = process.env['TLS_KEY_FILE'];

const handler = (_req: Http2ServerRequest, res: Http2ServerResponse): void => {
  res.setHeader('content-type', 'text/plain');
  res.end('Hello, World!');
};
const server =
  certFile === undefined || keyFile === undefined
    ? createServer(handler)
    : createSecureServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, handler);
server.listen(port, '127.0.0.1');
