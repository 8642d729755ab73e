import { compose, createRequest, Headers, isRwsError, text } from '@rws/core';
import {
  createMemoryRateLimitStore,
  createRedisRateLimitStore,
  rateLimit,
} from '@rws/middleware/rate-limit';
import { connectRedis } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

const ok = () => text('ok');

describe('rateLimit over a real socket', () => {
  it('answers 429 with Retry-After and RateLimit fields past the limit, per client IP', async () => {
    const port = await serveHandler(compose([rateLimit({ limit: 3, windowMs: 60_000 })], ok));
    const first = await httpCall(port, '/');
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-policy']).toBe('"default";q=3;w=60');
    expect(first.headers['ratelimit']).toMatch(/^"default";r=2;t=\d+$/);
    await httpCall(port, '/');
    await httpCall(port, '/');
    const limited = await httpCall(port, '/');
    expect(limited.status).toBe(429);
    expect(limited.body).toBe('Too Many Requests\n');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit']).toMatch(/^"default";r=0;t=\d+$/);
  });

  it('keys by X-Forwarded-For only when the peer is a trusted proxy', async () => {
    const trusted = await serveHandler(
      compose([rateLimit({ limit: 1, windowMs: 60_000, trustedProxies: ['127.0.0.1'] })], ok),
    );
    const a = await httpCall(trusted, '/', { headers: { 'x-forwarded-for': '203.0.113.1' } });
    const b = await httpCall(trusted, '/', { headers: { 'x-forwarded-for': '203.0.113.2' } });
    const a2 = await httpCall(trusted, '/', { headers: { 'x-forwarded-for': '203.0.113.1' } });
    expect([a.status, b.status, a2.status]).toEqual([200, 200, 429]);

    const untrusted = await serveHandler(compose([rateLimit({ limit: 1, windowMs: 60_000 })], ok));
    const c = await httpCall(untrusted, '/', { headers: { 'x-forwarded-for': '203.0.113.1' } });
    const d = await httpCall(untrusted, '/', { headers: { 'x-forwarded-for': '203.0.113.2' } });
    // A spoofed header does not buy a fresh budget: both are 127.0.0.1.
    expect([c.status, d.status]).toEqual([200, 429]);
  });

  it('keys by a header when asked, falling back to the IP', async () => {
    const port = await serveHandler(
      compose([rateLimit({ limit: 1, windowMs: 60_000, key: { header: 'x-api-key' } })], ok),
    );
    expect((await httpCall(port, '/', { headers: { 'x-api-key': 'a' } })).status).toBe(200);
    expect((await httpCall(port, '/', { headers: { 'x-api-key': 'b' } })).status).toBe(200);
    expect((await httpCall(port, '/', { headers: { 'x-api-key': 'a' } })).status).toBe(429);
  });
});

describe('memory store algorithms (injected clock)', () => {
  it('sliding window weighs the previous window', () => {
    let t = 0;
    const store = createMemoryRateLimitStore({ now: () => t });
    for (let i = 0; i < 10; i++)
      expect(store.hit('k', 10, 1000, 'sliding-window')).toMatchObject({ isAllowed: true });
    expect(store.hit('k', 10, 1000, 'sliding-window')).toMatchObject({ isAllowed: false });
    // Half-way through the next window the previous 10 count as 5: 4 more fit (5 + 4 + 1 = 10).
    t = 1500;
    let allowed = 0;
    for (let i = 0; i < 10; i++)
      if ((store.hit('k', 10, 1000, 'sliding-window') as { isAllowed: boolean }).isAllowed)
        allowed++;
    expect(allowed).toBe(5);
    t = 3000;
    expect(store.hit('k', 10, 1000, 'sliding-window')).toMatchObject({
      isAllowed: true,
      remaining: 9,
    });
  });

  it('token bucket refills continuously', () => {
    let t = 0;
    const store = createMemoryRateLimitStore({ now: () => t });
    for (let i = 0; i < 4; i++)
      expect(store.hit('k', 4, 4000, 'token-bucket')).toMatchObject({ isAllowed: true });
    const denied = store.hit('k', 4, 4000, 'token-bucket') as {
      isAllowed: boolean;
      resetMs: number;
    };
    expect(denied.isAllowed).toBe(false);
    expect(denied.resetMs).toBe(1000);
    t = 1000;
    expect(store.hit('k', 4, 4000, 'token-bucket')).toMatchObject({ isAllowed: true });
    expect(store.hit('k', 4, 4000, 'token-bucket')).toMatchObject({ isAllowed: false });
  });

  it('bounds memory by forgetting the least recently seen key', () => {
    const store = createMemoryRateLimitStore({ maxKeys: 2 });
    store.hit('a', 1, 60_000, 'sliding-window');
    store.hit('b', 1, 60_000, 'sliding-window');
    store.hit('c', 1, 60_000, 'sliding-window');
    // "a" was evicted, so it starts afresh; "c" is still counted.
    expect(store.hit('a', 1, 60_000, 'sliding-window')).toMatchObject({ isAllowed: true });
    expect(store.hit('c', 1, 60_000, 'sliding-window')).toMatchObject({ isAllowed: false });
  });
});

