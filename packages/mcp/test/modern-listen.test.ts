import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Served, serve } from './fixture.js';
import { meta, modernCall, sseReader, standardHeaders } from './modern-helpers.js';

let served: Served;
beforeAll(async () => {
  served = await serve();
});
afterAll(async () => {
  await served.close();
});

/** Opens a `subscriptions/listen` stream (the specification's example request). */
async function listen(
  id: number | string,
  notifications: Record<string, unknown>,
  url: string = served.url,
) {
  const controller = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: standardHeaders('subscriptions/listen', {}),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'subscriptions/listen',
      params: { _meta: meta(), notifications },
    }),
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  return { reader: sseReader(res), close: () => controller.abort() };
}

describe('subscriptions/listen, 2026-07-28 (issue #19)', () => {
  it('acknowledges first, then delivers only what each stream opted in to', async () => {
    const tools = await listen(1, { toolsListChanged: true, unknownKind: true });
    const config = await listen(2, { resourceSubscriptions: ['config://app'] });
    expect(await tools.reader.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: {
        notifications: { toolsListChanged: true },
        _meta: { 'io.modelcontextprotocol/subscriptionId': 1 },
      },
    });
    expect(await config.reader.next()).toMatchObject({
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: { resourceSubscriptions: ['config://app'] } },
    });

    served.mcp.notifyResourceUpdated('users://ada/profile'); // nobody subscribed
    served.mcp.notifyResourceUpdated('config://app');
    served.mcp.tool({ name: 'late', handler: () => 'late' });

    expect(await config.reader.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/resources/updated',
      params: { uri: 'config://app', _meta: { 'io.modelcontextprotocol/subscriptionId': 2 } },
    });
    expect(await tools.reader.next()).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
      params: { _meta: { 'io.modelcontextprotocol/subscriptionId': 1 } },
    });
    // In-order markers: the next thing each stream sees is its own kind, nothing it did not ask.
    served.mcp.removeTool('late');
    served.mcp.notifyResourceUpdated('config://app');
    expect(await tools.reader.next()).toMatchObject({ method: 'notifications/tools/list_changed' });
    expect(await config.reader.next()).toMatchObject({
      method: 'notifications/resources/updated',
    });
    tools.close();
    config.close();
  });

  it('rejects a malformed filter with -32602', async () => {
    const r = await modernCall(served.url, 'subscriptions/listen', {
      notifications: { resourceSubscriptions: 'config://app' },
    });
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe(-32602);
  });

  it('ends each stream with its closing result when the server closes', async () => {
    const other = await serve();
    const { reader } = await listen('sub-9', { promptsListChanged: true }, other.url);
    expect(await reader.next()).toMatchObject({
      params: { notifications: { promptsListChanged: true } },
    });
    other.mcp.close();
    expect(await reader.next()).toEqual({
      jsonrpc: '2.0',
      id: 'sub-9',
      result: {
        resultType: 'complete',
        _meta: {
          'io.modelcontextprotocol/subscriptionId': 'sub-9',
          'io.modelcontextprotocol/serverInfo': { name: 'test-server', version: '1.2.3' },
        },
      },
    });
    await expect(reader.next()).rejects.toThrow('stream ended');
    await other.close();
  });
});
