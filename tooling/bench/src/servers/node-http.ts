/** Peer: plain node:http hello world on 127.0.0.1:$PORT. */
import { createServer } from 'node:http';

const port = Number(process.env['PORT'] ?? 3000);
createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end('Hello, World!');
}).listen(port, '127.0.0.1');
