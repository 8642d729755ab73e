import { request as httpRequest } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../src/index.js';
import { type Served, serve } from './fixture.js';
import { MODERN, meta, modernCall, sseData, standardHeaders } from './modern-helpers.js';

let served: Served;
beforeAll(async () => {
  served = await serve({ instructions: 'Use add for sums.' });
  served.mcp.tool({
    name: 'execute_sql',
    description: 'Execute SQL (the x-mcp-header example of the specification)',
    inputSchema: {
      type: 'object',
      properties: {
        region: { type: 'string', 'x-mcp-header': 'Region' },
        limit: { type: 'integer', 'x-mcp-header': 'Limit' },
        query: { type: 'string' },
      },
      required: ['region', 'query'],
    },
    handler: (args) => `ran in ${String(args['region'])}`,
  });
});
afterAll(async () => {
  await served.close();
});

describe('MCP 2026-07-28 over Streamable HTTP (issue #19)', () => {
  it('answers server/discover as the specification example does', async () => {
    const r = await modernCall(served.url, 'server/discover');
    expect(r.status).toBe(200);
    expect(r.headers.get('mcp-session-id')).toBeNull();
    const result = r.body.result as Record<string, unknown>;
    expect(result['resultType']).toBe('complete');
    expect(result['supportedVersions']).toEqual(SUPPORTED_PROTOCOL_VERSIONS);
    expect(result['supportedVersions']).toContain(MODERN);
    expect(result['capabilities']).toMatchObject({ tools: {}, resources: {}, prompts: {} });
    expect(result['_meta']).toEqual({
      'io.modelcontextprotocol/serverInfo': { name: 'test-server', version: '1.2.3' },
    });
    expect(result['instructions']).toBe('Use add for sums.');
    expect(result['ttlMs']).toBe(0);
    expect(result['cacheScope']).toBe('public');
  });

  it('serves tools, resources and prompts without initialize or a session', async () => {
    const list = await modernCall(served.url, 'tools/list');
    expect(list.status).toBe(200);
    expect(list.body.result?.['resultType']).toBe('complete');
    expect(list.body.result?.['cacheScope']).toBe('public');
    expect(list.body.result?.['ttlMs']).toBe(0);
    const tools = (list.body.result?.['tools'] ?? []) as { name: string }[];
    expect(tools.map((t) => t.name)).toContain('add');

    const call = await modernCall(served.url, 'tools/call', {
      name: 'add',
      arguments: { a: 2, b: 3 },
    });
    expect(call.status).toBe(200);
    expect(call.headers.get('mcp-session-id')).toBeNull();
    expect(call.body.result).toMatchObject({
      resultType: 'complete',
      structuredContent: { sum: 5 },
      _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'test-server' } },
    });
    // A call result is not cacheable.
    expect(call.body.result?.['ttlMs']).toBeUndefined();

    const read = await modernCall(served.url, 'resources/read', { uri: 'users://ada/profile' });
    expect(read.body.result).toMatchObject({
      resultType: 'complete',
      contents: [{ uri: 'users://ada/profile', text: 'profile of ada' }],
      cacheScope: 'public',
    });
    const prompt = await modernCall(served.url, 'prompts/get', {
      name: 'greet',
      arguments: { name: 'Ada' },
    });
    expect(prompt.body.result).toMatchObject({ resultType: 'complete' });
  });

  it('rejects what the revision removed or forbids, with its error codes and statuses', async () => {
    const ping = await modernCall(served.url, 'ping');
    expect(ping.status).toBe(404);
    expect(ping.body.error?.code).toBe(-32601);
    const unknown = await modernCall(served.url, 'tools/frobnicate');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe(-32601);
    const setLevel = await modernCall(served.url, 'logging/setLevel', { level: 'debug' });
    expect(setLevel.body.error?.code).toBe(-32601);
    // -32002 is retired: an unknown resource is invalid params.
    const ghost = await modernCall(served.url, 'resources/read', { uri: 'users://ghost/profile' });
    expect(ghost.body.error?.code).toBe(-32602);

    const batch = await fetch(served.url, {
      method: 'POST',
      headers: standardHeaders('tools/list', {}),
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: meta() } },
      ]),
    });
    expect(batch.status).toBe(400);
  });

  it('requires _meta with protocol version and capabilities: -32602 and 400', async () => {
    const res = await fetch(served.url, {
      method: 'POST',
      headers: standardHeaders('tools/list', {}),
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: {} }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { id: number; error: { code: number; message: string } };
    expect(body.id).toBe(7);
    expect(body.error.code).toBe(-32602);
    expect(body.error.message).toContain('io.modelcontextprotocol/protocolVersion');

    const noCaps = await modernCall(
      served.url,
      'tools/list',
      {},
      {
        meta: { 'io.modelcontextprotocol/clientCapabilities': undefined },
      },
    );
    expect(noCaps.status).toBe(400);
    expect(noCaps.body.error?.code).toBe(-32602);
    const badLevel = await modernCall(
      served.url,
      'tools/list',
      {},
      {
        meta: { 'io.modelcontextprotocol/logLevel': 'loud' },
      },
    );
    expect(badLevel.body.error?.code).toBe(-32602);
  });

  it('answers an unsupported version with UnsupportedProtocolVersionError', async () => {
    const r = await modernCall(
      served.url,
      'tools/list',
      {},
      {
        meta: { 'io.modelcontextprotocol/protocolVersion': '1900-01-01' },
        headers: { 'mcp-protocol-version': '1900-01-01' },
      },
    );
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({
      code: -32022,
      message: 'Unsupported protocol version',
      data: { supported: [...SUPPORTED_PROTOCOL_VERSIONS], requested: '1900-01-01' },
    });
  });

  it('validates the standard headers against the body (HeaderMismatch -32020)', async () => {
    const cases: [string, Record<string, unknown>, Record<string, string | null>][] = [
      ['tools/list', {}, { 'mcp-protocol-version': null }],
      ['tools/list', {}, { 'mcp-protocol-version': '2025-11-25' }],
      ['tools/list', {}, { 'mcp-method': null }],
      ['tools/list', {}, { 'mcp-method': 'prompts/list' }],
      ['tools/call', { name: 'add', arguments: { a: 1, b: 1 } }, { 'mcp-name': null }],
      ['tools/call', { name: 'add', arguments: { a: 1, b: 1 } }, { 'mcp-name': 'echo' }],
      ['resources/read', { uri: 'config://app' }, { 'mcp-name': 'config://other' }],
    ];
    for (const [method, params, headers] of cases) {
      const r = await modernCall(served.url, method, params, { headers });
      expect(r.status, JSON.stringify(headers)).toBe(400);
      expect(r.body.error?.code, JSON.stringify(headers)).toBe(-32020);
      expect(r.body.error?.message).toMatch(/^Header mismatch: /);
    }
    // A Base64-sentinel Mcp-Name is decoded before the comparison.
    const encoded = `=?base64?${Buffer.from('config://app').toString('base64')}?=`;
    const ok = await modernCall(
      served.url,
      'resources/read',
      { uri: 'config://app' },
      {
        headers: { 'mcp-name': encoded },
      },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.result?.['resultType']).toBe('complete');
  });

  it('checks Mcp-Param headers of x-mcp-header arguments', async () => {
    const params = { name: 'execute_sql', arguments: { region: 'us-west1', query: 'SELECT 1' } };
    const missing = await modernCall(served.url, 'tools/call', params);
    expect(missing.status).toBe(400);
    expect(missing.body.error?.code).toBe(-32020);
    expect(missing.body.error?.message).toContain('Mcp-Param-Region');

    const wrong = await modernCall(served.url, 'tools/call', params, {
      headers: { 'mcp-param-region': 'eu-west1' },
    });
    expect(wrong.body.error?.code).toBe(-32020);

    const right = await modernCall(served.url, 'tools/call', params, {
      headers: { 'mcp-param-region': 'us-west1' },
    });
    expect(right.status).toBe(200);
    expect(right.body.result?.['content']).toEqual([{ type: 'text', text: 'ran in us-west1' }]);

    // Non-ASCII travels Base64-encoded; integers compare as numbers.
    const unicode = await modernCall(
      served.url,
      'tools/call',
      { name: 'execute_sql', arguments: { region: 'Zürich', limit: 42, query: 'x' } },
      {
        headers: {
          'mcp-param-region': `=?base64?${Buffer.from('Zürich').toString('base64')}?=`,
          'mcp-param-limit': '42.0',
        },
      },
    );
    expect(unicode.status).toBe(200);
    expect(unicode.body.result?.['content']).toEqual([{ type: 'text', text: 'ran in Zürich' }]);
  });

  it('sends log messages only to a request that set io.modelcontextprotocol/logLevel', async () => {
    const params = { name: 'count', arguments: { to: 3 } };
    const send = (extra: Record<string, unknown>) =>
      fetch(served.url, {
        method: 'POST',
        headers: standardHeaders('tools/call', params),
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 'c1',
          method: 'tools/call',
          params: { ...params, _meta: meta({ progressToken: 'p1', ...extra }) },
        }),
      });
    const quiet = await send({});
    expect(quiet.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const quietMessages = (await sseData(quiet)) as { method?: string }[];
    expect(quietMessages.filter((m) => m.method === 'notifications/progress')).toHaveLength(3);
    expect(quietMessages.some((m) => m.method === 'notifications/message')).toBe(false);
    expect(quietMessages.at(-1)).toMatchObject({ id: 'c1', result: { resultType: 'complete' } });

    const loud = await send({ 'io.modelcontextprotocol/logLevel': 'info' });
    const logs = ((await sseData(loud)) as { method?: string; params?: { level: string } }[])
      .filter((m) => m.method === 'notifications/message')
      .map((m) => m.params?.level);
    expect(logs).toEqual(['info']); // the two debug steps are below the level
  });

  it('treats closing the response stream as cancellation of the request', async () => {
    const params = { name: 'wait', arguments: {} };
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 'w1',
      method: 'tools/call',
      params: { ...params, _meta: meta({ progressToken: 'w' }) },
    });
    // node:http, so that closing is a closed connection (fetch may pool the socket).
    const req = httpRequest(served.url, {
      method: 'POST',
      headers: standardHeaders('tools/call', params),
    });
    const status = new Promise<number>((resolve) => {
      req.on('response', (res) => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => {});
    req.end(body);
    expect(await status).toBe(200);
    await served.waitStarted;
    req.destroy();
    await expect(served.waitAborted).resolves.toMatch(/closed/);
  }, 30_000);

  it('still serves session-based clients on the same endpoint (dual era)', async () => {
    const client = new Client({ name: 'legacy', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(served.url)));
    expect(client.getServerVersion()?.name).toBe('test-server');
    const r = await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    expect(r.structuredContent).toEqual({ sum: 3 });
    await client.close();

    // initialize can only negotiate a session-based revision.
    const init = await fetch(served.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: MODERN, capabilities: {}, clientInfo: CLIENT },
      }),
    });
    const body = (await init.json()) as { result: { protocolVersion: string } };
    expect(body.result.protocolVersion).toBe('2025-11-25');
    expect(init.headers.get('mcp-session-id')).toBeTruthy();
  });
});

const CLIENT = { name: 'raw', version: '1' };
