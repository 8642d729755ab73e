import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Served, serve } from './fixture.js';

let served: Served;
beforeAll(async () => {
  served = await serve();
});
afterAll(async () => {
  await served.close();
});

const ACCEPT = 'application/json, text/event-stream';

function post(
  body: unknown,
  headers: Record<string, string> = {},
  url = served.url,
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function initialize(protocolVersion = '2025-06-18', url = served.url): Promise<string> {
  const res = await post(
    {
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    },
    {},
    url,
  );
  expect(res.status).toBe(200);
  const id = res.headers.get('mcp-session-id') as string;
  expect(id).toBeTruthy();
  const ack = await post(
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    session(id, protocolVersion),
    url,
  );
  expect(ack.status).toBe(202);
  return id;
}

function session(id: string, version = '2025-06-18'): Record<string, string> {
  return { 'mcp-session-id': id, 'mcp-protocol-version': version };
}

/** Reads SSE `data:` payloads of a finished response body. */
async function sseMessages(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

describe('lifecycle', () => {
  it('negotiates: a supported revision is echoed, an unknown one gets our latest', async () => {
    for (const [asked, got] of [
      ['2025-03-26', '2025-03-26'],
      ['2025-06-18', '2025-06-18'],
      ['2025-11-25', '2025-11-25'],
      ['1999-01-01', '2025-11-25'],
    ]) {
      const res = await post({
        jsonrpc: '2.0',
        id: 'init',
        method: 'initialize',
        params: {
          protocolVersion: asked,
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { id: string; result: { protocolVersion: string } };
      expect(body.id).toBe('init');
      expect(body.result.protocolVersion).toBe(got);
    }
  });

  it('initialize without clientInfo is invalid params; with a session header it is refused', async () => {
    const bad = await post({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: number } }).error.code).toBe(-32602);
    const id = await initialize();
    const again = await post(
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        },
      },
      session(id),
    );
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: { code: number } }).error.code).toBe(-32600);
  });

  it('sessions expire after the idle timeout: 404 afterwards', async () => {
    const short = await serve({ sessionIdleTimeoutMs: 80 });
    try {
      const id = await initialize('2025-06-18', short.url);
      const ok = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, session(id), short.url);
      expect(await ok.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
      await new Promise((r) => setTimeout(r, 200));
      const gone = await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, session(id), short.url);
      expect(gone.status).toBe(404);
      expect(short.mcp.sessionIds()).not.toContain(id);
    } finally {
      await short.close();
    }
  });

  it('a running request keeps its session from expiring', async () => {
    const short = await serve({ sessionIdleTimeoutMs: 80 });
    try {
      const id = await initialize('2025-06-18', short.url);
      const call = post(
        { jsonrpc: '2.0', id: 'w', method: 'tools/call', params: { name: 'wait', arguments: {} } },
        session(id),
        short.url,
      );
      await short.waitStarted;
      await new Promise((r) => setTimeout(r, 200));
      expect(short.mcp.sessionIds()).toContain(id);
      const cancel = {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 'w' },
      };
      expect((await post(cancel, session(id), short.url)).status).toBe(202);
      expect((await call).status).toBe(202);
    } finally {
      await short.close();
    }
  });

  it('DELETE ends a session (204), then 404; a missing session id is 400', async () => {
    const id = await initialize();
    const del = await fetch(served.url, { method: 'DELETE', headers: session(id) });
    expect(del.status).toBe(204);
    const again = await fetch(served.url, { method: 'DELETE', headers: session(id) });
    expect(again.status).toBe(404);
    const none = await post({ jsonrpc: '2.0', id: 1, method: 'ping' });
    expect(none.status).toBe(400);
    expect(await none.text()).toMatch(/Mcp-Session-Id header is required/);
  });

  it('MCP-Protocol-Version: unsupported is 400; another supported one or none is accepted', async () => {
    const id = await initialize();
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const unsupported = await post(ping, session(id, '2030-01-01'));
    expect(unsupported.status).toBe(400);
    expect(await unsupported.text()).toMatch(/unsupported MCP-Protocol-Version 2030-01-01/);
    // Served under the negotiated revision, as the official SDK server does.
    const other = await post(ping, session(id, '2025-03-26'));
    expect(other.status).toBe(200);
    const absent = await post(ping, { 'mcp-session-id': id });
    expect(absent.status).toBe(200);
  });
});

