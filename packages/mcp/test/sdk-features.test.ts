import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createServer, type Http1Server } from '@rws/http1';
import { createApp } from '@rws/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer, type McpServer } from '../src/index.js';

const USERS = Array.from({ length: 150 }, (_, i) => `user${i}`);

let mcp: McpServer;
let server: Http1Server;
let url: URL;
beforeAll(async () => {
  mcp = createMcpServer({ name: 'features', version: '1.0.0' });
  mcp
    .tool({
      name: 'delete-all',
      handler: async (_args, ctx) => {
        const answer = await ctx.elicit({
          message: 'Really delete everything?',
          requestedSchema: {
            type: 'object',
            properties: { confirm: { type: 'boolean' } },
            required: ['confirm'],
          },
        });
        return `${answer.action}:${JSON.stringify(answer.content ?? null)}`;
      },
    })
    .tool({
      name: 'summarize',
      handler: async (_args, ctx) => {
        const reply = await ctx.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'Summarize: a b c' } }],
          maxTokens: 50,
        });
        return `${reply.model} said ${reply.content.type === 'text' ? reply.content.text : '?'}`;
      },
    })
    .tool({
      name: 'roots',
      handler: async (_args, ctx) => (await ctx.listRoots()).roots.map((r) => r.uri).join(','),
    })
    .resource({ uri: 'file:///status', name: 'status', read: () => 'ok' })
    .resourceTemplate({
      uriTemplate: 'users://{id}/profile',
      name: 'profile',
      read: (_uri, { id }) => `profile of ${id}`,
      complete: { id: (v) => USERS.filter((u) => u.startsWith(v)) },
    })
    .prompt({
      name: 'greet',
      arguments: [{ name: 'name', required: true }, { name: 'style' }],
      get: ({ name }) => ({
        messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}` } }],
      }),
      complete: {
        name: (v, { arguments: given }) =>
          ['Ada', 'Alan', 'Grace']
            .filter((n) => n.toLowerCase().startsWith(v.toLowerCase()))
            .map((n) => (given['style'] === 'loud' ? n.toUpperCase() : n)),
      },
    });
  const app = createApp();
  app.all('/mcp', mcp.handler);
  server = createServer(app.handler);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  url = new URL(`http://127.0.0.1:${port}/mcp`);
});
afterAll(async () => {
  mcp.close();
  await server.close({ graceMs: 100 });
});

async function connect(capabilities: Record<string, object> = {}): Promise<Client> {
  const client = new Client({ name: 'sdk-features', version: '0.0.1' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

/** Repeats `fire` until `received` settles: the SDK opens its GET stream in the background. */
async function untilReceived<T>(received: Promise<T>, fire: () => void): Promise<T> {
  const timer = setInterval(fire, 25);
  try {
    return await received;
  } finally {
    clearInterval(timer);
  }
}

describe('server-to-client requests (issue #19)', () => {
  it('elicitation: the request reaches the client on the call stream and its answer returns', async () => {
    const client = await connect({ elicitation: {} });
    const asked: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, (req) => {
      asked.push(req.params.message);
      return { action: 'accept', content: { confirm: true } };
    });
    expect(await client.callTool({ name: 'delete-all', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'accept:{"confirm":true}' }],
    });
    expect(asked).toEqual(['Really delete everything?']);
    await client.close();
  });

  it('elicitation declined, and a client without the capability gets a tool error', async () => {
    const declining = await connect({ elicitation: {} });
    declining.setRequestHandler(ElicitRequestSchema, () => ({ action: 'decline' }));
    expect(await declining.callTool({ name: 'delete-all', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'decline:null' }],
    });
    await declining.close();
    const plain = await connect();
    const result = await plain.callTool({ name: 'delete-all', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('did not declare the elicitation capability');
    await plain.close();
  });

  it('sampling/createMessage and roots/list are answered by the client', async () => {
    const client = await connect({ sampling: {}, roots: {} });
    client.setRequestHandler(CreateMessageRequestSchema, (req) => ({
      role: 'assistant',
      model: 'test-model',
      content: { type: 'text', text: `summary of ${req.params.messages.length} message` },
    }));
    client.setRequestHandler(ListRootsRequestSchema, () => ({
      roots: [{ uri: 'file:///home/ada/project', name: 'project' }, { uri: 'file:///tmp' }],
    }));
    expect(await client.callTool({ name: 'summarize', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'test-model said summary of 1 message' }],
    });
    expect(await client.callTool({ name: 'roots', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'file:///home/ada/project,file:///tmp' }],
    });
    await client.close();
  });

  it('a client that answers with an error makes the tool fail with that error', async () => {
    const client = await connect({ sampling: {} });
    client.setRequestHandler(CreateMessageRequestSchema, () => {
      throw new Error('the user refused sampling');
    });
    const result = await client.callTool({ name: 'summarize', arguments: {} });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/answered sampling\/createMessage with error/);
    await client.close();
  });
});

