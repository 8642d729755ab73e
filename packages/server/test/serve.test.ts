/**
 * serve() over plain TCP: listening, built-in endpoints, options validation, reload and the
 * in-process graceful close.
 */
import { Headers, isRwsError, text } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { serve } from '../src/index.js';
import { isRefused, RawClient, start } from './helpers.js';

describe('serve() over plain HTTP/1.1', () => {
  it('listens on 127.0.0.1 and reports its urls and address', async () => {
    const server = await start(() => text('hello'));
    expect(server.address.host).toBe('127.0.0.1');
    expect(server.address.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}`);
    expect(server.urls).toEqual([
      { url: server.url, protocols: ['http/1.1'], transport: 'tcp', isRedirect: false },
    ]);
    expect(server.isReady).toBe(true);
    expect(server.isDraining).toBe(false);
    const res = await fetch(`${server.url}/x`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('serves an object exposing a handler (an App)', async () => {
    const app = { handler: () => text('from app') };
    const server = await start(app);
    expect(await (await fetch(server.url)).text()).toBe('from app');
  });

  it('binds IPv6 when asked and formats the url with brackets', async () => {
    let server: Awaited<ReturnType<typeof serve>>;
    try {
      server = await serve(() => text('v6'), { host: '::1', port: 0 });
    } catch (err) {
      if (isRwsError(err, 'RWS_SERVER_LISTEN_FAILED')) return; // no IPv6 loopback here
      throw err;
    }
    try {
      expect(server.url).toBe(`http://[::1]:${server.address.port}`);
      expect(await (await fetch(server.url)).text()).toBe('v6');
    } finally {
      await server.close();
    }
  });

  it('answers /healthz, /readyz and /metrics before the app, for GET and HEAD', async () => {
    const server = await start(() => text('app'));
    const client = await RawClient.plain(server.address.port);
    const health = await client.request('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toBe('OK');
    expect(health.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect((await client.request('/healthz?probe=1')).body).toBe('OK');
    expect((await client.request('/readyz')).body).toBe('OK');
    const head = await client.request('/readyz', { method: 'HEAD' });
    expect(head.status).toBe(200);
    const metrics = await client.request('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.body).toContain('rws_http_requests_total{status_class="2xx"} 4');
    // Other methods on these paths reach the app.
    const post = await client.request('/healthz', {
      method: 'POST',
      headers: 'content-length: 0\r\n',
    });
    expect(post.body).toBe('app');
    // Matched by path (issue #10: an origin-form target is checked before the path is split):
    // a longer path is the app's, an absolute-form target's path still counts.
    expect((await client.request('/healthzz')).body).toBe('app');
    expect((await client.request('/readyz/x')).body).toBe('app');
    const absolute = await client.request(`http://127.0.0.1:${server.address.port}/healthz?a=1`);
    expect(absolute.body).toBe('OK');
  });

  it('turns endpoints off or moves them', async () => {
    const off = await start(() => text('app'), { health: false });
    const c1 = await RawClient.plain(off.address.port);
    expect((await c1.request('/healthz')).body).toBe('app');
    expect((await c1.request('/metrics')).body).toBe('app');

    const moved = await start(() => text('app'), {
      health: { healthz: '/_/live', readyz: false, metrics: '/_/metrics' },
    });
    const c2 = await RawClient.plain(moved.address.port);
    expect((await c2.request('/_/live')).body).toBe('OK');
    expect((await c2.request('/healthz')).body).toBe('app');
    expect((await c2.request('/readyz')).body).toBe('app');
    expect((await c2.request('/_/metrics')).body).toContain('# TYPE rws_http_requests_total');

    const noMetrics = await start(() => text('app'), { metrics: false });
    const c3 = await RawClient.plain(noMetrics.address.port);
    expect((await c3.request('/metrics')).body).toBe('app');
    expect((await c3.request('/healthz')).body).toBe('OK');
  });

  it('rejects bad options with every problem listed, before listening', async () => {
    const err = await serve(() => text('x'), {
      port: 70000,
      tlsCertFile: 'only-cert.pem',
      graceMs: -1,
      workers: 0,
      health: { healthz: 'no-slash' },
    }).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_SERVER_INVALID_OPTIONS')).toBe(true);
    const message = (err as Error).message;
    for (const key of ['port', 'tlsCertFile/tlsKeyFile', 'graceMs', 'workers', 'health.healthz']) {
      expect(message).toContain(key);
    }
    const err2 = await serve(() => text('x'), { httpRedirectPort: 8080 }).catch((e: unknown) => e);
    expect((err2 as Error).message).toContain('httpRedirectPort: needs tlsCertFile');
    const err3 = await serve({} as never, { port: 0 }).catch((e: unknown) => e);
    expect(isRwsError(err3, 'RWS_SERVER_INVALID_OPTIONS')).toBe(true);
  });

  it('reports a port in use as RWS_SERVER_LISTEN_FAILED', async () => {
    const first = await start(() => text('x'));
    const err = await serve(() => text('y'), { port: first.address.port }).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_SERVER_LISTEN_FAILED')).toBe(true);
    expect((err as Error & { cause: NodeJS.ErrnoException }).cause.code).toBe('EADDRINUSE');
  });
});

describe('limits', () => {
  it('maxConnections refuses connections beyond the limit on the listener', async () => {
    const server = await start(() => text('ok'), { limits: { maxConnections: 1 } });
    const first = await RawClient.plain(server.address.port);
    expect((await first.request('/')).body).toBe('ok');
    const second = await RawClient.plain(server.address.port);
    await second.closed();
    expect((await first.request('/')).body).toBe('ok');
  });
});

describe('reload()', () => {
  it('swaps the handler atomically, also for open keep-alive connections', async () => {
    const server = await start(() => text('v1'));
    const client = await RawClient.plain(server.address.port);
    expect((await client.request('/')).body).toBe('v1');
    await server.reload({ port: 0, handler: () => text('v2') });
    expect((await client.request('/')).body).toBe('v2');
    const fresh = await RawClient.plain(server.address.port);
    expect((await fresh.request('/')).body).toBe('v2');
  });

  it('limits.bodyLimit is the default read limit, separate from maxBodyBytes (issue #9)', async () => {
    const server = await start(async (req) => text(String((await req.body.text()).length)), {
      limits: { maxBodyBytes: 8 * 1024 * 1024, bodyLimit: 1000 },
    });
    const post = (body: string) => fetch(server.url, { method: 'POST', body });
    expect(await (await post('x'.repeat(1000))).text()).toBe('1000');
    expect((await post('x'.repeat(1001))).status).toBe(413);
  });

  it('applies new limits to new connections', async () => {
    const server = await start(() => text('ok'));
    const old = await RawClient.plain(server.address.port);
    const long = `/${'a'.repeat(200)}`;
    expect((await old.request(long)).status).toBe(200);
    await server.reload({ port: 0, limits: { maxUrlBytes: 100 } });
    const fresh = await RawClient.plain(server.address.port);
    expect((await fresh.request(long)).status).toBe(414);
    // The open connection keeps the limits it started with.
    expect((await old.request(long)).status).toBe(200);
  });

  it('rejects restart-only changes and bad options, keeping the running config', async () => {
    const server = await start(() => text('v1'));
    const err = await server
      .reload({ port: server.address.port + 1, handler: () => text('v2') })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_SERVER_RELOAD_NEEDS_RESTART')).toBe(true);
    expect((err as Error).message).toContain('port');
    const err2 = await server
      .reload({ port: 0, graceMs: Number.NaN, handler: () => text('v2') })
      .catch((e: unknown) => e);
    expect(isRwsError(err2, 'RWS_SERVER_INVALID_OPTIONS')).toBe(true);
    expect(await (await fetch(server.url)).text()).toBe('v1');
  });

  it('can turn the built-in endpoints off and on', async () => {
    const server = await start(() => text('app'));
    await server.reload({ port: 0, health: false });
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('app');
    await server.reload({ port: 0 });
    expect(await (await fetch(`${server.url}/healthz`)).text()).toBe('OK');
  });
});

describe('close()', () => {
  it('drains an in-flight request, refuses new connections, readyz 503 meanwhile', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let started!: () => void;
    const isStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    const server = await start(async (req) => {
      if (req.path === '/slow') {
        started();
        await gate;
        return text('slow done');
      }
      return text('fast');
    });
    const port = server.address.port;
    const slow = await RawClient.plain(port);
    const idle = await RawClient.plain(port);
    expect((await idle.request('/')).body).toBe('fast');
    slow.socket.write('GET /slow HTTP/1.1\r\nhost: localhost\r\n\r\n');
    await isStarted;

    const closing = server.close({ graceMs: 5000 });
    expect(server.isDraining).toBe(true);
    expect(server.isReady).toBe(false);
    // The idle keep-alive connection is closed, and new connections are refused.
    await idle.closed();
    expect(await isRefused(port)).toBe(true);

    release();
    const res = await slow.read();
    expect(res.body).toBe('slow done');
    expect(res.headers['connection']).toBe('close');
    await closing;
    await server.closed;
  });

  it('keeps accepting for shutdownDelayMs with /readyz 503, then stops', async () => {
    const server = await start(() => text('app'), { shutdownDelayMs: 300 });
    const port = server.address.port;
    const closing = server.close();
    expect(server.isReady).toBe(false);
    const client = await RawClient.plain(port);
    const ready = await client.request('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body).toBe('not ready');
    expect((await client.request('/healthz')).status).toBe(200);
    expect((await client.request('/')).body).toBe('app');
    await closing;
    expect(await isRefused(port)).toBe(true);
  });

  it('destroys connections still busy after graceMs', async () => {
    const server = await serve(() => new Promise<never>(() => {}), { port: 0, onError: () => {} });
    const client = await RawClient.plain(server.address.port);
    client.socket.write('GET / HTTP/1.1\r\nhost: localhost\r\n\r\n');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await server.close({ graceMs: 200 });
    // Not destroying them would wait for the never-settling handler: the test's timeout.
    expect(Date.now() - t0).toBeLessThan(10_000);
    await client.closed();
  });

  it('works with await using', async () => {
    let port = 0;
    {
      await using server = await serve(() => ({ status: 200, headers: new Headers(), body: 'x' }), {
        port: 0,
      });
      port = server.address.port;
    }
    expect(await isRefused(port)).toBe(true);
  });
});
