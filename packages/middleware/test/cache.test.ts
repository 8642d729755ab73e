import { compose, createRequest, Headers, type Request, type Response, text } from '@rws/core';
import { cache } from '@rws/middleware/cache';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

function origin(make: (req: Request, n: number) => Response) {
  let calls = 0;
  const handler = (req: Request) => make(req, ++calls);
  return { handler, calls: () => calls };
}

const withCc = (body: string, cc: string | null, extra: Record<string, string> = {}): Response => {
  const res = text(body);
  if (cc !== null) res.headers.set('cache-control', cc);
  for (const [k, v] of Object.entries(extra)) res.headers.set(k, v);
  return res;
};

describe('cache over a real socket', () => {
  it('stores a max-age response, answers hits with Age and Cache-Status, 304 on ETag', async () => {
    let t = 1_000_000;
    const o = origin((_req, n) => withCc(`v${n}`, 'max-age=60', { etag: '"e1"' }));
    const port = await serveHandler(compose([cache({ now: () => t })], o.handler));
    const miss = await httpCall(port, '/a');
    expect(miss.body).toBe('v1');
    expect(miss.headers['cache-status']).toBe('rws; fwd=miss; stored');
    t += 5_000;
    const hit = await httpCall(port, '/a');
    expect(hit.body).toBe('v1');
    expect(hit.headers.age).toBe('5');
    expect(hit.headers['cache-status']).toBe('rws; hit; ttl=55');
    const notModified = await httpCall(port, '/a', { headers: { 'if-none-match': 'W/"e1"' } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe('"e1"');
    const head = await httpCall(port, '/a', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('2');
    t += 60_000;
    expect((await httpCall(port, '/a')).body).toBe('v2');
    expect(o.calls()).toBe(2);
  });
});

describe('cache rules (RFC 9111)', () => {
  // Bodies as text: a miss answers with the origin's string, a hit with the stored bytes.
  const get = async (
    h: ReturnType<typeof compose>,
    target = '/',
    headers: Record<string, string> = {},
  ) => {
    const res = await h(createRequest({ method: 'GET', target, headers }));
    const body = res.body;
    return {
      ...res,
      body:
        typeof body === 'string' || body instanceof Uint8Array
          ? Buffer.from(body).toString()
          : body,
    };
  };

  it('does not store no-store, private, no-cache, Set-Cookie, non-2xx, or uncacheable by default', async () => {
    for (const [cc, extra, status] of [
      ['no-store', {}, 200],
      ['private, max-age=60', {}, 200],
      ['no-cache', {}, 200],
      ['max-age=60', { 'set-cookie': 'a=b' }, 200],
      ['max-age=60', {}, 500],
      [null, {}, 200],
    ] as const) {
      const o = origin((_r, n) => {
        const res = withCc(`v${n}`, cc, extra);
        res.status = status;
        return res;
      });
      const h = compose([cache()], o.handler);
      await get(h);
      await get(h);
      expect(o.calls(), `${cc} ${JSON.stringify(extra)} ${status}`).toBe(2);
    }
  });

  it('ttlMs gives responses without freshness a lifetime; s-maxage beats max-age', async () => {
    let t = 0;
    const o = origin((_r, n) => withCc(`v${n}`, null));
    const h = compose([cache({ ttlMs: 10_000, now: () => t })], o.handler);
    await get(h);
    t = 9_000;
    expect((await get(h)).body).toBe('v1');
    t = 10_000;
    expect((await get(h)).body).toBe('v2');
    const s = origin((_r, n) => withCc(`v${n}`, 'max-age=1, s-maxage=100'));
    let t2 = 0;
    const hs = compose([cache({ now: () => t2 })], s.handler);
    await get(hs);
    t2 = 50_000;
    expect((await get(hs)).body).toBe('v1');
  });

  it('keys on Vary and varyBy', async () => {
    const o = origin((req) =>
      withCc(`lang=${req.headers.get('accept-language')}`, 'max-age=60', {
        vary: 'Accept-Language',
      }),
    );
    const h = compose([cache()], o.handler);
    expect((await get(h, '/', { 'accept-language': 'en' })).body).toBe('lang=en');
    expect((await get(h, '/', { 'accept-language': 'fr' })).body).toBe('lang=fr');
    expect((await get(h, '/', { 'accept-language': 'en' })).body).toBe('lang=en');
    expect(o.calls()).toBe(2);
    const v = origin((req, n) => withCc(`${req.headers.get('x-tenant')}${n}`, 'max-age=60'));
    const hv = compose([cache({ varyBy: ['X-Tenant'] })], v.handler);
    await get(hv, '/', { 'x-tenant': 'a' });
    expect((await get(hv, '/', { 'x-tenant': 'b' })).body).toBe('b2');
    expect((await get(hv, '/', { 'x-tenant': 'a' })).body).toBe('a1');
  });

  it('request no-cache goes to the origin and refreshes; unsafe methods invalidate', async () => {
    const o = origin((_r, n) => withCc(`v${n}`, 'max-age=60'));
    const h = compose([cache()], o.handler);
    await get(h);
    expect((await get(h, '/', { 'cache-control': 'no-cache' })).body).toBe('v2');
    expect((await get(h)).body).toBe('v2');
    await h(createRequest({ method: 'POST', target: '/' }));
    expect((await get(h)).body).toBe('v4');
  });

  it('authorised requests are stored only when the response is public', async () => {
    const o = origin((_r, n) => withCc(`v${n}`, 'max-age=60'));
    const h = compose([cache()], o.handler);
    await get(h, '/', { authorization: 'Bearer x' });
    await get(h, '/', { authorization: 'Bearer x' });
    expect(o.calls()).toBe(2);
  });

  it('stores streamed bodies once complete, skips oversize ones, evicts LRU past maxBytes', async () => {
    async function* parts() {
      yield Buffer.from('ab');
      yield Buffer.from('cd');
    }
    const o = origin(() => ({
      status: 200,
      headers: new Headers({ 'cache-control': 'max-age=60' }),
      body: parts(),
    }));
    const h = compose([cache({ maxEntryBytes: 4 })], o.handler);
    const first = await get(h);
    let text1 = '';
    for await (const c of first.body as AsyncIterable<Uint8Array>)
      text1 += Buffer.from(c).toString();
    expect(text1).toBe('abcd');
    expect((await get(h)).body).toBe('abcd');
    expect(o.calls()).toBe(1);

    const big = origin((_r, n) => withCc(`${n}`.padEnd(5, 'x'), 'max-age=60'));
    const hb = compose([cache({ maxEntryBytes: 4 })], big.handler);
    await get(hb);
    await get(hb);
    expect(big.calls()).toBe(2);

    const lru = origin((req) => withCc(req.target.padEnd(10, '.'), 'max-age=60'));
    const hl = compose([cache({ maxBytes: 25 })], lru.handler);
    await get(hl, '/a');
    await get(hl, '/b');
    await get(hl, '/a'); // touch a
    await get(hl, '/c'); // evicts b
    const before = lru.calls();
    await get(hl, '/a');
    await get(hl, '/b');
    expect(lru.calls() - before).toBe(1);
  });

  it('stale-while-revalidate: answers stale at once and refreshes once in the background', async () => {
    let t = 0;
    let calls = 0;
    const o = {
      handler: async () => {
        const n = ++calls;
        await new Promise((r) => setTimeout(r, 20));
        return withCc(`v${n}`, 'max-age=1, stale-while-revalidate=30');
      },
      calls: () => calls,
    };
    const h = compose([cache({ now: () => t })], o.handler);
    expect((await get(h)).body).toBe('v1');
    t = 2000;
    const stale = await get(h);
    expect(stale.body).toBe('v1');
    expect(stale.headers.get('cache-status')).toBe('rws; hit; fwd=stale');
    expect((await get(h)).body).toBe('v1'); // the refresh is already under way: no second one
    await new Promise((r) => setTimeout(r, 60));
    expect(o.calls()).toBe(2);
    const fresh = await get(h);
    expect(fresh.body).toBe('v2');
    expect(fresh.headers.get('cache-status')).toMatch(/^rws; hit; ttl=/);
    t = 40_000; // past the stale window: a plain miss
    expect((await get(h)).body).toBe('v3');
  });

  it('coalesces concurrent misses into one origin request', async () => {
    let calls = 0;
    const h = compose([cache()], async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 30));
      return withCc('once', 'max-age=60');
    });
    const results = await Promise.all(Array.from({ length: 5 }, () => get(h)));
    expect(results.map((r) => r.body)).toEqual(Array(5).fill('once'));
    expect(calls).toBe(1);
  });

  it.each([[{ ttlMs: -1 }], [{ maxBytes: 1.5 }], [{ varyBy: ['*'] }]])('rejects %j', (o) => {
    expect(() => cache(o as never)).toThrow(/cache:/);
  });
});
