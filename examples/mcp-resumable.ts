/**
 * mcp-resumable — an MCP server (`@rws/mcp`) whose SSE streams can be resumed: every event
 * has an id, and a client that lost a stream reconnects with GET and `Last-Event-ID` to get
 * what it missed, then the rest. The events go to a pluggable event store; this one wraps the
 * default in-memory store and counts what it keeps (shown on /stats). Replace it with one over
 * Redis or a database to keep events outside the process.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/mcp-resumable.ts
 * then initialize (as in mcp-server.ts), call `slow` with `_meta.progressToken`, cut the
 * connection, and GET /mcp with `Last-Event-ID: <the last id you saw>`.
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { json } from '@rws/core';
import { createServer } from '@rws/http1';
import { createMcpServer, createMemoryEventStore, type McpEventStore } from '@rws/mcp';
import { createApp } from '@rws/router';

const memory = createMemoryEventStore({ maxEventsPerSession: 500 });
const stats = { appended: 0, replayed: 0 };
const eventStore: McpEventStore = {
  append(sessionId, event) {
    stats.appended++;
    return memory.append(sessionId, event);
  },
  async replay(sessionId, streamId, afterSeq) {
    const events = await memory.replay(sessionId, streamId, afterSeq);
    stats.replayed += events.length;
    return events;
  },
  endSession: (sessionId) => memory.endSession(sessionId),
};

const mcp = createMcpServer({ name: 'rws-resumable', version: '1.0.0', eventStore });

mcp.tool({
  name: 'slow',
  description: 'Ten steps of 200 ms, reporting progress after each',
  handler: async (_args, ctx) => {
    for (let i = 1; i <= 10; i++) {
      await sleep(200, undefined, { signal: ctx.signal });
      ctx.progress(i, 10);
    }
    return 'done';
  },
});

const app = createApp();
app.all('/mcp', mcp.handler);
app.get('/stats', () => json(stats));

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`mcp-resumable listening on http://127.0.0.1:${port}/mcp`);
