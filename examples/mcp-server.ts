/**
 * mcp-server — a Model Context Protocol server (`@rws/mcp`) on an App route: a tool with a
 * zod input schema and structured output, a tool that streams progress, a resource, a
 * resource template and a prompt. Any MCP client speaking Streamable HTTP can connect to
 * http://127.0.0.1:3000/mcp (e.g. `npx @modelcontextprotocol/inspector`).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/mcp-server.ts
 * then, by hand:
 *   curl -i http://127.0.0.1:3000/mcp -H 'content-type: application/json' \
 *     -H 'accept: application/json, text/event-stream' \
 *     -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'
 *   # then send the Mcp-Session-Id it answered with:
 *   curl http://127.0.0.1:3000/mcp -H 'content-type: application/json' \
 *     -H 'accept: application/json, text/event-stream' -H 'mcp-session-id: <id>' \
 *     -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add","arguments":{"a":2,"b":3}}}'
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from '@rws/http1';
import { createMcpServer } from '@rws/mcp';
import { createApp } from '@rws/router';
import { z } from 'zod';

const mcp = createMcpServer({ name: 'rws-example', version: '1.0.0' });

mcp.tool({
  name: 'add',
  description: 'Adds two numbers',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  outputSchema: z.object({ sum: z.number() }),
  annotations: { readOnlyHint: true },
  handler: ({ a, b }) => ({ structuredContent: { sum: a + b } }),
});

mcp.tool({
  name: 'countdown',
  description: 'Counts down from `from`, one step per 100 ms, reporting progress',
  inputSchema: z.object({ from: z.number().int().min(1).max(50) }),
  handler: async ({ from }, ctx) => {
    for (let i = from; i > 0; i--) {
      // The signal aborts when the client cancels: sleep() rejects and the call ends.
      await sleep(100, undefined, { signal: ctx.signal });
      ctx.progress(from - i + 1, from, `${i - 1} left`);
    }
    return 'lift-off';
  },
});

mcp.resource({
  uri: 'config://example',
  name: 'example-config',
  mimeType: 'application/json',
  read: () => JSON.stringify({ started: new Date().toISOString() }),
});

mcp.resourceTemplate({
  uriTemplate: 'greeting://{name}',
  name: 'greeting',
  mimeType: 'text/plain',
  read: (_uri, { name }) => `Hello, ${name}!`,
});

mcp.prompt({
  name: 'review',
  description: 'Asks for a code review',
  arguments: [{ name: 'code', required: true }],
  get: ({ code }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Please review:\n\n${code}` } }],
  }),
});

const app = createApp();
// One route for GET (server stream), POST (messages) and DELETE (end of session).
app.all('/mcp', mcp.handler);

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`mcp-server listening on http://127.0.0.1:${port}/mcp`);
