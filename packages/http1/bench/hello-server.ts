/**
 * Hello-world keep-alive server for load tests: `tsx --conditions=@rws/source
 * packages/http1/bench/hello-server.ts rws|node [port]`, then point wrk/h2load at it. Prints the
 * port. On SIGINT/SIGTERM it prints the requests served and the server's CPU time per request
 * (user + system), which stays comparable on a noisy machine where req/s does not. Not run by
 * the test suite.
 */
import { createServer as createNodeServer } from 'node:http';
import { Headers } from '@rws/core';
import { createServer } from '../src/index.js';

const kind = process.argv[2] ?? 'rws';
const port = Number(process.argv[3] ?? 0);
let served = 0;
let cpuStart: NodeJS.CpuUsage | null = null;

if (kind === 'node') {
  const server = createNodeServer((_req, res) => {
    if (served++ === 0) cpuStart = process.cpuUsage();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Hello, World!');
  });
  server.keepAliveTimeout = 5000;
  server.listen(port, '127.0.0.1', () => {
    console.log((server.address() as { port: number }).port);
  });
} else {
  const headers = new Headers({ 'content-type': 'text/plain' });
  const server = createServer(() => {
    if (served++ === 0) cpuStart = process.cpuUsage();
    return { status: 200, headers, body: 'Hello, World!' };
  });
  const address = await server.listen({ port, host: '127.0.0.1' });
  console.log(address.port);
}

function report(): void {
  if (cpuStart !== null && served > 1) {
    const cpu = process.cpuUsage(cpuStart);
    const us = (cpu.user + cpu.system) / (served - 1);
    console.log(`${kind}: ${served} requests, ${us.toFixed(2)} µs CPU per request`);
  }
  process.exit(0);
}
process.on('SIGINT', report);
process.on('SIGTERM', report);
