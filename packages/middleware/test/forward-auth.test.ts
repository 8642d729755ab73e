import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compose, isRwsError, json } from '@rws/core';
import { createAgent } from '@rws/http1';
import { type ForwardAuthFetch, forwardAuth } from '@rws/middleware/forward-auth';
import { reservePort } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

/** A real node:http auth service: Bearer good → 200 + identity; /hang never answers. */
async function startAuthServer(): Promise<{ url: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/hang') return;
    const auth = req.headers['authorization'];
    if (auth === 'Bearer good') {
      res.writeHead(200, {
        'x-auth-user': 'ada',
        'x-auth-groups': 'admin',
        'x-other': 'not copied',
      });
      res.end();
    } else if (auth === undefined && req.headers['accept']?.includes('text/html')) {
      res.writeHead(302, { location: 'https://sso.example/login', 'set-cookie': ['a=1', 'b=2'] });
      res.end();
    } else {
      res.writeHead(401, {
        'www-authenticate': 'Bearer realm="api"',
        'content-type': 'application/json',
      });
      res.end('{"error":"invalid token"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

async function startApp(address: string, extra: Partial<Parameters<typeof forwardAuth>[0]> = {}) {
  let reached = 0;
  const port = await serveHandler(
    compose(
      [forwardAuth({ address, authResponseHeaders: ['X-Auth-User', 'x-auth-groups'], ...extra })],
      (req) => {
        reached++;
        return json({
          user: req.headers.getAll('x-auth-user'),
          groups: req.headers.get('x-auth-groups'),
          other: req.headers.get('x-other'),
        });
      },
    ),
  );
  return { port, reached: () => reached };
}

describe('forwardAuth() against a real node:http auth service', () => {
  it('2xx continues with the chosen auth headers, replacing any the client sent', async () => {
    const auth = await startAuthServer();
    const app = await startApp(`${auth.url}/verify`);
    const res = await httpCall(app.port, '/api/items?x=1', {
      method: 'POST',
      body: 'payload',
      headers: {
        authorization: 'Bearer good',
        'x-auth-user': 'mallory',
        'x-forwarded-for': '6.6.6.6',
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ user: ['ada'], groups: 'admin', other: null });
    const sent = auth.seen[0]!;
    expect(sent['authorization']).toBe('Bearer good');
    expect(sent['x-forwarded-method']).toBe('POST');
    expect(sent['x-forwarded-uri']).toBe('/api/items?x=1');
    expect(sent['x-original-uri']).toBe('/api/items?x=1');
    expect(sent['x-forwarded-proto']).toBe('http');
    expect(sent['x-forwarded-host']).toBe(`127.0.0.1:${app.port}`);
    expect(sent['x-forwarded-for']).toBe('127.0.0.1');
    expect(sent['content-length']).toBeUndefined();
    expect(sent['x-hop']).toBeUndefined();
  });

  it('a denial is returned as the auth service sent it; the handler never runs', async () => {
    const auth = await startAuthServer();
    const app = await startApp(`${auth.url}/verify`);
    const denied = await httpCall(app.port, '/api', {
      headers: { authorization: 'Bearer bad', 'x-auth-user': 'mallory' },
    });
    expect(denied.status).toBe(401);
    expect(denied.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(denied.body).toBe('{"error":"invalid token"}');
    const redirect = await httpCall(app.port, '/page', { headers: { accept: 'text/html' } });
    expect(redirect.status).toBe(302);
    expect(redirect.headers['location']).toBe('https://sso.example/login');
    expect(redirect.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(app.reached()).toBe(0);
  });

  it('trustForwardHeader keeps the X-Forwarded-* a front proxy set', async () => {
    const auth = await startAuthServer();
    const app = await startApp(`${auth.url}/verify`, { trustForwardHeader: true });
    await httpCall(app.port, '/x', {
      headers: {
        authorization: 'Bearer good',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
      },
    });
    expect(auth.seen[0]!['x-forwarded-for']).toBe('203.0.113.9');
    expect(auth.seen[0]!['x-forwarded-proto']).toBe('https');
  });

  it('an unreachable auth service is 503 (fail closed)', async () => {
    // Free and below the ephemeral range: no other test's listen(0) can take it meanwhile.
    const port = await reservePort();
    const app = await startApp(`http://127.0.0.1:${port}/verify`);
    const res = await httpCall(app.port, '/', { headers: { authorization: 'Bearer good' } });
    expect(res.status).toBe(503);
    expect(res.body).toBe('authentication service unavailable\n');
    expect(app.reached()).toBe(0);
  });

  it('an auth service slower than timeoutMs is 503', async () => {
    const auth = await startAuthServer();
    const app = await startApp(`${auth.url}/hang`, { timeoutMs: 150 });
    const started = Date.now();
    const res = await httpCall(app.port, '/', { headers: { authorization: 'Bearer good' } });
    expect(res.status).toBe(503);
    // The auth service never answers: only the 150 ms timeout ends this before the test's.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("works over @rws/http1's pooled client through a small fetch adapter", async () => {
    const agent = createAgent();
    onTestFinished(() => agent.close());
    const http1Fetch: ForwardAuthFetch = async (url, init) => {
      const res = await agent.request({
        url,
        method: init.method,
        headers: init.headers,
        signal: init.signal,
      });
      return {
        status: res.status,
        headers: res.headers,
        arrayBuffer: async () => {
          const bytes = await res.body.bytes();
          return bytes.buffer.slice(
            bytes.byteOffset,
            bytes.byteOffset + bytes.byteLength,
          ) as ArrayBuffer;
        },
      };
    };
    const auth = await startAuthServer();
    const app = await startApp(`${auth.url}/verify`, { fetch: http1Fetch });
    const ok = await httpCall(app.port, '/a', { headers: { authorization: 'Bearer good' } });
    expect(JSON.parse(ok.body)).toMatchObject({ user: ['ada'], groups: 'admin' });
    const denied = await httpCall(app.port, '/a', { headers: { authorization: 'Bearer bad' } });
    expect(denied.status).toBe(401);
    expect(denied.body).toBe('{"error":"invalid token"}');
    const redirect = await httpCall(app.port, '/page', { headers: { accept: 'text/html' } });
    expect(redirect.status).toBe(302);
    expect(redirect.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(auth.seen).toHaveLength(3);
    expect(app.reached()).toBe(1);
  });

  it.each([
    [{ address: 'not a url' }, /absolute http\(s\) URL/],
    [{ address: 'ftp://127.0.0.1/' }, /http or https URL/],
    [{ address: 'http://127.0.0.1/', timeoutMs: 0 }, /timeoutMs must be a positive integer/],
    [{ address: 'http://127.0.0.1/', authResponseHeaders: ['bad header'] }, /is not a header name/],
  ])('rejects %j at startup', (options, message) => {
    let caught: unknown;
    try {
      forwardAuth(options as never);
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_FORWARD_AUTH_INVALID_OPTIONS')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});
