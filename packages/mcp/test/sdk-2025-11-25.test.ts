import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  UrlElicitationRequiredError,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer, type McpServer, urlElicitationRequired } from '../src/index.js';
import { listenMcp } from './fixture.js';

const ICON = { src: 'https://example.com/icon.png', mimeType: 'image/png', sizes: ['48x48'] };

let mcp: McpServer;
let url: URL;
let close: () => Promise<void>;
let lastSession = '';
beforeAll(async () => {
  mcp = createMcpServer({
    name: 'features-2025-11-25',
    version: '1.0.0',
    icons: [ICON],
    websiteUrl: 'https://example.com',
  });
  mcp
    .tool({
      name: 'connect',
      icons: [{ ...ICON, theme: 'dark' }],
      handler: async (_args, ctx) => {
        lastSession = ctx.sessionId;
        const r = await ctx.elicit({
          mode: 'url',
          message: 'Connect your GitHub account',
          url: 'https://example.com/connect?id=e-1',
          elicitationId: 'e-1',
        });
        return `connect: ${r.action}`;
      },
    })
    .tool({
      name: 'needs-key',
      handler: () => {
        throw urlElicitationRequired([
          { message: 'Set your API key', url: 'https://example.com/key', elicitationId: 'e-2' },
        ]);
      },
    })
    .tool({
      name: 'weather-agent',
      // Tool calling inside sampling: the model asks for get_weather, the server runs it and
      // sends the result back, the model answers.
      handler: async (_args, ctx) => {
        const tools = [
          {
            name: 'get_weather',
            inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
          },
        ];
        const question = {
          role: 'user' as const,
          content: { type: 'text' as const, text: 'Weather in Paris?' },
        };
        const first = await ctx.createMessage({ messages: [question], maxTokens: 100, tools });
        const uses = (Array.isArray(first.content) ? first.content : [first.content]).filter(
          (c) => c.type === 'tool_use',
        );
        const results = uses.map((u) => ({
          type: 'tool_result' as const,
          toolUseId: String(u['id']),
          content: [
            {
              type: 'text' as const,
              text: `sunny in ${String((u['input'] as { city: string }).city)}`,
            },
          ],
        }));
        const second = await ctx.createMessage({
          messages: [
            question,
            { role: 'assistant', content: uses as never },
            { role: 'user', content: results },
          ],
          maxTokens: 100,
          tools,
        });
        const block = Array.isArray(second.content) ? second.content[0] : second.content;
        return block?.type === 'text' ? String(block['text']) : '?';
      },
    })
    .resource({ uri: 'icon://r', name: 'r', icons: [ICON], read: () => 'r' })
    .prompt({ name: 'p', icons: [ICON], get: () => ({ messages: [] }) });
  ({ url, close } = await listenMcp(mcp));
});
afterAll(() => close());

async function connect(capabilities: Record<string, unknown>): Promise<Client> {
  const client = new Client({ name: 'sdk', version: '1' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

describe('2025-11-25 features with the SDK client (issue #19)', () => {
  it('lists icons of the server, tools, resources and prompts', async () => {
    const client = await connect({});
    expect(client.getServerVersion()).toMatchObject({
      icons: [ICON],
      websiteUrl: 'https://example.com',
    });
    expect((await client.listTools()).tools.find((t) => t.name === 'connect')?.icons).toEqual([
      { ...ICON, theme: 'dark' },
    ]);
    expect((await client.listResources()).resources[0]?.icons).toEqual([ICON]);
    expect((await client.listPrompts()).prompts[0]?.icons).toEqual([ICON]);
    await client.close();
  });

  it('sends URL-mode elicitation and its completion notification', async () => {
    const client = await connect({ elicitation: { url: {} } });
    const seen: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      seen.push(req.params);
      return { action: 'accept' };
    });
    const completed = new Promise<string>((resolve) => {
      client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) =>
        resolve(n.params.elicitationId),
      );
    });
    const r = await client.callTool({ name: 'connect', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: 'connect: accept' }]);
    expect(seen).toEqual([
      {
        mode: 'url',
        message: 'Connect your GitHub account',
        url: 'https://example.com/connect?id=e-1',
        elicitationId: 'e-1',
      },
    ]);
    // Out of band (say, the OAuth callback), the server learns the user is done.
    await expect.poll(() => mcp.notifyElicitationComplete(lastSession, 'e-1')).toBe(true);
    await expect(completed).resolves.toBe('e-1');
    await client.close();

    // A client that declared form mode only is not sent a URL.
    const formOnly = await connect({ elicitation: { form: {} } });
    const refused = await formOnly.callTool({ name: 'connect', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('elicitation.url');
    await formOnly.close();
  });

  it('answers URLElicitationRequiredError (-32042) with the elicitations', async () => {
    const client = await connect({ elicitation: { url: {} } });
    const err = await client.callTool({ name: 'needs-key', arguments: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(UrlElicitationRequiredError);
    expect((err as UrlElicitationRequiredError).elicitations).toEqual([
      {
        mode: 'url',
        message: 'Set your API key',
        url: 'https://example.com/key',
        elicitationId: 'e-2',
      },
    ]);
    await client.close();
  });

  it('runs tool calling inside sampling with a client that declares sampling.tools', async () => {
    const client = await connect({ sampling: { tools: {} } });
    const requests: { tools?: unknown; messages: unknown[] }[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, (req) => {
      requests.push(req.params as never);
      if (requests.length === 1) {
        return {
          role: 'assistant',
          model: 'test-model',
          stopReason: 'toolUse',
          content: [
            { type: 'tool_use', id: 'call-1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        };
      }
      const last = req.params.messages.at(-1)?.content as {
        type: string;
        content: { text: string }[];
      }[];
      return {
        role: 'assistant',
        model: 'test-model',
        stopReason: 'endTurn',
        content: { type: 'text', text: `The model read: ${last[0]?.content[0]?.text}` },
      };
    });
    const r = await client.callTool({ name: 'weather-agent', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: 'The model read: sunny in Paris' }]);
    expect(requests[0]?.tools).toEqual([
      {
        name: 'get_weather',
        inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    ]);
    expect(requests[1]?.messages).toHaveLength(3);
    await client.close();

    const plain = await connect({ sampling: {} });
    const refused = await plain.callTool({ name: 'weather-agent', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('sampling.tools');
    await plain.close();
  });
});
