/**
 * mcp-gateway — the config-driven gateway in front of two MCP servers: a `type = "mcp"` route
 * balances new sessions over both and keeps every session on the server that created it
 * (its `Mcp-Session-Id` comes back tagged with that server).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/mcp-gateway.ts
 * then connect any MCP client to http://127.0.0.1:3000/mcp and call the `whoami` tool a few
 * times: one session always answers from the same server; a new session may land on the other.
 *
 * PORT sets the gateway's port (default 3000; 0 picks a free one). The real URL is printed.
 */
import { createServer } from '@rws/http1';
import { createMcpServer } from '@rws/mcp';
import { createGateway } from '@rws/proxy';

async function startMcpServer(name: string): Promise<string> {
  const mcp = createMcpServer({ name, version: '1.0.0' });
  mcp.tool({
    name: 'whoami',
    description: 'Names the server that answered',
    handler: () => name,
  });
  const { port } = await createServer(mcp.handler).listen({ port: 0, host: '127.0.0.1' });
  return `127.0.0.1:${port}`;
}

const backends = [await startMcpServer('tools-a'), await startMcpServer('tools-b')];

const gateway = await createGateway(`
[[upstream]]
name = "tools"
backends = ${JSON.stringify(backends)}
strategy = "round_robin"

[[route]]
[route.match]
path = "/mcp"
[route.action]
type = "mcp"
upstream = "tools"
`);

const { port } = await createServer(gateway.handler).listen({
  port: Number(process.env['PORT'] ?? 3000),
});
console.log(
  `mcp-gateway listening on http://127.0.0.1:${port}/mcp (backends ${backends.join(', ')})`,
);
