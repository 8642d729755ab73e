/** The peers alone: hello world over keep-alive, so later suites have a known baseline. */
import { helloWorldPeers } from '../peers.js';
import { defineSuite } from '../suite.js';

export default defineSuite({
  name: 'hello-peers',
  description: 'node:http, fastify, hono-node and nginx: GET / → "Hello, World!", keep-alive',
  subject: 'node-http',
  targets: helloWorldPeers(),
  cases: [{ name: 'keep-alive', load: { tool: 'wrk', path: '/', connections: 100 } }],
});
