import { createRequest, empty, HttpError, json, RwsError, text, type Upgrade } from '@rws/core';
import { describe, expect, it } from 'vitest';
import {
  type AppLogger,
  createApp,
  type MiddlewareFunction,
  readForm,
  readJson,
  readQuery,
  readText,
} from '../src/index.js';

/** Parsed JSON of a test response (shape asserted by the test). */
// biome-ignore lint/suspicious/noExplicitAny: tests assert the JSON shape themselves.
async function bodyOf(res: globalThis.Response): Promise<any> {
  return res.json();
}

function capture(): AppLogger & { calls: { message: string; details: Record<string, unknown> }[] } {
  const calls: { message: string; details: Record<string, unknown> }[] = [];
  return {
    calls,
    error(message, details) {
      calls.push({ message, details });
    },
  };
}

describe('App routing', () => {
  it('serves routes with typed params and state', async () => {
    const app = createApp({ state: { greeting: 'hello' } });
    app.get('/hello/:name', (req) => text(`${req.state.greeting} ${req.params.name}`));
    app.get('/files/*path', (req) => json(req.params));
    const res = await app.request('/hello/ada');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello ada');
    expect(await bodyOf(await app.request('/files/a/b%20c.txt'))).toEqual({ path: 'a/b c.txt' });
  });

  it('supports every method helper, all() and route() chains', async () => {
    const app = createApp();
    app.get('/m', () => text('get'));
    app.post('/m', () => text('post'));
    app.put('/m', () => text('put'));
    app.patch('/m', () => text('patch'));
    app.delete('/m', () => text('delete'));
    app.options('/m', () => text('options'));
    app.head('/h', () => empty(200, { headers: { 'x-head': '1' } }));
    app.all('/any', (req) => text(`any ${req.method}`));
    app
      .route('/items/:id')
      .get((req) => text(`show ${req.params.id}`))
      .put((req) => text(`update ${req.params.id}`));
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      expect(await (await app.request('/m', { method: m })).text()).toBe(m.toLowerCase());
    }
    expect(await (await app.request('/any', { method: 'PATCH' })).text()).toBe('any PATCH');
    expect((await app.request('/h', { method: 'HEAD' })).headers.get('x-head')).toBe('1');
    expect(await (await app.request('/items/7')).text()).toBe('show 7');
    expect(await (await app.request('/items/7', { method: 'PUT' })).text()).toBe('update 7');
  });

  it('answers HEAD from GET without a body', async () => {
    const app = createApp();
    app.get('/a', () => text('body'));
    const res = await app.request('/a', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const app = createApp();
    app.get('/a', () => text('a'));
    app.post('/a', () => text('a'));
    const res = await app.request('/a', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS');
  });

  it('answers 405 with Allow', async () => {
    const app = createApp();
    app.get('/a/:id', () => text('a'));
    const res = await app.request('/a/1', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(await bodyOf(res)).toEqual({
      error: { status: 405, message: 'Method Not Allowed', code: 'RWS_ROUTER_METHOD_NOT_ALLOWED' },
    });
  });

  it('answers 404 as JSON or text by Accept, and uses notFound()', async () => {
    const app = createApp();
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(await bodyOf(res)).toEqual({
      error: { status: 404, message: 'Not Found', code: 'RWS_ROUTER_NOT_FOUND' },
    });
    const textRes = await app.request('/nope', { headers: { accept: 'text/html' } });
    expect(textRes.headers.get('content-type')).toContain('text/plain');
    expect(await textRes.text()).toBe('404 Not Found\n');
    app.notFound((req) => text(`no ${req.path}`, { status: 404 }));
    expect(await (await app.request('/x')).text()).toBe('no /x');
  });

  it('maps invalid percent-encoding in params to 400', async () => {
    const logger = capture();
    const app = createApp({ logger });
    app.get('/u/:name', (req) => text(req.params.name));
    const res = await app.request('/u/%E0%A4%A');
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error.code).toBe('RWS_ROUTER_INVALID_ENCODING');
  });

  it('redirects on trailing slash when asked, keeping the query', async () => {
    const app = createApp({ router: { trailingSlash: 'redirect' } });
    app.get('/a', () => text('a'));
    app.post('/a', () => text('a'));
    const res = await app.request('/a/?x=1', { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('/a?x=1');
    const post = await app.request('/a/', { method: 'POST', redirect: 'manual' });
    expect(post.status).toBe(308);
  });

  it('ignores trailing slashes and case when configured', async () => {
    const app = createApp({ router: { trailingSlash: 'ignore', caseSensitive: false } });
    app.get('/About', () => text('about'));
    expect(await (await app.request('/about/')).text()).toBe('about');
  });

  it('routes by host, port and case ignored, with wildcard subdomains', async () => {
    const app = createApp();
    app.host('api.example.com', (g) => g.get('/', () => text('api')));
    app.host('*.example.com', (g) =>
      g.get('/', (req) => text(`tenant ${req.headers.get('host')}`)),
    );
    app.get('/', () => text('default'));
    const get = async (host: string) => (await app.request('/', { headers: { host } })).text();
    expect(await get('API.example.com:8443')).toBe('api');
    expect(await get('acme.example.com')).toBe('tenant acme.example.com');
    expect(await get('example.org')).toBe('default');
  });
});

describe('App middleware', () => {
  it('runs global, group and route middleware in order (functions and objects)', async () => {
    const app = createApp();
    const order: string[] = [];
    const tag =
      (name: string): MiddlewareFunction<undefined> =>
      async (req, next) => {
        order.push(`>${name}`);
        const res = await next(req);
        order.push(`<${name}`);
        res.headers.append('x-chain', name);
        return res;
      };
    app.use(tag('global'));
    app.group('/api', (g) => {
      g.use({ handle: tag('group') });
      g.get('/x/:id', { middleware: [tag('route')] }, (req) => {
        order.push(`handler ${req.params.id}`);
        return text('ok');
      });
    });
    const res = await app.request('/api/x/1');
    expect(await res.text()).toBe('ok');
    expect(order).toEqual([
      '>global',
      '>group',
      '>route',
      'handler 1',
      '<route',
      '<group',
      '<global',
    ]);
    expect(res.headers.get('x-chain')).toBe('route, group, global');
  });

  it('global middleware also wraps 404 and 405', async () => {
    const app = createApp();
    app.use((req, next) => {
      const res = next(req);
      return Promise.resolve(res).then((r) => {
        r.headers.set('x-seen', '1');
        return r;
      });
    });
    app.get('/a', () => text('a'));
    expect((await app.request('/nope')).headers.get('x-seen')).toBe('1');
    expect((await app.request('/a', { method: 'PUT' })).headers.get('x-seen')).toBe('1');
  });

  it('middleware can short-circuit', async () => {
    const app = createApp();
    app.group('/admin', (g) => {
      g.use((req, next) =>
        req.headers.get('authorization') === 'yes' ? next(req) : text('no', { status: 401 }),
      );
      g.get('/', () => text('secret'));
    });
    expect((await app.request('/admin')).status).toBe(401);
    expect(await (await app.request('/admin', { headers: { authorization: 'yes' } })).text()).toBe(
      'secret',
    );
  });

  it('nested groups join prefixes and see prefix params', async () => {
    const app = createApp();
    app.group('/orgs/:org', (g) => {
      g.group('/repos', (r) => {
        r.get('/:repo', (req) => json(req.params));
      });
    });
    expect(await bodyOf(await app.request('/orgs/rws/repos/core'))).toEqual({
      org: 'rws',
      repo: 'core',
    });
  });

  it('mounts sub-apps with their own state, middleware and onError', async () => {
    const sub = createApp({ state: { name: 'sub' }, logger: capture() });
    sub.use(async (req, next) => {
      const res = await next(req);
      res.headers.set('x-sub', '1');
      return res;
    });
    sub.get('/', (req) => text(`root of ${req.state.name}`));
    sub.get('/boom', () => {
      throw new Error('boom');
    });
    sub.onError(() => text('sub handled', { status: 503 }));
    const app = createApp({ state: { name: 'main' }, logger: capture() });
    app.use(async (req, next) => {
      const res = await next(req);
      res.headers.set('x-main', '1');
      return res;
    });
    app.mount('/sub', sub);
    const res = await app.request('/sub');
    expect(await res.text()).toBe('root of sub');
    expect(res.headers.get('x-sub')).toBe('1');
    expect(res.headers.get('x-main')).toBe('1');
    const boom = await app.request('/sub/boom');
    expect(boom.status).toBe(503);
    expect(await boom.text()).toBe('sub handled');
    expect((await app.request('/sub/nope')).status).toBe(404);
  });

  it('lists routes with their metadata, mounts included', () => {
    const sub = createApp();
    sub.get('/:id', { meta: { summary: 'one' } }, () => text('x'));
    const app = createApp();
    app.get('/', () => text('root'));
    app.mount('/items', sub);
    expect(app.routes().map((r) => [r.method, r.path, r.meta.summary])).toEqual([
      ['GET', '/', undefined],
      ['GET', '/items/:id', 'one'],
    ]);
  });

  it('middleware may write params on static routes', async () => {
    const app = createApp();
    app.use((req, next) => {
      req.params['tenant'] = 'acme';
      return next(req);
    });
    app.get('/static', (req) => json(req.params));
    expect(await bodyOf(await app.request('/static'))).toEqual({ tenant: 'acme' });
  });

  it('routes added after the first request are served', async () => {
    const app = createApp();
    app.get('/a', () => text('a'));
    expect((await app.request('/b')).status).toBe(404);
    app.get('/b', () => text('b'));
    expect(await (await app.request('/b')).text()).toBe('b');
  });
});

describe('App errors', () => {
  it('maps HttpError to its status, headers and message, logged once', async () => {
    const logger = capture();
    const app = createApp({ logger });
    app.get('/auth', () => {
      throw new HttpError(401, 'token expired', { headers: { 'www-authenticate': 'Bearer' } });
    });
    const res = await app.request('/auth');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(await bodyOf(res)).toEqual({
      error: { status: 401, message: 'token expired', code: 'RWS_CORE_HTTP_ERROR' },
    });
    expect(logger.calls).toHaveLength(1);
    expect(logger.calls[0]?.details).toMatchObject({ status: 401 });
  });

  it('maps RwsError with a status', async () => {
    const app = createApp({ logger: capture() });
    app.get('/x', () => {
      throw new RwsError('RWS_TEST_TEAPOT', 'short and stout', { status: 418 });
    });
    const res = await app.request('/x', { headers: { accept: 'text/plain' } });
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('418 short and stout\n');
  });

  it('hides unknown errors behind a 500 with a request id', async () => {
    const logger = capture();
    const app = createApp({ logger });
    app.get('/sync', () => {
      throw new Error('db password is hunter2');
    });
    app.get('/async', async () => {
      await Promise.resolve();
      throw 'a string';
    });
    const res = await app.request('/sync', { headers: { 'x-request-id': 'req-123' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    const body = await bodyOf(res);
    expect(body).toEqual({
      error: {
        status: 500,
        message: 'Internal Server Error',
        code: 'RWS_ROUTER_INTERNAL',
        requestId: 'req-123',
      },
    });
    expect(JSON.stringify(body)).not.toContain('hunter2');
    const res2 = await app.request('/async');
    expect(res2.status).toBe(500);
    const id = res2.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await bodyOf(res2)).error.requestId).toBe(id);
    expect(logger.calls).toHaveLength(2);
    expect(logger.calls[0]?.details['requestId']).toBe('req-123');
    expect(logger.calls[1]?.details['error']).toBe('a string');
  });

  it('onError handles errors; a failing onError falls back to the default', async () => {
    const logger = capture();
    const app = createApp({ logger });
    app.get('/a', () => {
      throw new Error('x');
    });
    app.onError((err, req) =>
      text(`handled ${(err as Error).message} at ${req.path}`, { status: 502 }),
    );
    const res = await app.request('/a');
    expect(res.status).toBe(502);
    expect(await res.text()).toBe('handled x at /a');
    app.onError(() => {
      throw new Error('again');
    });
    expect((await app.request('/a')).status).toBe(500);
    expect(logger.calls).toHaveLength(2);
  });

  it('errors thrown by middleware are mapped too', async () => {
    const app = createApp({ logger: capture() });
    app.use(() => {
      throw new HttpError(429, 'slow down');
    });
    app.get('/', () => text('x'));
    expect((await app.request('/')).status).toBe(429);
  });

  it('rejects a route without handler', () => {
    const app = createApp();
    expect(() => app.get('/a', {} as never)).toThrow(/no handler/);
  });
});

describe('extractors', () => {
  it('readJson checks Content-Type and limits size', async () => {
    const app = createApp({ logger: capture() });
    app.post('/j', async (req) => json(await readJson(req, { limit: 20 })));
    const ok = await app.request('/j', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await bodyOf(ok)).toEqual({ a: 1 });
    const vendor = await app.request('/j', {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' },
      body: '[1]',
    });
    expect(await bodyOf(vendor)).toEqual([1]);
    const wrong = await app.request('/j', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(wrong.status).toBe(415);
    expect((await bodyOf(wrong)).error.code).toBe('RWS_ROUTER_UNSUPPORTED_MEDIA_TYPE');
    const big = await app.request('/j', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 'x'.repeat(100) }),
    });
    expect(big.status).toBe(413);
    const bad = await app.request('/j', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(bad.status).toBe(400);
  });

  it('readText, readForm and readQuery', async () => {
    const app = createApp({ logger: capture() });
    app.post('/t', async (req) => text((await readText(req)).toUpperCase()));
    app.post('/f', async (req) => json(Object.fromEntries(await readForm(req))));
    app.get('/q', (req) => json(readQuery(req)));
    expect(await (await app.request('/t', { method: 'POST', body: 'hi' })).text()).toBe('HI');
    const form = await app.request('/f', { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    expect(await bodyOf(form)).toEqual({ a: '1' });
    const notForm = await app.request('/f', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(notForm.status).toBe(415);
    expect(await bodyOf(await app.request('/q?a=1&b=2&b=3'))).toEqual({ a: '1', b: ['2', '3'] });
  });
});

describe('app.handler', () => {
  it('is a core Handler usable with a core Request', async () => {
    const app = createApp();
    app.get('/x/:id', (req) => text(req.params.id));
    const res = await app.handler(createRequest({ method: 'GET', target: '/x/9?q=1' }));
    expect(res.status).toBe(200);
    expect(res.body).toBe('9');
  });

  it('returns synchronously for synchronous handlers', () => {
    const app = createApp();
    app.get('/s', () => text('sync'));
    const res = app.handler(createRequest({ method: 'GET', target: '/s' }));
    expect(res).not.toBeInstanceOf(Promise);
  });
});

describe('extended CONNECT is routed as GET (RFC 8441, issue #14)', () => {
  // The transport's offer; routing never calls accept().
  const offer = (protocol: string | null): Upgrade => ({
    kind: 'connect',
    protocol,
    accept: () => Promise.reject(new Error('not accepted in a routing test')),
  });
  const connect = (target: string, protocol: string | null) =>
    createRequest({ method: 'CONNECT', target, upgrade: offer(protocol) });

  it('reaches the GET route of its path, with req.method still CONNECT', async () => {
    const app = createApp();
    app.get('/ws/:room', (req) =>
      text(`${req.method} ${req.params.room} ${req.upgrade?.protocol}`),
    );
    const res = await app.handler(connect('/ws/lobby', 'websocket'));
    expect(res.status).toBe(200);
    expect(res.body).toBe('CONNECT lobby websocket');
  });

  it('a plain CONNECT (no :protocol) and a path without GET still get 405', async () => {
    const app = createApp();
    app.get('/ws', () => text('get'));
    app.post('/post-only', () => text('post'));
    const plain = await app.handler(connect('/ws', null));
    expect(plain.status).toBe(405);
    expect(plain.headers.get('allow')).toContain('GET');
    const noGet = await app.handler(connect('/post-only', 'websocket'));
    expect(noGet.status).toBe(405);
    expect(noGet.headers.get('allow')).toContain('POST');
  });
});
