/**
 * Yardstick, not a proxy: Node's floor for the `proxy` suite's traffic. Each client connection
 * is piped 1:1 to its own connection to $UPSTREAM_URL and bytes are relayed as they arrive: no
 * HTTP parsing, no header rewriting, no pool, no timers. Whatever a Node.js HTTP proxy does on
 * top of reading and writing two sockets per request is what separates it from this figure;
 * nothing that speaks HTTP can go faster on the same runtime. Listens on 127.0.0.1:$PORT.
 */
import { connect, createServer } from 'node:net';

const port = Number(process.env['PORT'] ?? 3000);
const upstream = process.env['UPSTREAM_URL'];
if (upstream === undefined || upstream === '')
  throw new Error('node-pipe: UPSTREAM_URL is not set');
const { hostname, port: upstreamPort } = new URL(upstream);

const server = createServer({ noDelay: true }, (client) => {
  const backend = connect({ host: hostname, port: Number(upstreamPort), noDelay: true });
  // Backpressure both ways, as any relay must have.
  client.pipe(backend);
  backend.pipe(client);
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
  client.on('close', () => backend.destroy());
  backend.on('close', () => client.destroy());
});
server.listen(port, '127.0.0.1');
