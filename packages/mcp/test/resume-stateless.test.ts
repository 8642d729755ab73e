import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEventStore, type McpEventStore, type StoredEvent } from '../src/index.js';
import { type Served, serve } from './fixture.js';

const ACCEPT = 'application/json, text/event-stream';
const opened: Served[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function start(options: Parameters<typeof serve>[0] = {}): Promise<Served> {
  const s = await serve(options);
  opened.push(s);
  return s;
}

const sdkReconnect = {
  initialReconnectionDelay: 100,
  maxReconnectionDelay: 1000,
  reconnectionDelayGrowFactor: 1.5,
  maxRetries: 5,
};

/**
 * A fetch whose first `tools/call` SSE answer breaks after two progress notifications, the way
 * a dropped connection does: the body is cancelled (the socket closes) and the reader errors.
 */
function droppingFetch(lastEventIds: string[]): typeof fetch {
  let dropped = false;
  return async (input, init) => {
    const id = new Headers(init?.headers).get('last-event-id');
    if (id !== null) lastEventIds.push(id);
    const res = await fetch(input, init);
    const body = typeof init?.body === 'string' ? init.body : '';
    const sse = res.headers.get('content-type')?.startsWith('text/event-stream') === true;
    if (dropped || !body.includes('"tools/call"') || !sse || res.body === null) return res;
    dropped = true;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let seen = '';
    let dropNext = false;
    const broken = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (dropNext) {
          await reader.cancel();
          controller.error(new TypeError('terminated: connection dropped'));
          return;
        }
        const { value, done } = await reader.read();
        if (done) return controller.close();
        controller.enqueue(value);
        seen += decoder.decode(value, { stream: true });
        dropNext = (seen.match(/notifications\/progress/g) ?? []).length >= 2;
      },
    });
    return new Response(broken, { status: res.status, headers: res.headers });
  };
}

describe('resumability (issue #19)', () => {
  it('the SDK client resumes a dropped POST stream with Last-Event-ID and misses nothing', async () => {
    const memory = createMemoryEventStore({ maxEventsPerSession: 100 });
    const replays: string[] = [];
    // A pluggable store: this one delegates to the memory store and records the replays.
    const eventStore: McpEventStore = {
      append: (sessionId, event) => memory.append(sessionId, event),
      replay: async (sessionId, streamId, afterSeq) => {
        replays.push(`${streamId}_${afterSeq}`);
        return memory.replay(sessionId, streamId, afterSeq);
      },
      endSession: (sessionId) => memory.endSession(sessionId),
    };
    const served = await start({ eventStore });
    const lastEventIds: string[] = [];
    const client = new Client({ name: 'resume-test', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(served.url), {
      fetch: droppingFetch(lastEventIds),
      reconnectionOptions: sdkReconnect,
    });
    await client.connect(transport);
    const progress: number[] = [];
    const result = await client.callTool({ name: 'count', arguments: { to: 10 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
      timeout: 30_000,
    });
    expect(result).toEqual({ content: [{ type: 'text', text: 'counted to 10' }] });
    // Every step exactly once: what was sent while the client was away came from the store.
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(lastEventIds).toHaveLength(1);
    expect(lastEventIds[0]).toMatch(/^\d+_\d+$/);
    expect(replays).toEqual(lastEventIds);
    await client.close();
  });

  it('ctx.closeSseStream ends the POST stream mid-call; the SDK client comes back for the result', async () => {
    const served = await start();
    let closed: boolean | undefined;
    served.mcp.tool({
      name: 'poll',
      handler: async (_args, ctx) => {
        closed = ctx.closeSseStream(50);
        await new Promise((r) => setTimeout(r, 200));
        return 'after the reconnect';
      },
    });
    const lastEventIds: string[] = [];
    const recording: typeof fetch = (input, init) => {
      const id = new Headers(init?.headers).get('last-event-id');
      if (id !== null) lastEventIds.push(id);
      return fetch(input, init);
    };
    const client = new Client({ name: 'poll-test', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(served.url), {
      fetch: recording,
      reconnectionOptions: sdkReconnect,
    });
    await client.connect(transport);
    const result = await client.callTool({ name: 'poll', arguments: {} }, undefined, {
      timeout: 30_000,
    });
    expect(result).toEqual({ content: [{ type: 'text', text: 'after the reconnect' }] });
    expect(closed).toBe(true);
    // The client saw only the priming event (`<stream>_0`) before the server closed.
    expect(lastEventIds).toEqual([expect.stringMatching(/^\d+_0$/)]);
    await client.close();
  });

  it('ctx.closeSseStream is refused below 2025-11-25 and in stateless mode', async () => {
    const results: boolean[] = [];
    for (const options of [{}, { sessions: false }]) {
      const served = await start(options);
      served.mcp.tool({ name: 'poll', handler: (_a, ctx) => String(ctx.closeSseStream()) });
      const res = await fetch(served.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: ACCEPT,
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x' } },
        }),
      });
      const id = res.headers.get('mcp-session-id');
      const call = await fetch(served.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: ACCEPT,
          'mcp-protocol-version': id === null ? '2025-11-25' : '2025-06-18',
          ...(id === null ? {} : { 'mcp-session-id': id }),
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'tools/call',
          params: { name: 'poll', arguments: {} },
        }),
      });
      expect(call.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await call.json()) as { result: { content: { text: string }[] } };
      results.push(body.result.content[0]?.text === 'true');
    }
    expect(results).toEqual([false, false]);
  });

  it('the memory store keeps a bounded number of events per session', async () => {
    const store = createMemoryEventStore({ maxEventsPerSession: 3 });
    for (let seq = 1; seq <= 5; seq++) store.append('a', { streamId: '1', seq, message: seq });
    store.append('b', { streamId: '1', seq: 1, message: 'other session' });
    const replayed = (await store.replay('a', '1', 0)) as StoredEvent[];
    expect(replayed.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(await store.replay('a', '1', 4)).toEqual([{ streamId: '1', seq: 5, message: 5 }]);
    store.endSession('a');
    expect(await store.replay('a', '1', 0)).toEqual([]);
    expect(await store.replay('b', '1', 0)).toHaveLength(1);
    expect(() => createMemoryEventStore({ maxEventsPerSession: 0 })).toThrow(
      /maxEventsPerSession must be a positive integer/,
    );
  });

  it('a store that fails to replay is a 500 naming it, not a crash', async () => {
    const served = await start({
      eventStore: {
        append: () => {},
        replay: () => Promise.reject(new Error('redis is down')),
        endSession: () => {},
      },
    });
    const init = await fetch(served.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x' } },
      }),
    });
    const id = init.headers.get('mcp-session-id') as string;
    const res = await fetch(served.url, {
      headers: { 'mcp-session-id': id, accept: 'text/event-stream', 'last-event-id': '0_0' },
    });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('the event store failed to replay: redis is down');
  });
});

