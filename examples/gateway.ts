/**
 * gateway — the config-driven gateway as a library: `createGateway()` from `@rws/proxy` with
 * rust-web-server's README config (an upstream with a health check, a bearer-protected and
 * rate-limited /v1/* proxy route, a catch-all 404), plus a redirect, a cached route and
 * gateway-wide security headers, CORS and compression, served with `serve()`. Two small backends are started in-process so it runs on its own.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/gateway.ts
 * Then:
 *   curl -i http://127.0.0.1:3000/v1/hello                                     # 401
 *   curl -i -H 'authorization: Bearer demo-token' http://127.0.0.1:3000/v1/hello  # 200, round robin
 *   curl -i http://127.0.0.1:3000/old/page                                     # 301
 *   curl -i http://127.0.0.1:3000/time                                         # cached for 5 s
 *   curl -i -H 'origin: https://app.example' http://127.0.0.1:3000/nothing     # CORS, CSP
 *   kill -HUP <pid>                                                            # reload the config
 *
 * API_TOKEN sets the token (default demo-token: auth never starts open, so the example sets
 * one). PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { json } from '@rws/core';
import { createServer } from '@rws/http1';
import { createGateway, formatConfigProblem } from '@rws/proxy';
import { serve } from '@rws/server';

const backendServers: ReturnType<typeof createServer>[] = [];
async function backend(name: string): Promise<string> {
  const server = createServer((req) => json({ backend: name, path: req.target }));
  backendServers.push(server);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return `127.0.0.1:${port}`;
}

const backends = [await backend('a'), await backend('b')];
const config = (): string => `
[[upstream]]
name = "api"
backends = ${JSON.stringify(backends)}

[upstream.health_check]
path = "/healthz"
interval_secs = 10
timeout_ms = 2000

# Every answer of the gateway: security headers, CORS for one web app, compression.
[middleware]
security_headers = { content_security_policy = "default-src 'none'" }
cors = { allow_origins = ["https://app.example"] }
compress = true

[[route]]
[route.match]
path = "/v1/*"

[route.action]
type = "proxy"
upstream = "api"

[route.middleware]
rate_limit = { max_requests = 500, window_secs = 60 }
auth = { type = "bearer", token_env = "API_TOKEN" }

[[route]]
[route.match]
path = "/old/*"
[route.action]
type = "redirect"
location = "/v1$path"

[[route]]
[route.match]
path = "/time"
[route.action]
type = "proxy"
upstream = "api"
[route.middleware]
cache = { ttl_secs = 5 }

[[route]]
[route.match]
path = "/*"

[route.action]
type = "respond"
status = 404
body = "Not Found"
`;

const env = { ...process.env, API_TOKEN: process.env['API_TOKEN'] ?? 'demo-token' };
const gateway = await createGateway(config(), { env });
const server = await serve(gateway.handler, {
  port: Number(process.env['PORT'] ?? 3000),
  handleSignals: true,
  graceMs: 5000,
  onShutdown: async () => {
    await gateway.close();
    await Promise.all(backendServers.map((b) => b.close({ graceMs: 1000 })));
  },
  onReload: async () => {
    const result = await gateway.reload(config());
    for (const p of result.problems) console.error(formatConfigProblem(p));
  },
});
console.log(`gateway listening on ${server.url}/ (backends ${backends.join(', ')})`);
