/**
 * @rws/http1 serving a core Handler over TLS (pinned cipher) on 127.0.0.1:$PORT: `GET /1k.bin`
 * answers the 1 KiB file of $STATIC_ROOT from memory (read once at start, as node-https.ts
 * does), every other path the hello world. What the transport costs on TLS without the `rws`
 * binary's static handler, middlewares and access log.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Headers, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { pinnedTlsOptions } from './tls-pinned.js';

const port = Number(process.env['PORT'] ?? 3000);
const root = process.env['STATIC_ROOT'];
const file = root === undefined ? null : new Uint8Array(readFileSync(join(root, '1k.bin')));
const server = createServer(
  (req) =>
    file !== null && req.path === '/1k.bin'
      ? {
          status: 200,
          headers: new Headers([['content-type', 'application/octet-stream']]),
          body: file,
        }
      : text('Hello, World!'),
  { tls: pinnedTlsOptions() },
);
await server.listen({ port, host: '127.0.0.1' });
