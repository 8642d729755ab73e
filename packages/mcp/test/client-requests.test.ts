import { createServer, type Http1Server } from '@rws/http1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer, type McpServer } from '../src/index.js';

let mcp: McpServer;
let server: Http1Server;
let url: string;
beforeAll(async () => {
  mcp = createMcpServer({ name: 'asker', version: '1' });
  mcp.tool({
    name: 'ask',
    inputSchema: { type: 'object', properties: { timeoutMs: { type: 'number' } } },
    handler: async (args, ctx) => {
      const timeoutMs = typeof args['timeoutMs'] === 'number' ? args['timeoutMs'] : 30_000;
      const answer = await ctx.elicit(
        { message: 'Name?', requestedSchema: { type: 'object', properties: {} } },
        { timeoutMs },
      );
      return JSON.stringify(answer);
    },
  });
  server = createServer(mcp.handler);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${port}/mcp`;
});
afterAll(async () => {
  mcp.close();
  await server.close({ graceMs: 100 });
});

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

function post(body: unknown, sessionId?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: sessionId === undefined ? HEADERS : { ...HEADERS, 'mcp-session-id': sessionId },
    body: JSON.stringify(body),
  });
}

async function initialize(capabilities: Record<string, object>): Promise<string> {
  const res = await post({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities, clientInfo: { name: 'raw' } },
  });
  const id = res.headers.get('mcp-session-id') as string;
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, id);
  return id;
}

/** Reads an SSE body message by message. */
function messages(res: Response): () => Promise<Record<string, unknown> | null> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return async () => {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = event.split('\n').find((l) => l.startsWith('data: '));
        if (data !== undefined) return JSON.parse(data.slice(6));
        continue;
      }
      const { value, done } = await reader.read();
      if (done) return null;
      buffered += decoder.decode(value, { stream: true });
    }
  };
}

function callAsk(sessionId: string, args: Record<string, unknown> = {}) {
  return post(
    {
      jsonrpc: '2.0',
      id: 'call-1',
      method: 'tools/call',
      params: { name: 'ask', arguments: args },
    },
    sessionId,
  );
}

describe('server-to-client requests over raw HTTP (issue #19)', () => {
  it('a JSON-answered POST turns into SSE for the request; the POSTed answer resumes the tool', async () => {
    const sid = await initialize({ elicitation: {} });
    const res = await callAsk(sid);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const next = messages(res);
    const request = await next();
    expect(request).toMatchObject({
      jsonrpc: '2.0',
      method: 'elicitation/create',
      params: { message: 'Name?' },
    });
    // An answer to an id never sent is ignored (202), and does not disturb the real one.
    expect((await post({ jsonrpc: '2.0', id: 999, result: {} }, sid)).status).toBe(202);
    const answered = await post(
      {
        jsonrpc: '2.0',
        id: request?.['id'],
        result: { action: 'accept', content: { name: 'Ada' } },
      },
      sid,
    );
    expect(answered.status).toBe(202);
    expect(await next()).toEqual({
      jsonrpc: '2.0',
      id: 'call-1',
      result: { content: [{ type: 'text', text: '{"action":"accept","content":{"name":"Ada"}}' }] },
    });
    expect(await next()).toBeNull();
  });

  it('an answer from another session does not reach the request', async () => {
    const sid = await initialize({ elicitation: {} });
    const other = await initialize({ elicitation: {} });
    const next = messages(await callAsk(sid, { timeoutMs: 300 }));
    const request = await next();
    await post({ jsonrpc: '2.0', id: request?.['id'], result: { action: 'decline' } }, other);
    // The request times out instead: the client is told to stop, then the tool fails.
    expect(await next()).toMatchObject({
      method: 'notifications/cancelled',
      params: { requestId: request?.['id'] },
    });
    const result = (await next()) as { result: { isError: boolean; content: { text: string }[] } };
    expect(result.result.isError).toBe(true);
    expect(result.result.content[0]?.text).toBe('elicitation/create got no answer within 300 ms');
  });

  it('an error answer fails the tool with the code and message', async () => {
    const sid = await initialize({ elicitation: {} });
    const next = messages(await callAsk(sid));
    const request = await next();
    await post(
      { jsonrpc: '2.0', id: request?.['id'], error: { code: -32600, message: 'user closed it' } },
      sid,
    );
    expect(await next()).toMatchObject({
      id: 'call-1',
      result: {
        isError: true,
        content: [
          { text: 'the client answered elicitation/create with error -32600: user closed it' },
        ],
      },
    });
  });

  it('cancelling the tool call cancels its pending elicitation', async () => {
    const sid = await initialize({ elicitation: {} });
    const next = messages(await callAsk(sid));
    const request = await next();
    await post(
      { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'call-1' } },
      sid,
    );
    expect(await next()).toMatchObject({
      method: 'notifications/cancelled',
      params: { requestId: request?.['id'] },
    });
    // A cancelled request gets no response: the stream just ends.
    expect(await next()).toBeNull();
  });

  it("responseMode 'json' sends requests on the GET stream; without one the call fails at once", async () => {
    const json = createMcpServer({ name: 'json-only', version: '1', responseMode: 'json' });
    json.tool({
      name: 'ask',
      handler: async (_args, ctx) =>
        JSON.stringify(await ctx.elicit({ message: 'x', requestedSchema: { type: 'object' } })),
    });
    const jsonServer = createServer(json.handler);
    const { port } = await jsonServer.listen({ port: 0, host: '127.0.0.1' });
    const saved = url;
    url = `http://127.0.0.1:${port}/mcp`;
    try {
      const sid = await initialize({ elicitation: {} });
      const res = await callAsk(sid);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toMatchObject({
        result: {
          isError: true,
          content: [
            {
              text: 'elicitation/create could not be sent: the client has no open stream to receive it',
            },
          ],
        },
      });
      // With the GET stream open, the request travels there and the answer completes the call.
      const stream = await fetch(url, {
        headers: { accept: 'text/event-stream', 'mcp-session-id': sid },
      });
      const next = messages(stream);
      const call = callAsk(sid);
      const request = await next();
      expect(request).toMatchObject({ method: 'elicitation/create' });
      await post({ jsonrpc: '2.0', id: request?.['id'], result: { action: 'cancel' } }, sid);
      expect(await (await call).json()).toMatchObject({
        result: { content: [{ text: '{"action":"cancel"}' }] },
      });
    } finally {
      url = saved;
      json.close();
      await jsonServer.close({ graceMs: 100 });
    }
  });
});
