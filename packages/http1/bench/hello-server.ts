/**
 * Hello-world keep-alive server for load tests: `tsx --conditions=@rws/source
 * packages/http1/bench/hello-server.ts rws|node [port]`, then point wrk/h2load at it. Prints the
 * port. Not run by the test suite.
 */
import { createServer as createNodeServer } from 'node:http';
import { Headers } from '@rws/core';
import { createServer } from '../src/index.js';

const kind = process.argv[2] ?? 'rws';
const port = Number(process.argv[3] ?? 0);

if (kind === 'node') {
  const server = createNodeServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Hello, World!');
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1', () => {
    console.log((server.address() as { port: number }).port);
  });
} else {
  const headers = new Headers({ 'content-type': 'text/plain' });
  const server = createServer(() => ({ status: 200, headers, body: 'Hello, World!' }));
  const address = await server.listen({ port, host: '127.0.0.1' });
  console.log(address.port);
}