describe('stateless mode (issue #19)', () => {
  it('the SDK client works against two instances behind a round-robin balancer', async () => {
    const a = await start({ sessions: false });
    const b = await start({ sessions: false });
    const hits = { a: 0, b: 0 };
    let turn = 0;
    // The balancer: each request goes to the next instance, whatever came before.
    const balanced: typeof fetch = (input, init) => {
      const to = turn++ % 2 === 0 ? a : b;
      hits[to === a ? 'a' : 'b']++;
      const url = new URL(String(input instanceof Request ? input.url : input));
      return fetch(new URL(url.pathname, to.url), init);
    };
    const client = new Client({ name: 'stateless-test', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(a.url), { fetch: balanced });
    await client.connect(transport);
    expect(transport.sessionId).toBeUndefined();
    expect(transport.protocolVersion).toBe('2025-11-25');
    expect(await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).toMatchObject({
      structuredContent: { sum: 3 },
    });
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toEqual(['add', 'echo', 'fail']);
    expect((await client.listTools({ cursor: tools.nextCursor as string })).tools).toHaveLength(3);
    const progress: number[] = [];
    const counted = await client.callTool({ name: 'count', arguments: { to: 3 } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
    });
    expect(counted).toEqual({ content: [{ type: 'text', text: 'counted to 3' }] });
    expect(progress).toEqual([1, 2, 3]);
    expect(hits.a).toBeGreaterThan(1);
    expect(hits.b).toBeGreaterThan(1);
    expect(a.mcp.sessionIds()).toEqual([]);
    expect(b.mcp.sessionIds()).toEqual([]);
    await client.close();
  });

  it('no Mcp-Session-Id; each POST stands alone; GET and DELETE are 405', async () => {
    const served = await start({ sessions: false });
    const call = await fetch(served.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: ACCEPT,
        'mcp-protocol-version': '2025-06-18',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'alone' } },
      }),
    });
    expect(call.status).toBe(200);
    expect(call.headers.get('mcp-session-id')).toBeNull();
    expect(await call.json()).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: { content: [{ type: 'text', text: 'echo: alone' }] },
    });
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(served.url, { method, headers: { accept: 'text/event-stream' } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
    const unknown = await fetch(served.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: ACCEPT,
        'mcp-protocol-version': '1999-01-01',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('unsupported MCP-Protocol-Version 1999-01-01');
  });
});

describe('protocol revision 2025-11-25', () => {
  it('an SSE answer starts with a priming event (id, empty data) only from 2025-11-25', async () => {
    const served = await start({ responseMode: 'sse' });
    for (const [version, primed] of [
      ['2025-11-25', true],
      ['2025-06-18', false],
    ] as const) {
      const res = await fetch(served.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'x' } },
        }),
      });
      const id = res.headers.get('mcp-session-id') as string;
      const ping = await fetch(served.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: ACCEPT,
          'mcp-session-id': id,
          'mcp-protocol-version': version,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      const text = await ping.text();
      expect(text.startsWith('id: 1_0\ndata: \n\n')).toBe(primed);
      expect(text).toMatch(
        /event: message\nid: 1_1\ndata: \{"jsonrpc":"2.0","id":1,"result":\{\}\}/,
      );
    }
  });
});
