/**
 * mcp-modern — an MCP server (`@rws/mcp`) as a 2026-07-28 client sees it: no initialize and
 * no session, every request carries its protocol version and capabilities in `_meta`, and a
 * tool that needs the user's answer returns `input_required` (multi round-trip requests); the
 * client retries with the answer and the `requestState` it got. Session-based clients
 * (2025-11-25 and older) use the same endpoint as before.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/mcp-modern.ts
 * then, by hand:
 *   curl http://127.0.0.1:3000/mcp -H 'content-type: application/json' \
 *     -H 'accept: application/json, text/event-stream' \
 *     -H 'mcp-protocol-version: 2026-07-28' -H 'mcp-method: tools/call' -H 'mcp-name: book_table' \
 *     -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"book_table",
 *          "arguments":{"date":"2026-12-24"},"_meta":{
 *          "io.modelcontextprotocol/protocolVersion":"2026-07-28",
 *          "io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}}}'
 *   and again with "inputResponses":{"elicitation-1":{"action":"accept","content":{"guests":4}}}
 *   and the "requestState" of the first answer next to "arguments".
 *
 * MCP_STATE_SECRET signs requestState (set the same on every instance). PORT sets the port
 * (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { createServer } from '@rws/http1';
import { createMcpServer } from '@rws/mcp';
import { createApp } from '@rws/router';

const mcp = createMcpServer({
  name: 'rws-modern',
  version: '1.0.0',
  requestStateSecret: process.env['MCP_STATE_SECRET'] ?? 'example secret, set your own',
  cache: { ttlMs: 60_000 },
});

const bookings: string[] = [];

mcp.tool({
  name: 'book_table',
  description: 'Books a table; asks how many guests',
  inputSchema: { type: 'object', properties: { date: { type: 'string' } }, required: ['date'] },
  handler: async (args, ctx) => {
    // In 2026-07-28 this returns input_required; the retry runs the tool again from here.
    const answer = await ctx.elicit({
      message: `How many guests on ${String(args['date'])}?`,
      requestedSchema: {
        type: 'object',
        properties: { guests: { type: 'integer', minimum: 1, maximum: 12 } },
        required: ['guests'],
      },
    });
    if (answer.action !== 'accept') return 'no booking made';
    // After the last question: done once, on the run that has every answer.
    const booking = `${String(args['date'])} for ${String(answer.content?.['guests'])}`;
    bookings.push(booking);
    mcp.notifyResourceUpdated('bookings://all'); // to subscriptions/listen streams
    return { structuredContent: { booked: booking } };
  },
});

mcp.resource({
  uri: 'bookings://all',
  name: 'bookings',
  mimeType: 'application/json',
  read: () => JSON.stringify(bookings),
});

const app = createApp();
app.all('/mcp', mcp.handler);

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`mcp-modern listening on http://127.0.0.1:${port}/mcp`);
