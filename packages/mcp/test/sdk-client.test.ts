import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Served, serve } from './fixture.js';

let served: Served;
beforeAll(async () => {
  served = await serve();
});
afterAll(async () => {
  await served.close();
});

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'sdk-test', version: '0.0.1' });
  const transport = new StreamableHTTPClientTransport(new URL(served.url));
  await client.connect(transport);
  return { client, transport };
}

describe('the official SDK client over Streamable HTTP', () => {
  it('initializes: negotiated revision, server info, capabilities, session id', async () => {
    const { client, transport } = await connect();
    expect(client.getServerVersion()).toEqual({ name: 'test-server', version: '1.2.3' });
    expect(transport.protocolVersion).toBe('2025-11-25');
    expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.getServerCapabilities()).toEqual({
      logging: {},
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
    });
    expect(served.mcp.sessionIds()).toContain(transport.sessionId);
    await client.ping();
    await client.close();
  });

  it('lists tools page by page with cursors, with schemas and annotations', async () => {
    const { client } = await connect();
    const first = await client.listTools();
    expect(first.tools.map((t) => t.name)).toEqual(['add', 'echo', 'fail']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.listTools({ cursor: first.nextCursor as string });
    expect(second.tools.map((t) => t.name)).toEqual(['broken', 'count', 'wait']);
    expect(second.nextCursor).toBeUndefined();
    const add = first.tools[0];
    expect(add?.annotations).toEqual({ readOnlyHint: true, idempotentHint: true });
    expect(add?.inputSchema).toMatchObject({
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    });
    expect(add?.outputSchema).toMatchObject({ properties: { sum: { type: 'number' } } });
    await client.close();
  });

  it('calls tools: structured output, text, isError, invalid arguments', async () => {
    const { client } = await connect();
    expect(await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } })).toEqual({
      content: [{ type: 'text', text: '{"sum":42}' }],
      structuredContent: { sum: 42 },
    });
    expect(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })).toEqual({
      content: [{ type: 'text', text: 'echo: hi' }],
    });
    expect(await client.callTool({ name: 'fail', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'the disk is full' }],
      isError: true,
    });
    // 2025-11-25: arguments failing the schema are a tool execution error the model can see.
    expect(await client.callTool({ name: 'add', arguments: { a: 'x', b: 1 } })).toEqual({
      content: [
        { type: 'text', text: expect.stringMatching(/^Invalid arguments for tool add: a:/) },
      ],
      isError: true,
    });
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(
      /-32602.*Unknown tool: nope/,
    );
    await client.close();
  });

  it('streams progress and log messages over SSE before the result', async () => {
    const { client } = await connect();
    await client.setLoggingLevel('info');
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params);
    });
    const progress: unknown[] = [];
    const result = await client.callTool({ name: 'count', arguments: { to: 3 } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(result).toEqual({ content: [{ type: 'text', text: 'counted to 3' }] });
    expect(progress).toEqual([
      { progress: 1, total: 3, message: 'step 1' },
      { progress: 2, total: 3, message: 'step 2' },
      { progress: 3, total: 3, message: 'step 3' },
    ]);
    // setLevel('info') filtered the debug lines out.
    expect(logs).toEqual([{ level: 'info', data: { step: 3 }, logger: 'count' }]);
    await client.close();
  });

  it('cancellation aborts the tool handler signal', async () => {
    const { client } = await connect();
    const ac = new AbortController();
    const call = client.callTool({ name: 'wait', arguments: {} }, undefined, {
      signal: ac.signal,
    });
    await served.waitStarted;
    ac.abort('user pressed stop');
    await expect(call).rejects.toThrow();
    expect(await served.waitAborted).toBe('user pressed stop');
    await client.close();
  });

  it('reads resources and templates, lists them, and reports a missing one', async () => {
    const { client } = await connect();
    expect((await client.listResources()).resources).toEqual([
      { uri: 'config://app', name: 'app-config', mimeType: 'application/json' },
    ]);
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([
      { uriTemplate: 'users://{id}/profile', name: 'user-profile', mimeType: 'text/plain' },
    ]);
    expect(await client.readResource({ uri: 'config://app' })).toEqual({
      contents: [{ uri: 'config://app', mimeType: 'application/json', text: '{"debug":false}' }],
    });
    expect(await client.readResource({ uri: 'users://ann/profile' })).toEqual({
      contents: [{ uri: 'users://ann/profile', mimeType: 'text/plain', text: 'profile of ann' }],
    });
    await expect(client.readResource({ uri: 'users://ghost/profile' })).rejects.toThrow(
      /-32002.*Resource not found/,
    );
    await client.close();
  });

  it('gets prompts and refuses a missing required argument', async () => {
    const { client } = await connect();
    expect((await client.listPrompts()).prompts).toEqual([
      {
        name: 'greet',
        description: 'Greets someone',
        arguments: [{ name: 'name', required: true }],
      },
    ]);
    expect(await client.getPrompt({ name: 'greet', arguments: { name: 'Ada' } })).toEqual({
      messages: [{ role: 'user', content: { type: 'text', text: 'Say hello to Ada' } }],
    });
    await expect(client.getPrompt({ name: 'greet', arguments: {} })).rejects.toThrow(
      /-32602.*needs the argument name/,
    );
    await client.close();
  });

  it("server-wide logs reach the client on the SDK's GET stream", async () => {
    const { client } = await connect();
    const got = new Promise<unknown>((resolve) => {
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => resolve(n.params));
    });
    // The SDK opens its GET stream in the background after connecting: repeat until it is up.
    const timer = setInterval(() => served.mcp.log('notice', { deploy: 'v2' }, 'ops'), 20);
    try {
      expect(await got).toEqual({ level: 'notice', data: { deploy: 'v2' }, logger: 'ops' });
    } finally {
      clearInterval(timer);
    }
    await client.close();
  });

  it('terminateSession ends the session: the server forgets it and answers 404 after', async () => {
    const { client, transport } = await connect();
    const id = transport.sessionId as string;
    await transport.terminateSession();
    expect(served.mcp.sessionIds()).not.toContain(id);
    const res = await fetch(served.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': id,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(404);
    await client.close();
  });
});
