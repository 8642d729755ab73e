import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRwsError } from '@rws/core';
import { Agent } from '@rws/http1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureBlobStorage, fromAzureManagedIdentity } from '../src/drivers/azure-blob.js';

// Real HTTP servers on port 0 stand in for the Azure Instance Metadata Service, the App Service
// identity endpoint and a Blob endpoint that accepts only the bearer tokens they issued
// (Azurite checks OAuth tokens only over HTTPS with a configured issuer, so it is not used here).
const servers: Server[] = [];
const agent = new Agent();
const issued = new Set<string>();

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<string> {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    handler(req, res, Buffer.concat(chunks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let imds: string;
const imdsCalls: URL[] = [];
let expiresInSeconds = 3600;
let blobEndpoint: string;
const blobs = new Map<string, Buffer>();

beforeAll(async () => {
  imds = await listen((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    imdsCalls.push(url);
    if (req.headers['metadata'] !== 'true' && req.headers['x-identity-header'] !== 'secret-hdr') {
      return void res.writeHead(400).end('{"error":"invalid_request"}');
    }
    if (url.searchParams.get('client_id') === 'unknown') {
      return void res.writeHead(400).end('{"error":"invalid_request","error_description":"x"}');
    }
    const token = `eyJ.${randomUUID()}`;
    issued.add(token);
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        access_token: token,
        expires_on: String(Math.floor(Date.now() / 1000) + expiresInSeconds),
        resource: url.searchParams.get('resource'),
        token_type: 'Bearer',
      }),
    );
  });
  blobEndpoint = await listen((req, res, body) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!issued.has(token) || req.headers['x-ms-version'] === undefined) {
      return void res
        .writeHead(401, { 'x-ms-error-code': 'InvalidAuthenticationInfo' })
        .end('<Error><Code>InvalidAuthenticationInfo</Code></Error>');
    }
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'PUT') {
      blobs.set(path, body);
      return void res.writeHead(201, { etag: '"0x1"' }).end();
    }
    const blob = blobs.get(path);
    if (blob === undefined) return void res.writeHead(404).end();
    res.writeHead(200, {
      'content-length': String(blob.length),
      etag: '"0x1"',
      'last-modified': new Date().toUTCString(),
      'content-type': 'text/plain',
    });
    res.end(req.method === 'HEAD' ? undefined : blob);
  });
});

afterAll(async () => {
  await agent.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('Azure Managed Identity', () => {
  it('gets a token from IMDS and the Blob driver sends it as a bearer token', async () => {
    const credential = fromAzureManagedIdentity({ imdsEndpoint: imds, env: {} });
    await using storage = createAzureBlobStorage({
      accountName: 'acct',
      container: 'files',
      endpoint: blobEndpoint,
      credential,
    });
    expect(storage.capabilities.signedUrl).toBe(false);
    const before = imdsCalls.length;
    await storage.put('mi.txt', 'managed identity');
    expect(await new Response((await storage.get('mi.txt'))?.body).text()).toBe('managed identity');
    // One token for the put, its head and the get: cached.
    expect(imdsCalls.length - before).toBe(1);
    const call = imdsCalls.at(-1);
    expect(call?.pathname).toBe('/metadata/identity/oauth2/token');
    expect(call?.searchParams.get('api-version')).toBe('2018-02-01');
    expect(call?.searchParams.get('resource')).toBe('https://storage.azure.com/');
    expect(() => storage.signedUrl?.('mi.txt')).toThrow(/accountKey/);
  });

  it('uses IDENTITY_ENDPOINT with X-IDENTITY-HEADER, and refreshes a token near expiry', async () => {
    const credential = fromAzureManagedIdentity({
      clientId: 'user-assigned-id',
      env: { IDENTITY_ENDPOINT: `${imds}/msi/token`, IDENTITY_HEADER: 'secret-hdr' },
    });
    expiresInSeconds = 60; // inside the 5-minute refresh window
    const first = await credential({ agent });
    const second = await credential({ agent });
    expiresInSeconds = 3600;
    expect(second.token).not.toBe(first.token);
    const call = imdsCalls.at(-1);
    expect(call?.pathname).toBe('/msi/token');
    expect(call?.searchParams.get('api-version')).toBe('2019-08-01');
    expect(call?.searchParams.get('client_id')).toBe('user-assigned-id');
    expect(second.expiration?.getTime()).toBeGreaterThan(Date.now());
  });

  it('a refused identity is RWS_STORAGE_CREDENTIALS_UNAVAILABLE; options are checked', async () => {
    const credential = fromAzureManagedIdentity({
      imdsEndpoint: imds,
      clientId: 'unknown',
      env: {},
    });
    const error = await credential({ agent }).catch((err: unknown) => err);
    expect(isRwsError(error, 'RWS_STORAGE_CREDENTIALS_UNAVAILABLE')).toBe(true);
    expect(String(error)).toContain('400 invalid_request');
    await using forged = createAzureBlobStorage({
      accountName: 'acct',
      container: 'files',
      endpoint: blobEndpoint,
      credential: () => Promise.resolve({ token: 'eyJ.forged' }),
    });
    const denied = await Promise.resolve(forged.put('x.txt', 'x')).catch((err: unknown) => err);
    expect(isRwsError(denied, 'RWS_STORAGE_ACCESS_DENIED')).toBe(true);
    expect(String(denied)).toContain('InvalidAuthenticationInfo');
    expect(() => createAzureBlobStorage({ accountName: 'a', container: 'c' })).toThrow(
      /exactly one of accountKey and credential/,
    );
  });
});
