/**
 * Peer of `pnpm bench mcp`: the official TypeScript SDK's Streamable HTTP server on node:http
 * at 127.0.0.1:$PORT/mcp, stateful (one transport per session, as its README's example) with
 * JSON answers (`enableJsonResponse`), the same trivial tool validated by zod.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const transports = new Map<string, StreamableHTTPServerTransport>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    const body = chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString());
    const sid = req.headers['mcp-session-id'];
    const known = typeof sid === 'string' ? transports.get(sid) : undefined;
    if (known !== undefined) return known.handleRequest(req, res, body);
    if (sid !== undefined || !isInitializeRequest(body)) {
      res.writeHead(400).end();
      return;
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: true,
      onsessioninitialized: (id) => {
        transports.set(id, transport);
      },
    });
    const mcp = new McpServer({ name: 'bench', version: '1.0.0' });
    mcp.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
    }));
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
});
server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1');