describe('HTTP errors', () => {
  it('406 without both media types in Accept, 415 for a non-JSON body, 405 for PUT', async () => {
    const id = await initialize();
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    expect((await post(ping, { ...session(id), accept: 'application/json' })).status).toBe(406);
    expect((await post(ping, { ...session(id), 'content-type': 'text/plain' })).status).toBe(415);
    const put = await fetch(served.url, { method: 'PUT', headers: session(id) });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST, DELETE');
    const get = await fetch(served.url, {
      headers: { ...session(id), accept: 'application/json' },
    });
    expect(get.status).toBe(406);
  });

  it('503 for initialize past maxSessions; a DELETE makes room', async () => {
    const few = await serve({ maxSessions: 1 });
    try {
      const id = await initialize('2025-06-18', few.url);
      const init = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        },
      };
      const full = await post(init, {}, few.url);
      expect(full.status).toBe(503);
      expect(await full.text()).toMatch(/too many open sessions/);
      await fetch(few.url, { method: 'DELETE', headers: session(id) });
      expect((await post(init, {}, few.url)).status).toBe(200);
    } finally {
      await few.close();
    }
  });

  it('413 past maxBodyBytes', async () => {
    const small = await serve({ maxBodyBytes: 64 });
    try {
      const res = await post(
        { jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(100) } },
        {},
        small.url,
      );
      expect(res.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('403 for a foreign Origin and for a non-loopback Host on a loopback listener', async () => {
    const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
    const evil = await post(ping, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(await evil.text()).toMatch(/Origin http:\/\/evil.example is not allowed/);
    const local = await post(ping, { origin: 'http://localhost:5173' });
    expect(local.status).toBe(400); // past the origin check: no session
    const { port } = new URL(served.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'POST',
          headers: {
            host: `rebound.example:${port}`,
            'content-type': 'application/json',
            accept: ACCEPT,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(ping));
    });
    expect(status).toBe(403);
  });
});

describe('JSON-RPC', () => {
  it('-32700 for malformed JSON, -32600 for invalid messages', async () => {
    const id = await initialize();
    const parse = await post('{"jsonrpc":', session(id));
    expect(parse.status).toBe(400);
    expect(await parse.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    for (const bad of [
      { jsonrpc: '1.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 1, method: '' },
      { jsonrpc: '2.0', id: 1, method: 'ping', params: [1] },
      { jsonrpc: '2.0', id: null, method: 'ping' },
      { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '2.0', id: 1 },
      42,
    ]) {
      const res = await post(bad, session(id));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32600);
    }
  });

  it('-32601 for an unknown method, -32602 for bad params and cursors, -32603 for a broken tool', async () => {
    const id = await initialize();
    const cases: [unknown, number][] = [
      [{ jsonrpc: '2.0', id: 1, method: 'no/such' }, -32601],
      [
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: {} } },
        -32602,
      ],
      [
        {
          jsonrpc: '2.0',
          id: 3,
          method: 'tools/call',
          params: { name: 'echo', arguments: { text: 1 } },
        },
        -32602,
      ],
      [{ jsonrpc: '2.0', id: 4, method: 'tools/list', params: { cursor: 'bogus' } }, -32602],
      [{ jsonrpc: '2.0', id: 5, method: 'logging/setLevel', params: { level: 'loud' } }, -32602],
      [{ jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'broken' } }, -32603],
    ];
    for (const [msg, code] of cases) {
      const res = await post(msg, session(id));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { id: number; error: { code: number } };
      expect(body.error.code).toBe(code);
      expect(body.id).toBe((msg as { id: number }).id);
    }
  });

  it('notifications and responses alone get 202 with no body', async () => {
    const id = await initialize();
    const res = await post({ jsonrpc: '2.0', method: 'notifications/whatever' }, session(id));
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
    const resp = await post({ jsonrpc: '2.0', id: 9, result: {} }, session(id));
    expect(resp.status).toBe(202);
  });

  it('batches: refused on 2025-06-18, answered as an array on 2025-03-26', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 2, method: 'no/such' },
      { jsonrpc: '1.0', id: 3, method: 'ping' },
    ];
    const modern = await initialize();
    const refused = await post(batch, session(modern));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/does not allow JSON-RPC batches/);
    const old = await initialize('2025-03-26');
    const res = await post(batch, session(old, '2025-03-26'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { id: number; result?: unknown; error?: { code: number } }[];
    expect(body.sort((a, b) => a.id - b.id)).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found: no/such' } },
      { jsonrpc: '2.0', id: 3, error: { code: -32600, message: 'jsonrpc must be "2.0"' } },
    ]);
    expect((await post([], session(old, '2025-03-26'))).status).toBe(400);
  });
});

