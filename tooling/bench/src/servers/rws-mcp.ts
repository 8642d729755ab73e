/**
 * Subject of `pnpm bench mcp`: an @rws/mcp server (Streamable HTTP, stateful sessions, JSON
 * answers) on @rws/http1 at 127.0.0.1:$PORT/mcp, with one trivial tool validated by zod.
 */
import { createServer } from '@rws/http1';
import { createMcpServer } from '@rws/mcp';
import { z } from 'zod';

const mcp = createMcpServer({ name: 'bench', version: '1.0.0' });
mcp.tool({
  name: 'add',
  inputSchema: z.object({ a: z.number(), b: z.number() }),
  handler: ({ a, b }) => String(a + b),
});
const server = createServer(mcp.handler);
await server.listen({ port: Number(process.env['PORT'] ?? 3000), host: '127.0.0.1' });
