import { randomUUID } from 'node:crypto';
import {
  discoverOAuthProtectedResourceMetadata,
  extractWWWAuthenticateParams,
  type OAuthClientProvider,
} from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type Handler, Headers } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { createApp } from '@rws/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthInfo, createMcpServer, type McpServer } from '../src/index.js';

const TOKENS: Record<string, AuthInfo> = {
  'tok-ada': { subject: 'ada', scopes: ['mcp:use', 'extra'] },
  'tok-bob': { subject: 'bob', scopes: ['mcp:use'] },
  'tok-eve': { subject: 'eve', scopes: [] },
};

let mcp: McpServer;
let server: Http1Server;
let base: string;
beforeAll(async () => {
  let handler: Handler = () => ({ status: 503, headers: new Headers(), body: null });
  server = createServer((req) => handler(req));
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
  mcp = createMcpServer({
    name: 'protected',
    version: '1.0.0',
    auth: {
      resource: `${base}/mcp`,
      authorizationServers: ['https://auth.example.com'],
      requiredScopes: ['mcp:use'],
      resourceName: 'Test MCP',
      verify: (token) => {
        const info = TOKENS[token];
        if (info === undefined) throw new Error('bad signature');
        return info;
      },
    },
  });
  mcp.tool({ name: 'whoami', handler: (_args, ctx) => ctx.auth?.subject ?? 'nobody' });
  const app = createApp();
  app.all('/mcp', mcp.handler);
  const metadata = mcp.resourceMetadata;
  if (metadata === null) throw new Error('no metadata');
  app.get(metadata.path, metadata.handler);
  handler = app.handler;
});
afterAll(async () => {
  mcp.close();
  await server.close({ graceMs: 100 });
});

function provider(token: string): OAuthClientProvider {
  return {
    redirectUrl: 'http://127.0.0.1/callback',
    clientMetadata: { redirect_uris: ['http://127.0.0.1/callback'], client_name: 't' },
    clientInformation: () => ({ client_id: 'test' }),
    tokens: () => ({ access_token: token, token_type: 'Bearer' }),
    saveTokens: () => {},
    redirectToAuthorization: () => {
      throw new Error('no interactive authorization in tests');
    },
    saveCodeVerifier: () => {},
    codeVerifier: () => 'v',
  };
}

function initialize(token?: string): Promise<Response> {
  return fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw' } },
    }),
  });
}

describe('authorization (issue #19)', () => {
  it('serves RFC 9728 metadata that the SDK discovers from the server URL', async () => {
    const md = await discoverOAuthProtectedResourceMetadata(new URL(`${base}/mcp`));
    expect(md).toMatchObject({
      resource: `${base}/mcp`,
      authorization_servers: ['https://auth.example.com'],
      scopes_supported: ['mcp:use'],
      bearer_methods_supported: ['header'],
      resource_name: 'Test MCP',
    });
  });

  it('401 with resource_metadata without a token, invalid_token for a bad one, 403 insufficient_scope', async () => {
    const none = await initialize();
    expect(none.status).toBe(401);
    expect(extractWWWAuthenticateParams(none)).toEqual({
      resourceMetadataUrl: new URL(`${base}/.well-known/oauth-protected-resource/mcp`),
    });
    expect(await none.json()).toMatchObject({ error: { message: /bearer token is required/ } });
    const bad = await initialize('forged');
    expect(bad.status).toBe(401);
    expect(extractWWWAuthenticateParams(bad).error).toBe('invalid_token');
    const weak = await initialize('tok-eve');
    expect(weak.status).toBe(403);
    expect(extractWWWAuthenticateParams(weak)).toMatchObject({
      error: 'insufficient_scope',
      scope: 'mcp:use',
    });
    expect((await initialize('tok-ada')).status).toBe(200);
  });

  it('the SDK client with an auth provider connects; handlers see who called', async () => {
    const client = new Client({ name: 'sdk-auth', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
        authProvider: provider('tok-ada'),
      }),
    );
    expect(await client.callTool({ name: 'whoami', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'ada' }],
    });
    await client.close();
    const anonymous = new Client({ name: 'sdk-anon', version: '1' });
    await expect(
      anonymous.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`))),
    ).rejects.toThrow(/a bearer token is required/);
  });

  it('a session is bound to its principal: another token cannot use it (404)', async () => {
    const init = await initialize('tok-ada');
    const id = init.headers.get('mcp-session-id') as string;
    const ping = (token: string) =>
      fetch(`${base}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          authorization: `Bearer ${token}`,
          'mcp-session-id': id,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: randomUUID(), method: 'ping' }),
      });
    expect((await ping('tok-bob')).status).toBe(404);
    expect((await ping('tok-ada')).status).toBe(200);
  });

  it('invalid auth options throw RWS_MCP_INVALID_OPTIONS', () => {
    const verify = () => null;
    expect(() =>
      createMcpServer({
        name: 'x',
        version: '1',
        auth: { resource: 'not a url', authorizationServers: ['https://a'], verify },
      }),
    ).toThrow(/auth.resource must be an absolute URL/);
    expect(() =>
      createMcpServer({
        name: 'x',
        version: '1',
        auth: { resource: 'https://a/mcp', authorizationServers: [], verify },
      }),
    ).toThrow(/at least one issuer URL/);
  });
});
