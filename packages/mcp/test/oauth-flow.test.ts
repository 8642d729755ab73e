import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type Handler, Headers, json } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { createApp } from '@rws/router';
import { jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer, type McpServer } from '../src/index.js';

/**
 * The whole OAuth path of the MCP authorization spec with the official SDK's client: 401 →
 * protected-resource metadata (ours) → authorization-server metadata → a client-credentials
 * token for our resource (RFC 8707 `resource`) → the retried request. The authorization server
 * is a minimal one in this test (issuing HS256 JWTs with jose); the resource server is @rws/mcp.
 */
const SECRET = new TextEncoder().encode('test-signing-key-of-32-bytes-len');

let mcp: McpServer;
let server: Http1Server;
let base: string;
const tokenRequests: URLSearchParams[] = [];

beforeAll(async () => {
  let handler: Handler = () => ({ status: 503, headers: new Headers(), body: null });
  server = createServer((req) => handler(req));
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
  mcp = createMcpServer({
    name: 'oauth-protected',
    version: '1.0.0',
    auth: {
      resource: `${base}/mcp`,
      authorizationServers: [base],
      requiredScopes: ['mcp'],
      verify: async (token) => {
        const { payload } = await jwtVerify(token, SECRET, {
          issuer: base,
          audience: `${base}/mcp`,
        });
        return { subject: String(payload.sub), scopes: String(payload['scope']).split(' ') };
      },
    },
  });
  mcp.tool({ name: 'whoami', handler: (_args, ctx) => ctx.auth?.subject ?? 'nobody' });
  const app = createApp();
  app.all('/mcp', mcp.handler);
  const metadata = mcp.resourceMetadata;
  if (metadata === null) throw new Error('no metadata');
  app.get(metadata.path, metadata.handler);
  app.get('/.well-known/oauth-authorization-server', () =>
    json({
      issuer: base,
      authorization_endpoint: `${base}/authorize`,
      token_endpoint: `${base}/token`,
      response_types_supported: ['code'],
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
    }),
  );
  app.post('/token', async (req) => {
    const form = new URLSearchParams(await req.body.text());
    tokenRequests.push(form);
    const basic = Buffer.from('robot:s3cret').toString('base64');
    if (req.headers.get('authorization') !== `Basic ${basic}`) {
      return json({ error: 'invalid_client' }, { status: 401 });
    }
    if (form.get('grant_type') !== 'client_credentials') {
      return json({ error: 'unsupported_grant_type' }, { status: 400 });
    }
    const accessToken = await new SignJWT({ scope: 'mcp' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(base)
      .setSubject('robot')
      .setAudience(form.get('resource') ?? 'nowhere')
      .setExpirationTime('5m')
      .sign(SECRET);
    return json({ access_token: accessToken, token_type: 'Bearer', expires_in: 300 });
  });
  handler = app.handler;
});
afterAll(async () => {
  mcp.close();
  await server.close({ graceMs: 100 });
});

describe('OAuth with the SDK client (issue #19)', () => {
  it('the SDK follows 401 → metadata → token for our resource, then calls tools', async () => {
    const client = new Client({ name: 'robot', version: '1' });
    const provider = new ClientCredentialsProvider({
      clientId: 'robot',
      clientSecret: 's3cret',
      expectedIssuer: base,
    });
    const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), {
      authProvider: provider,
    });
    await client.connect(transport);
    expect(await client.callTool({ name: 'whoami', arguments: {} })).toEqual({
      content: [{ type: 'text', text: 'robot' }],
    });
    // The token was asked for this resource (RFC 8707), which is what verify checks.
    expect(tokenRequests.at(-1)?.get('resource')).toBe(`${base}/mcp`);
    await client.close();
  });

  it('a token minted for another resource is refused as invalid_token', async () => {
    const foreign = await new SignJWT({ scope: 'mcp' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(base)
      .setSubject('robot')
      .setAudience('https://other.example.com/mcp')
      .setExpirationTime('5m')
      .sign(SECRET);
    const res = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        authorization: `Bearer ${foreign}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });
});
