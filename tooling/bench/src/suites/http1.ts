/** @rws/http1 against the hello-world peers: keep-alive, and pipelined 10 deep. */
import { helloWorldPeers } from '../peers.js';
import { defineSuite } from '../suite.js';
import { nodeServer, serverScript } from '../targets.js';

export default defineSuite({
  name: 'http1',
  description: '@rws/http1 vs node:http, fastify, hono-node, nginx: hello world, keep-alive',
  subject: 'rws-http1',
  targets: [nodeServer('rws-http1', serverScript('rws-http1.ts')), ...helloWorldPeers()],
  cases: [
    { name: 'keep-alive', load: { tool: 'wrk', path: '/', connections: 100 } },
    { name: 'pipelined-10', load: { tool: 'wrk', path: '/', connections: 100, pipeline: 10 } },
  ],
});
