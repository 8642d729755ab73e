/**
 * service-discovery — a gateway whose upstream's backends come from a discovery source and
 * change while it serves: `[upstream.discovery]` with `type = "file"` (a watched list, so it
 * runs anywhere). etcd, Consul, Docker and Kubernetes use the same table with their own keys
 * (see the commented blocks below and docs/gateway.md); only `type` and its keys change.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/service-discovery.ts
 * Then:
 *   curl http://127.0.0.1:3000/hello               # {"backend":"blue",…}
 *   curl -X POST http://127.0.0.1:3000/demo/scale  # writes green into the watched file
 *   curl http://127.0.0.1:3000/hello               # blue and green, round robin
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { json, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { createGateway } from '@rws/proxy';
import { serve } from '@rws/server';

const backendServers: ReturnType<typeof createServer>[] = [];
async function backend(name: string): Promise<string> {
  const server = createServer((req) => json({ backend: name, path: req.target }));
  backendServers.push(server);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${port}`;
}

const blue = await backend('blue');
const green = await backend('green');
const dir = mkdtempSync(join(tmpdir(), 'rws-discovery-example-'));
const file = join(dir, 'api.backends');
/** Replaces the list atomically (write aside, rename over), as deploy tools do. */
const publish = (lines: string[]): void => {
  writeFileSync(join(dir, 'next'), `${lines.join('\n')}\n`);
  renameSync(join(dir, 'next'), file);
};
publish([blue]);

const gateway = await createGateway(`
[[upstream]]
name = "api"
[upstream.discovery]
type = "file"
path = ${JSON.stringify(file)}

# The same upstream from etcd v3 (every key under the prefix is one backend):
#   type = "etcd"
#   endpoints = ["http://127.0.0.1:2379"]
#   prefix = "/rws/upstreams/api/"
# from Consul (passing instances, blocking queries, token from the environment):
#   type = "consul"
#   address = "http://127.0.0.1:8500"
#   token_env = "CONSUL_HTTP_TOKEN"
# from Docker (running containers labelled rws.upstream=api, port from rws.port):
#   type = "docker"
# from a Kubernetes Service (ready EndpointSlice addresses, in-cluster service account):
#   type = "kubernetes"
#   namespace = "shop"
#   port = "http"

[[route]]
[route.match]
path = "/*"
[route.action]
type = "proxy"
upstream = "api"
`);

const server = await serve(
  async (req) => {
    if (req.method === 'POST' && req.path === '/demo/scale') {
      publish([blue, green]);
      return text('green added to the watched file\n');
    }
    return gateway.handler(req);
  },
  {
    port: Number(process.env['PORT'] ?? 3000),
    handleSignals: true,
    graceMs: 5000,
    onShutdown: async () => {
      await gateway.close();
      await Promise.all(backendServers.map((b) => b.close({ graceMs: 1000 })));
    },
  },
);
console.log(`service-discovery listening on ${server.url}/ (backends from ${file})`);
