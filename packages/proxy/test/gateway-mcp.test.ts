import { randomUUID } from 'node:crypto';
import { createServer as createNodeServer } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer as SdkServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { createServer } from '@rws/http1';
import { createMcpServer, type McpServer } from '@rws/mcp';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway } from '../src/index.js';
import { serveHandler } from './gateway-helpers.js';

interface McpBackend {
  readonly name: string;
  readonly mcp: McpServer;
  readonly address: string;
  close(): Promise<void>;
}

/** A real @rws/mcp server whose `where` tool names the backend and the session it sees. */
async function mcpBackend(name: string): Promise<McpBackend> {
  const mcp = createMcpServer({ name, version: '1.0.0' });
  mcp.tool({ name: 'where', handler: (_args, ctx) => `${name} ${ctx.sessionId}` }).tool({
    name: 'count',
    handler: async (_args, ctx) => {
      for (let i = 1; i <= 3; i++) {
        ctx.progress(i, 3);
        await new Promise((r) => setTimeout(r, 5));
      }
      return `counted on ${name}`;
    },
  });
  const server = createServer(mcp.handler, { onError: () => {} });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  let isClosed = false;
  const close = async () => {
    if (isClosed) return;
    isClosed = true;
    mcp.close();
    await server.close({ graceMs: 100 });
  };
  onTestFinished(close);
  return { name, mcp, address: `127.0.0.1:${port}`, close };
}

/** The official SDK's Streamable HTTP server on node:http (stateful, SSE answers). */
async function sdkBackend(name: string): Promise<{ readonly address: string }> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const server = createNodeServer(async (req, res) => {
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
    if (transport === undefined) {
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          transports.set(id, created);
        },
      });
      const sdk = new SdkServer({ name, version: '1.0.0' });
      sdk.registerTool('where', {}, (extra) => ({
        content: [{ type: 'text', text: `${name} ${extra.sessionId}` }],
      }));
      await sdk.connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return { address: `127.0.0.1:${(server.address() as { port: number }).port}` };
}

function config(backends: readonly { readonly address: string }[]): string {
  return `
[[upstream]]
name = "tools"
backends = [${backends.map((b) => JSON.stringify(b.address)).join(', ')}]

[[route]]
[route.match]
path = "/mcp"
[route.action]
type = "mcp"
upstream = "tools"
`;
}

async function startGateway(backends: readonly { readonly address: string }[]) {
  const gateway = await createGateway(config(backends));
  onTestFinished(() => gateway.close());
  const port = await serveHandler(gateway.handler);
  return { gateway, url: new URL(`http://127.0.0.1:${port}/mcp`) };
}

async function connect(url: URL) {
  const client = new Client({ name: 'through-gateway', version: '1' });
  const transport = new StreamableHTTPClientTransport(url);
  await client.connect(transport);
  onTestFinished(() => client.close());
  return { client, transport };
}

async function where(client: Client): Promise<string> {
  const r = await client.callTool({ name: 'where', arguments: {} });
  return (r.content as { text: string }[])[0]!.text;
}

const HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

function rpc(url: URL, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { ...HEADERS, ...headers },
    body: JSON.stringify(body),
  });
}

async function initialize(url: URL): Promise<string> {
  const res = await rpc(url, {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw' } },
  });
  expect(res.status).toBe(200);
  return res.headers.get('mcp-session-id') as string;
}

