/**
 * The OpenAPI reference page (`/docs`) in headless Chromium (Debian package `chromium`), served
 * by an App over a real @rws/http1 socket: every operation renders with its method, path,
 * summary, parameters and body schema, summaries render as text (never markup), and the page
 * works offline — any request to a host other than 127.0.0.1 is blocked and fails the test.
 * Skipped with a reason when /usr/bin/chromium is missing, except in CI (CI=true), where that
 * is a failure. No screenshots are written.
 */
import { json, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { isChromiumAvailable, launchChromium } from '@rws/test-helpers';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../src/index.js';

const hasChromium = isChromiumAvailable('@rws/router', 'the /docs browser test');

const XSS_SUMMARY = '<img src=x onerror="globalThis.__pwned = true"> Search';

const app = createApp({ logger: { error() {} } });
app.get('/users/:id', { meta: { summary: 'Get a user', tags: ['users'] } }, (req) =>
  json({ id: req.params.id }),
);
app.post(
  '/users',
  {
    schema: { body: z.object({ name: z.string().min(1), email: z.string() }) },
    meta: { summary: 'Create a user', operationId: 'createUser' },
  },
  (req) => json(req.valid.body, { status: 201 }),
);
app.delete('/users/:id', { meta: { summary: 'Delete a user' } }, () => text('', { status: 204 }));
app.get('/files/*path', { meta: { summary: 'Download a file' } }, (req) => text(req.params.path));
app.get(
  '/search',
  { schema: { query: z.object({ q: z.string() }) }, meta: { summary: XSS_SUMMARY } },
  () => json([]),
);
app.get('/internal', { meta: { hidden: true } }, () => text('hidden'));
app.openapi({ title: 'Users API', version: '1.0.0', description: 'A test API.' });

/** What the page must show, in document order (paths, then methods in OpenAPI order). */
const EXPECTED = [
  { id: 'op-get-users-id', method: 'GET', path: '/users/{id}', summary: 'Get a user' },
  { id: 'op-delete-users-id', method: 'DELETE', path: '/users/{id}', summary: 'Delete a user' },
  { id: 'op-post-users', method: 'POST', path: '/users', summary: 'Create a user' },
  {
    id: 'op-get-files-path',
    method: 'GET',
    path: '/files/{path}',
    summary: 'Download a file',
  },
  { id: 'op-get-search', method: 'GET', path: '/search', summary: XSS_SUMMARY },
];

const server = createServer(app.handler);
let origin = '';
let browser: Browser | undefined;

beforeAll(async () => {
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${port}`;
  if (!hasChromium) return;
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await server.close({ graceMs: 1000 });
});

describe.skipIf(!hasChromium)('/docs in Chromium', () => {
  it('renders every operation offline, summaries as text', async () => {
    const context = await browser!.newContext();
    const requested: string[] = [];
    const blocked: string[] = [];
    const pageErrors: string[] = [];
    // Every request the page makes goes through here: anything not served by our server
    // (a CDN script, a web font, an analytics beacon) is aborted and recorded, so the page
    // must work with no network but 127.0.0.1.
    await context.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1' && url.origin === origin) {
        requested.push(url.pathname);
        await route.continue();
      } else {
        blocked.push(url.href);
        await route.abort('blockedbyclient');
      }
    });
    const page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    try {
      const res = await page.goto(`${origin}/docs`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
      await page.waitForSelector('#operations[aria-busy="false"]', { timeout: 5000 });

      expect(await page.title()).toBe('Users API — API reference');
      expect(await page.textContent('#title')).toBe('Users API 1.0.0');
      expect(await page.textContent('#description')).toBe('A test API.');
      expect(await page.getAttribute('#operations', 'data-error')).toBeNull();
      expect(await page.getAttribute('#operations', 'data-count')).toBe(String(EXPECTED.length));

      const operations = await page.$$eval('#operations .operation', (nodes) =>
        nodes.map((n) => ({
          id: n.id,
          method: n.querySelector('.method')?.textContent ?? null,
          path: n.querySelector('.path')?.textContent ?? null,
          summary: n.querySelector('.summary')?.textContent ?? null,
        })),
      );
      expect(operations).toHaveLength(EXPECTED.length);
      expect(operations).toEqual(EXPECTED);

      // Path and query parameters, and the zod body schema as JSON Schema.
      const paramsOf = (id: string) =>
        page.$$eval(`#${id} .parameter .param-name`, (cells) => cells.map((c) => c.textContent));
      expect(await paramsOf('op-get-users-id')).toEqual(['id']);
      expect(await paramsOf('op-get-files-path')).toEqual(['path']);
      expect(await paramsOf('op-get-search')).toEqual(['q']);
      const bodySchema = await page.textContent('#op-post-users .schema pre');
      expect(JSON.parse(bodySchema ?? 'null')).toMatchObject({
        type: 'object',
        properties: { name: { type: 'string', minLength: 1 }, email: { type: 'string' } },
        required: ['name', 'email'],
      });
      expect(await page.textContent('#op-post-users')).toContain('422 Validation failed');

      // The hidden route, and the spec/docs routes themselves, are not listed.
      expect(await page.$$('#operations .operation[data-path="/internal"]')).toHaveLength(0);
      expect(await page.$$('#operations .operation[data-path="/docs"]')).toHaveLength(0);

      // A summary holding markup is shown as text, not parsed.
      expect(await page.$$('#operations img')).toHaveLength(0);
      expect(
        await page.evaluate(() => (globalThis as { __pwned?: boolean }).__pwned),
      ).toBeUndefined();

      // Opening an operation shows its details.
      await page.click('#op-get-users-id > summary');
      expect(await page.isVisible('#op-get-users-id .parameters')).toBe(true);

      expect(pageErrors).toEqual([]);
      expect(blocked).toEqual([]);
      expect(requested).toContain('/docs');
      expect(requested).toContain('/openapi.json');
    } finally {
      await context.close();
    }
  }, 15_000);
});
