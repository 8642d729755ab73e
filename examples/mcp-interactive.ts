/**
 * mcp-interactive — an MCP server (`@rws/mcp`) protected by bearer tokens, with the features
 * that talk back to the client: a tool that asks the user (elicitation), a tool that asks the
 * client's model (sampling), a prompt whose argument completes, and a resource clients can
 * subscribe to. Unauthenticated clients are pointed at the OAuth protected-resource metadata.
 *
 * Run from the repository root:
 *   MCP_TOKEN=secret npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/mcp-interactive.ts
 * then, by hand:
 *   curl -i http://127.0.0.1:3000/mcp -X POST   # 401 with WWW-Authenticate: Bearer resource_metadata="…"
 *   curl http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp
 *   # and with a client: send `Authorization: Bearer secret` (e.g. the MCP inspector's header field).
 *
 * PORT sets the port (default 3000; 0 picks a free one). MCP_TOKEN the accepted token (default
 * `dev-token`). A real deployment verifies JWTs from its authorization server in `verify`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer } from '@rws/http1';
import { createMcpServer } from '@rws/mcp';
import { createApp } from '@rws/router';

const TOKEN = Buffer.from(process.env['MCP_TOKEN'] ?? 'dev-token');
const LANGUAGES = ['go', 'javascript', 'python', 'rust', 'typescript'];

const app = createApp();
const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
const base = `http://127.0.0.1:${port}`;

const mcp = createMcpServer({
  name: 'rws-interactive',
  version: '1.0.0',
  auth: {
    resource: `${base}/mcp`,
    authorizationServers: ['https://auth.example.com'],
    verify: (token) => {
      const given = Buffer.from(token);
      const ok = given.length === TOKEN.length && timingSafeEqual(given, TOKEN);
      return ok ? { subject: 'developer', scopes: [] } : null;
    },
  },
});

mcp.tool({
  name: 'deploy',
  description: 'Deploys after asking the user to confirm',
  annotations: { destructiveHint: true },
  handler: async (_args, ctx) => {
    const answer = await ctx.elicit({
      message: 'Deploy to production?',
      requestedSchema: {
        type: 'object',
        properties: { confirm: { type: 'boolean', title: 'Confirm' } },
        required: ['confirm'],
      },
    });
    return answer.action === 'accept' && answer.content?.['confirm'] === true
      ? 'deployed'
      : `not deployed (${answer.action})`;
  },
});

mcp.tool({
  name: 'haiku',
  description: "Asks the client's model for a haiku about a topic",
  inputSchema: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
  handler: async (args, ctx) => {
    const reply = await ctx.createMessage({
      messages: [
        { role: 'user', content: { type: 'text', text: `A haiku about ${String(args['topic'])}` } },
      ],
      maxTokens: 100,
    });
    return reply.content.type === 'text' ? reply.content.text : '(no text)';
  },
});

mcp.prompt({
  name: 'explain',
  arguments: [{ name: 'language', required: true }],
  get: ({ language }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Explain ${language} closures` } }],
  }),
  // completion/complete: what the user typed so far → suggestions.
  complete: { language: (typed) => LANGUAGES.filter((l) => l.startsWith(typed)) },
});

let ticks = 0;
mcp.resource({ uri: 'clock://ticks', name: 'ticks', read: () => String(ticks) });
// Subscribed clients (resources/subscribe) hear about every change on their GET stream.
setInterval(() => {
  ticks++;
  mcp.notifyResourceUpdated('clock://ticks');
}, 1000).unref();

app.all('/mcp', mcp.handler);
// RFC 9728 metadata, outside the token check: /.well-known/oauth-protected-resource/mcp.
const metadata = mcp.resourceMetadata;
if (metadata !== null) app.get(metadata.path, metadata.handler);

console.log(`mcp-interactive listening on ${base}/mcp`);