describe('streams', () => {
  it('a request with a progressToken is answered as SSE: progress, then the result', async () => {
    const id = await initialize();
    const res = await post(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'count', arguments: { to: 2 }, _meta: { progressToken: 'p1' } },
      },
      session(id),
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await sseMessages(res)).toEqual([
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'p1', progress: 1, total: 2, message: 'step 1' },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'debug', data: { step: 1 }, logger: 'count' },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/progress',
        params: { progressToken: 'p1', progress: 2, total: 2, message: 'step 2' },
      },
      {
        jsonrpc: '2.0',
        method: 'notifications/message',
        params: { level: 'info', data: { step: 2 }, logger: 'count' },
      },
      { jsonrpc: '2.0', id: 7, result: { content: [{ type: 'text', text: 'counted to 2' }] } },
    ]);
  });

  it('the GET stream carries server-wide log messages; a second GET is 409', async () => {
    const id = await initialize();
    const ac = new AbortController();
    const res = await fetch(served.url, {
      headers: { ...session(id), accept: 'text/event-stream' },
      signal: ac.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const second = await fetch(served.url, {
      headers: { ...session(id), accept: 'text/event-stream' },
    });
    expect(second.status).toBe(409);
    served.mcp.log('warning', 'disk at 91%');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const { value } = await reader.read();
    const chunk = new TextDecoder().decode(value);
    expect(chunk).toMatch(/^event: message\nid: \d+_1\ndata: /);
    expect(chunk).toContain(
      '"method":"notifications/message","params":{"level":"warning","data":"disk at 91%"}',
    );
    ac.abort();
  });

  it('a dropped POST stream is resumed with Last-Event-ID on GET', async () => {
    const id = await initialize();
    const { port } = new URL(served.url);
    // Read the first event of a 5-step count, then drop the connection.
    const firstId = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'POST',
          headers: { ...session(id), 'content-type': 'application/json', accept: ACCEPT },
        },
        (res) => {
          res.setEncoding('utf8');
          res.once('data', (chunk: string) => {
            const m = /id: (\S+)/.exec(chunk);
            req.destroy();
            if (m) resolve(m[1] as string);
            else reject(new Error(`no id in ${chunk}`));
          });
        },
      );
      req.on('error', () => {});
      req.end(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 'r',
          method: 'tools/call',
          params: { name: 'count', arguments: { to: 5 }, _meta: { progressToken: 1 } },
        }),
      );
    });
    expect(firstId).toMatch(/^\d+_1$/);
    const res = await fetch(served.url, {
      headers: { ...session(id), accept: 'text/event-stream', 'last-event-id': firstId },
    });
    expect(res.status).toBe(200);
    const messages = (await sseMessages(res)) as {
      method?: string;
      params?: { progress?: number };
      id?: string;
    }[];
    const progress = messages
      .filter((m) => m.method === 'notifications/progress')
      .map((m) => m.params?.progress);
    expect(progress).toEqual([2, 3, 4, 5]);
    expect(messages.at(-1)).toMatchObject({
      id: 'r',
      result: { content: [{ text: 'counted to 5' }] },
    });
    const bad = await fetch(served.url, {
      headers: { ...session(id), accept: 'text/event-stream', 'last-event-id': 'zzz' },
    });
    expect(bad.status).toBe(400);
  });

  it('sessions are isolated: log levels and GET streams are per session', async () => {
    const a = await initialize();
    const b = await initialize();
    const setLevel = await post(
      { jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'error' } },
      session(a),
    );
    expect(await setLevel.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    const open = (id: string) =>
      fetch(served.url, { headers: { ...session(id), accept: 'text/event-stream' } });
    const [ra, rb] = await Promise.all([open(a), open(b)]);
    served.mcp.log('info', 'x');
    served.mcp.log('error', 'y');
    const first = async (res: Response) => {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const { value } = await reader.read();
      await reader.cancel();
      return new TextDecoder().decode(value);
    };
    expect(await first(ra)).toContain('"data":"y"');
    expect(await first(rb)).toContain('"data":"x"');
  });

  it('a request cancelled with notifications/cancelled gets no response: 202', async () => {
    const id = await initialize();
    const call = post(
      { jsonrpc: '2.0', id: 'w', method: 'tools/call', params: { name: 'wait', arguments: {} } },
      session(id),
    );
    await served.waitStarted;
    const cancel = await post(
      {
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 'w', reason: 'changed my mind' },
      },
      session(id),
    );
    expect(cancel.status).toBe(202);
    expect(await served.waitAborted).toBe('changed my mind');
    const res = await call;
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('');
  });

  it("responseMode 'sse' streams every answer; 'json' never does", async () => {
    const sseServer = await serve({ responseMode: 'sse' });
    const jsonServer = await serve({ responseMode: 'json' });
    try {
      const a = await initialize('2025-06-18', sseServer.url);
      const ping = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, session(a), sseServer.url);
      expect(ping.headers.get('content-type')).toBe('text/event-stream');
      expect(await sseMessages(ping)).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
      const b = await initialize('2025-06-18', jsonServer.url);
      const call = await post(
        {
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'count', arguments: { to: 1 }, _meta: { progressToken: 'p' } },
        },
        session(b),
        jsonServer.url,
      );
      expect(call.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await call.json()).toMatchObject({
        id: 2,
        result: { content: [{ text: 'counted to 1' }] },
      });
    } finally {
      await sseServer.close();
      await jsonServer.close();
    }
  });

  it('ending the session aborts its in-flight handlers', async () => {
    const own = await serve();
    try {
      const id = await initialize('2025-06-18', own.url);
      const call = post(
        { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wait', arguments: {} } },
        session(id),
        own.url,
      );
      await own.waitStarted;
      const del = await fetch(own.url, { method: 'DELETE', headers: session(id) });
      expect(del.status).toBe(204);
      expect(await own.waitAborted).toBe('session ended');
      expect((await call).status).toBe(202);
    } finally {
      await own.close();
    }
  });
});
