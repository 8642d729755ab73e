import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRequest,
  Headers,
  HttpError,
  isPromise,
  type Middleware,
  type Response,
  text,
} from '@rws/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHandler, resolveConfig } from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rws-cli-handler-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<h1>app</h1>');
  writeFileSync(join(dir, 'assets', 'a.txt'), 'a');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function handlerFor(argv: string[], log: string[] = []) {
  const r = resolveConfig({ argv: ['--root', dir, ...argv], env: {}, cwd: dir });
  expect(r.problems).toEqual([]);
  return createHandler(r.config, { writeLog: (line) => log.push(line), isTTY: false });
}

describe('createHandler: the config drives static serving', () => {
  it('serves files and answers 404 itself', async () => {
    const h = handlerFor([]);
    expect((await h(createRequest({ method: 'GET', target: '/' }))).status).toBe(200);
    expect((await h(createRequest({ method: 'GET', target: '/nope.txt' }))).status).toBe(404);
    expect((await h(createRequest({ method: 'POST', target: '/' }))).status).toBe(405);
  });

  it('--directory-listing off and --spa-fallback', async () => {
    const off = handlerFor(['--directory-listing', 'off']);
    expect((await off(createRequest({ method: 'GET', target: '/assets/' }))).status).toBe(404);
    const spa = handlerFor([
      '--spa-fallback',
      'index.html',
      '--spa-fallback-exclude-prefixes',
      '/api',
    ]);
    expect((await spa(createRequest({ method: 'GET', target: '/users/1' }))).status).toBe(200);
    expect((await spa(createRequest({ method: 'GET', target: '/api/users' }))).status).toBe(404);
  });
});

describe('createHandler: request id → access log → CORS → static', () => {
  it('tags the response with a request id that the JSON log line carries', async () => {
    const log: string[] = [];
    const h = handlerFor([], log);
    const res = await h(createRequest({ method: 'GET', target: '/index.html' }));
    const id = res.headers.get('x-request-id');
    expect(id).not.toBeNull();
    expect(log).toHaveLength(1);
    expect(JSON.parse(log[0]!)).toMatchObject({ path: '/index.html', status: 200, request_id: id });
  });

  it('--log-format pretty and combined', async () => {
    const pretty: string[] = [];
    await handlerFor(
      ['--log-format', 'pretty'],
      pretty,
    )(createRequest({ method: 'GET', target: '/nope' }));
    expect(pretty[0]).toContain('GET /nope 404');
    const combined: string[] = [];
    await handlerFor(
      ['--log-format', 'combined'],
      combined,
    )(createRequest({ method: 'GET', target: '/' }));
    expect(combined[0]).toContain('"GET / HTTP/1.1" 200');
  });

  it('CORS: off by default (issue #8); an origin list; preflights', async () => {
    const origin = { origin: 'https://app.example' };
    const off = handlerFor([]);
    const a = await off(createRequest({ method: 'GET', target: '/', headers: origin }));
    expect(a.headers.get('access-control-allow-origin')).toBeNull();
    expect(a.headers.get('vary') ?? '').not.toMatch(/origin/i);
    const pa = await off(
      createRequest({
        method: 'OPTIONS',
        target: '/',
        headers: { ...origin, 'access-control-request-method': 'PUT' },
      }),
    );
    expect(pa.headers.get('access-control-allow-origin')).toBeNull();

    const list = handlerFor([
      '--cors-allow-origins',
      'https://app.example',
      '--cors-allow-credentials',
      '--cors-max-age',
      '600',
    ]);
    const b = await list(createRequest({ method: 'GET', target: '/', headers: origin }));
    expect(b.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(b.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await list(
      createRequest({ method: 'GET', target: '/', headers: { origin: 'https://evil.example' } }),
    );
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await list(
      createRequest({
        method: 'OPTIONS',
        target: '/',
        headers: { ...origin, 'access-control-request-method': 'PUT' },
      }),
    );
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-max-age')).toBe('600');
    expect(pre.headers.get('access-control-allow-methods')).toBe('PUT');
  });
});

describe('createHandler: the chain is built once, a synchronous answer stays synchronous (issue #10)', () => {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield new TextEncoder().encode('a');
    await new Promise((r) => setTimeout(r, 5));
    yield new TextEncoder().encode('b');
  }
  // Stands in for the gateway: answers at once, later, throws or streams, by path.
  const site: Middleware = {
    handle(req) {
      if (req.path === '/sync') return text('sync');
      if (req.path === '/async') return Promise.resolve(text('async'));
      if (req.path === '/stream') return { status: 200, headers: new Headers(), body: chunks() };
      throw new HttpError(418);
    },
  };
  const request = (target: string) => createRequest({ method: 'GET', target });

  it('--header on sync, async, thrown and streamed answers; each logged once', async () => {
    const log: string[] = [];
    const r = resolveConfig({ argv: ['--header', 'x-site: rws'], env: {}, cwd: dir });
    expect(r.problems).toEqual([]);
    const h = createHandler(r.config, {
      writeLog: (l) => log.push(l),
      isTTY: false,
      gateway: site,
    });
    const sync = h(request('/sync'));
    expect(isPromise(sync)).toBe(false);
    expect((sync as Response).headers.get('x-site')).toBe('rws');
    const later = h(request('/async'));
    expect(isPromise(later)).toBe(true);
    expect((await later).headers.get('x-site')).toBe('rws');
    expect(() => h(request('/teapot'))).toThrow(HttpError);
    const streamed = await h(request('/stream'));
    expect(streamed.headers.get('x-site')).toBe('rws');
    let body = '';
    for await (const chunk of streamed.body as AsyncIterable<Uint8Array>) {
      body += new TextDecoder().decode(chunk);
    }
    expect(body).toBe('ab');
    await vi.waitFor(() => expect(log).toHaveLength(4));
    expect(log.map((l) => [JSON.parse(l).path, JSON.parse(l).status])).toEqual([
      ['/sync', 200],
      ['/async', 200],
      ['/teapot', 418],
      ['/stream', 200],
    ]);
  });
});