describe('completions (issue #19)', () => {
  it('advertises completions and completes prompt arguments with context', async () => {
    const client = await connect();
    expect(client.getServerCapabilities()?.completions).toEqual({});
    expect(
      await client.complete({
        ref: { type: 'ref/prompt', name: 'greet' },
        argument: { name: 'name', value: 'a' },
      }),
    ).toEqual({ completion: { values: ['Ada', 'Alan'], total: 2, hasMore: false } });
    expect(
      (
        await client.complete({
          ref: { type: 'ref/prompt', name: 'greet' },
          argument: { name: 'name', value: 'g' },
          context: { arguments: { style: 'loud' } },
        })
      ).completion.values,
    ).toEqual(['GRACE']);
    // An argument without a completer: no suggestions.
    expect(
      await client.complete({
        ref: { type: 'ref/prompt', name: 'greet' },
        argument: { name: 'style', value: '' },
      }),
    ).toEqual({ completion: { values: [], hasMore: false } });
    await client.close();
  });

  it('completes template variables, capped at 100 values with hasMore; unknown refs are -32602', async () => {
    const client = await connect();
    const { completion } = await client.complete({
      ref: { type: 'ref/resource', uri: 'users://{id}/profile' },
      argument: { name: 'id', value: 'user' },
    });
    expect(completion.values).toHaveLength(100);
    expect(completion.values[0]).toBe('user0');
    expect(completion.total).toBe(150);
    expect(completion.hasMore).toBe(true);
    await expect(
      client.complete({
        ref: { type: 'ref/prompt', name: 'nope' },
        argument: { name: 'x', value: '' },
      }),
    ).rejects.toThrow(/-32602.*Unknown prompt: nope/);
    await client.close();
  });
});

describe('resource subscriptions and list changes (issue #19)', () => {
  it('advertises subscribe and listChanged', async () => {
    const client = await connect();
    expect(client.getServerCapabilities()).toMatchObject({
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
    });
    await client.close();
  });

  it('resources/updated reaches subscribed sessions only, and stops after unsubscribe', async () => {
    const subscribed = await connect();
    const other = await connect();
    const updates: string[] = [];
    const otherUpdates: string[] = [];
    subscribed.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updates.push(n.params.uri);
    });
    other.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      otherUpdates.push(n.params.uri);
    });
    // A log line to everyone marks a point on each GET stream: what was sent before it to a
    // session has arrived once the session has the marker (one stream, in order).
    let marker = 0;
    const markers = new Map<Client, string[]>([
      [subscribed, []],
      [other, []],
    ]);
    for (const [client, seen] of markers) {
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
        seen.push(String(n.params.data));
      });
    }
    const sync = async (): Promise<void> => {
      const id = `mark-${marker++}`;
      const both = Promise.all(
        [...markers.values()].map(
          (seen) =>
            new Promise<void>((resolve) => {
              const check = setInterval(() => {
                if (seen.includes(id)) {
                  clearInterval(check);
                  resolve();
                }
              }, 5);
            }),
        ),
      );
      // Repeated: the SDK opens its GET stream in the background after connecting.
      await untilReceived(both, () => mcp.log('info', id));
    };
    await subscribed.subscribeResource({ uri: 'file:///status' });
    await sync();
    mcp.notifyResourceUpdated('file:///status');
    mcp.notifyResourceUpdated('file:///other');
    await sync();
    expect(updates).toEqual(['file:///status']);
    expect(otherUpdates).toEqual([]);
    await subscribed.unsubscribeResource({ uri: 'file:///status' });
    mcp.notifyResourceUpdated('file:///status');
    await sync();
    expect(updates).toEqual(['file:///status']);
    await subscribed.close();
    await other.close();
  });

  it('registering and removing tools and prompts sends list_changed; the lists follow', async () => {
    const client = await connect();
    const toolsChanged = new Promise<void>((resolve) => {
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve());
    });
    let n = 0;
    await untilReceived(toolsChanged, () => {
      mcp.tool({ name: `extra-${n++}`, handler: () => 'x' });
    });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('extra-0');
    for (let i = 0; i < n; i++) expect(mcp.removeTool(`extra-${i}`)).toBe(true);
    expect(mcp.removeTool('extra-0')).toBe(false);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('extra-0');
    const promptsChanged = new Promise<void>((resolve) => {
      client.setNotificationHandler(PromptListChangedNotificationSchema, () => resolve());
    });
    mcp.prompt({ name: 'temp', get: () => ({ messages: [] }) });
    expect(mcp.removePrompt('temp')).toBe(true);
    await promptsChanged;
    await client.close();
  });
});
