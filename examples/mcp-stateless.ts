/**
 * mcp-stateless — an MCP server (`@rws/mcp`) in stateless mode (`sessions: false`): no
 * `Mcp-Session-Id`, every POST stands alone, so any number of copies can sit behind a plain
 * round-robin load balancer. GET and DELETE answer 405. Progress still streams on the POST.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/mcp-stateless.ts
 * then, by hand (no initialize needed; the header names the revision):
 *   curl http://127.0.0.1:3000/mcp -H 'content-type: application/json' \
 *     -H 'accept: application/json, text/event-stream' -H 'mcp-protocol-version: 2025-11-25' \
 *     -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}}'
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { createServer } from '@rws/http1';
import { createMcpServer } from '@rws/mcp';
import { createApp } from '@rws/router';

const mcp = createMcpServer({ name: 'rws-stateless', version: '1.0.0', sessions: false });

mcp.tool({
  name: 'whoami',
  description: 'Names the instance that answered and the revision the request spoke',
  annotations: { readOnlyHint: true },
  handler: (_args, ctx) => ({
    structuredContent: { pid: process.pid, protocolVersion: ctx.protocolVersion },
  }),
});

const app = createApp();
app.all('/mcp', mcp.handler);

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`mcp-stateless listening on http://127.0.0.1:${port}/mcp`);