describe('rateLimit options', () => {
  it.each([
    [{ limit: 0, windowMs: 1000 }, /limit must be a positive integer/],
    [{ limit: 1, windowMs: 1.5 }, /windowMs/],
    [{ limit: 1, windowMs: 1000, algorithm: 'leaky' }, /algorithm/],
    [{ limit: 1, windowMs: 1000, trustedProxies: ['10.0.0.0/33'] }, /prefix length/],
    [{ limit: 1, windowMs: 1000, key: 42 }, /key must be/],
  ])('rejects %j', (options, message) => {
    expect(() => rateLimit(options as never)).toThrow(message);
  });

  it('update() swaps the limit and keeps the counters', async () => {
    const limiter = rateLimit({ limit: 1, windowMs: 60_000 });
    const h = compose([limiter], ok);
    const req = () => createRequest({ method: 'GET', target: '/' });
    expect((await h(req())).status).toBe(200);
    expect((await h(req())).status).toBe(429);
    limiter.update({ limit: 5, windowMs: 60_000 });
    expect((await h(req())).status).toBe(200);
    expect(() => limiter.update({ limit: -1, windowMs: 1 })).toThrow();
  });

  it('a failing store answers 503 (or passes with failOpen)', async () => {
    const broken = { hit: () => Promise.reject(new Error('down')) };
    const closed = compose([rateLimit({ limit: 1, windowMs: 1000, store: broken })], ok);
    await expect(closed(createRequest({ method: 'GET', target: '/' }))).rejects.toSatisfy(
      (e: unknown) => isRwsError(e, 'RWS_MIDDLEWARE_RATE_LIMIT_STORE_FAILED'),
    );
    const open = compose(
      [rateLimit({ limit: 1, windowMs: 1000, store: broken, failOpen: true })],
      ok,
    );
    expect((await open(createRequest({ method: 'GET', target: '/' }))).status).toBe(200);
  });
});

describe('Redis store (real Redis on 127.0.0.1:6379)', () => {
  it('two limiters on one Redis share one budget (sliding window and token bucket)', async (ctx) => {
    const client = await connectRedis('Redis store tests');
    if (client === null) return ctx.skip();
    try {
      const prefix = `rws:test:${process.pid}:${Date.now()}:`;
      for (const algorithm of ['sliding-window', 'token-bucket'] as const) {
        const a = compose(
          [
            rateLimit({
              limit: 3,
              windowMs: 60_000,
              algorithm,
              store: createRedisRateLimitStore({ client, prefix }),
            }),
          ],
          ok,
        );
        const b = compose(
          [
            rateLimit({
              limit: 3,
              windowMs: 60_000,
              algorithm,
              store: createRedisRateLimitStore({ client, prefix }),
            }),
          ],
          ok,
        );
        const req = () => createRequest({ method: 'GET', target: '/', headers: new Headers() });
        const statuses = [];
        for (const h of [a, b, a, b]) statuses.push((await h(req())).status);
        expect(statuses).toEqual([200, 200, 200, 429]);
        const denied = await b(req());
        expect(Number(denied.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      const keys = await client.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const k of keys) expect(await client.pttl(k)).toBeGreaterThan(0);
      await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });

  it('rejects a client that is neither node-redis nor ioredis', () => {
    expect(() => createRedisRateLimitStore({ client: {} as never })).toThrow(/node-redis|ioredis/);
  });
});
