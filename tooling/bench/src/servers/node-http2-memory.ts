/**
 * Peer of `pnpm bench h2-memory`: node:http2's core API, h2c with prior knowledge on
 * 127.0.0.1:$PORT. `/100m.bin` is the generated 100 MiB file of STATIC_ROOT through
 * `stream.respondWithFile()`; anything else `Hello, World!`.
 */
import { createServer } from 'node:http2';
import { join } from 'node:path';

const port = Number(process.env['PORT'] ?? 3000);
const root = process.env['STATIC_ROOT'] ?? '.';

const server = createServer();
server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  if (headers[':path'] === '/100m.bin') {
    stream.respondWithFile(join(root, '100m.bin'), { 'content-type': 'application/octet-stream' });
    return;
  }
  stream.respond({ ':status': 200, 'content-type': 'text/plain' });
  stream.end('Hello, World!');
});
server.listen(port, '127.0.0.1');
