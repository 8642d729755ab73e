/** Peer: plain node:https hello world (pinned cipher) on 127.0.0.1:$PORT. */
import { createServer } from 'node:https';
import { pinnedTlsOptions } from './tls-pinned.js';

const port = Number(process.env['PORT'] ?? 3000);
createServer(pinnedTlsOptions(), (_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('Hello, World!');
}).listen(port, '127.0.0.1');
