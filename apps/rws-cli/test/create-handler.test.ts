import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequest } from '@rws/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