describe('gateway [route.action] type = "mcp" (issue #10)', () => {
  it('the config reads with the proxy keys and a 5 min read timeout by default', async () => {
    const a = await mcpBackend('a');
    const { gateway } = await startGateway([a]);
    expect(gateway.config.routes[0]?.action).toMatchObject({
      type: 'mcp',
      upstream: 'tools',
      readTimeoutMs: 300_000,
      connectTimeoutMs: 5000,
    });
  });

  it('SDK clients: sessions spread over the backends, each stays on its own; SSE and DELETE pass', async () => {
    const a = await mcpBackend('a');
    const b = await mcpBackend('b');
    const { url } = await startGateway([a, b]);
    const seen = new Set<string>();
    // Round robin spreads the initializes; a few clients reach both backends.
    for (let i = 0; i < 3 || (seen.size < 2 && i < 20); i++) {
      const { client, transport } = await connect(url);
      const id = transport.sessionId as string;
      // The client holds `<tag>.<backend's id>`; the backend sees its own id.
      const [tag, backendId] = id.split('.');
      expect(tag).toMatch(/^[\w-]{12}$/);
      const first = await where(client);
      const [backend, sessionSeen] = first.split(' ');
      expect(sessionSeen).toBe(backendId);
      for (let k = 0; k < 3; k++) expect(await where(client)).toBe(first);
      seen.add(backend as string);
      const progress: number[] = [];
      const counted = await client.callTool({ name: 'count', arguments: {} }, undefined, {
        onprogress: (p) => progress.push(p.progress),
      });
      expect(counted.content).toEqual([{ type: 'text', text: `counted on ${backend}` }]);
      expect(progress).toEqual([1, 2, 3]);
      const owner = backend === 'a' ? a : b;
      expect(owner.mcp.sessionIds()).toContain(backendId);
      await transport.terminateSession();
      expect(owner.mcp.sessionIds()).not.toContain(backendId);
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it("works for any MCP server: the official SDK's server behind the gateway, SDK client in front", async () => {
    const { url } = await startGateway([await sdkBackend('sdk-a'), await sdkBackend('sdk-b')]);
    const seen = new Set<string>();
    for (let i = 0; i < 3 || (seen.size < 2 && i < 20); i++) {
      const { client, transport } = await connect(url);
      const [, backendId] = (transport.sessionId as string).split('.');
      const first = await where(client);
      expect(first.split(' ')[1]).toBe(backendId);
      expect(await where(client)).toBe(first);
      seen.add(first.split(' ')[0] as string);
      await client.close();
    }
    expect([...seen].sort()).toEqual(['sdk-a', 'sdk-b']);
  });

  it("the backend's GET stream reaches the client through the gateway", async () => {
    const a = await mcpBackend('a');
    const { url } = await startGateway([a]);
    const { client } = await connect(url);
    const got = new Promise<unknown>((resolve) => {
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => resolve(n.params));
    });
    // The SDK opens its GET stream in the background after connecting: repeat until it is up.
    const timer = setInterval(() => a.mcp.log('notice', 'hello through the gateway'), 25);
    try {
      expect(await got).toEqual({ level: 'notice', data: 'hello through the gateway' });
    } finally {
      clearInterval(timer);
    }
  });

  it('404 -32001 for an untagged or forged id, a backend gone from the upstream, or one that is down', async () => {
    const a = await mcpBackend('a');
    const b = await mcpBackend('b');
    const { gateway, url } = await startGateway([a, b]);
    const ping = (id: string) =>
      rpc(url, { jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-session-id': id });
    for (const id of ['no-tag', 'AAAAAAAAAAAA.x', '.x']) {
      const res = await ping(id);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32001, message: 'Session not found' },
      });
    }
    const onA: string[] = [];
    const onB: string[] = [];
    while (onA.length === 0 || onB.length === 0) {
      const id = await initialize(url);
      const backendId = id.split('.')[1] as string;
      (a.mcp.sessionIds().includes(backendId) ? onA : onB).push(id);
    }
    expect((await ping(onA[0]!)).status).toBe(200);
    expect((await ping(onB[0]!)).status).toBe(200);
    // A session id that is the right tag but unknown to the backend: the backend's own 404.
    expect((await ping(`${onA[0]!.split('.')[0]}.not-a-session`)).status).toBe(404);
    // b leaves the upstream on reload: its sessions are gone, a's carry on.
    const r = await gateway.reload(config([a]));
    expect(r.problems).toEqual([]);
    expect((await ping(onB[0]!)).status).toBe(404);
    expect((await ping(onA[0]!)).status).toBe(200);
    // a's process goes away: its sessions are gone too (not a 502).
    await a.close();
    const down = await ping(onA[0]!);
    expect(down.status).toBe(404);
    expect(await down.json()).toMatchObject({ error: { code: -32001 } });
  });
});
