/**
 * Peer: node:https on 127.0.0.1:$PORT (pinned cipher). `GET /1k.bin` answers the 1 KiB file of
 * $STATIC_ROOT, read into memory once at start (as `rws` keeps small files in memory; a
 * per-request `fs.createReadStream` would cost node:https more than the TLS it is compared on)
 * with `Content-Type` and the `Content-Length` `res.end(buffer)` sets; every other path
 * answers the hello world from memory.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { pinnedTlsOptions } from './tls-pinned.js';

const port = Number(process.env['PORT'] ?? 3000);
const root = process.env['STATIC_ROOT'];
const file = root === undefined ? null : readFileSync(join(root, '1k.bin'));
createServer(pinnedTlsOptions(), (req, res) => {
  if (file !== null && req.url === '/1k.bin') {
    res.setHeader('content-type', 'application/octet-stream');
    res.end(file);
    return;
  }
  res.setHeader('content-type', 'text/plain');
  res.end('Hello, World!');
}).listen(port, '127.0.0.1');
