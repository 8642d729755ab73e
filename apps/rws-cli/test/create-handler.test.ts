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

function handlerFor(argv: string[]) {
  const r = resolveConfig({ argv: ['--root', dir, ...argv], env: {}, cwd: dir });
  expect(r.problems).toEqual([]);
  return createHandler(r.config);
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
