import { json, text } from '@rws/core';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp } from '../src/index.js';

/** Parsed JSON of a test response (shape asserted by the test). */
// biome-ignore lint/suspicious/noExplicitAny: tests assert the JSON shape themselves.
async function bodyOf(res: globalThis.Response): Promise<any> {
  return res.json();
}

function makeApp() {
  const app = createApp();
  app.get(
    '/users/:id',
    {
      schema: { params: z.object({ id: z.string().uuid() }) },
      meta: {
        name: 'getUser',
        summary: 'Get a user',
        description: 'Returns one user.',
        tags: ['users'],
        responses: {
          '200': {
            description: 'The user',
            schema: z.object({ id: z.string(), name: z.string() }),
          },
          '404': { description: 'No such user' },
        },
      },
    },
    (req) => json({ id: req.params.id }),
  );
  app.post(
    '/users',
    {
      schema: {
        body: z.object({ name: z.string() }),
        query: z.object({ dryRun: z.string().optional() }),
      },
      meta: { operationId: 'createUser', deprecated: true },
    },
    () => json({}, { status: 201 }),
  );
  app.get('/files/*path', { schema: { query: v.object({ a: v.string() }) } }, () => text('f'));
  app.get('/hidden', { meta: { hidden: true } }, () => text('h'));
  app.all('/any', () => text('any'));
  app.openapi({
    title: 'Test <API>',
    version: '1.2.3',
    description: 'd',
    servers: [{ url: 'http://x' }],
  });
  return app;
}

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document built from routes and schemas', async () => {
    const res = await makeApp().request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const doc = await bodyOf(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'Test <API>', version: '1.2.3', description: 'd' });
    expect(doc.servers).toEqual([{ url: 'http://x' }]);
    expect(Object.keys(doc.paths).sort()).toEqual(['/files/{path}', '/users', '/users/{id}']);
    const get = doc.paths['/users/{id}'].get;
    expect(get).toMatchObject({
      operationId: 'getUser',
      summary: 'Get a user',
      description: 'Returns one user.',
      tags: ['users'],
    });
    expect(get.parameters).toEqual([
      {
        name: 'id',
        in: 'path',
        required: true,
        schema: expect.objectContaining({ type: 'string', format: 'uuid' }),
      },
    ]);
    expect(get.responses['200'].content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { id: { type: 'string' }, name: { type: 'string' } },
    });
    expect(get.responses['404']).toEqual({ description: 'No such user' });
    expect(get.responses['422'].description).toBe('Validation failed');
    const post = doc.paths['/users'].post;
    expect(post.operationId).toBe('createUser');
    expect(post.deprecated).toBe(true);
    expect(post.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    });
    expect(post.parameters).toEqual([
      { name: 'dryRun', in: 'query', required: false, schema: { type: 'string' } },
    ]);
    // valibot has no built-in JSON Schema: the path param still appears, the query is dropped.
    const files = doc.paths['/files/{path}'].get;
    expect(files.parameters).toEqual([
      { name: 'path', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    expect(doc.paths['/openapi.json']).toBeUndefined();
  });

  it('accepts a toJSONSchema option', async () => {
    const app = createApp();
    app.post('/x', { schema: { body: v.object({ a: v.string() }) } }, () => text('x'));
    app.openapi({
      title: 't',
      version: '1',
      toJSONSchema: () => ({ type: 'object', title: 'converted' }),
    });
    const doc = await bodyOf(await app.request('/openapi.json'));
    expect(doc.paths['/x'].post.requestBody.content['application/json'].schema).toEqual({
      type: 'object',
      title: 'converted',
    });
  });

  it('serves a self-contained docs page', async () => {
    const res = await makeApp().request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('Test &lt;API&gt;');
    expect(html).toContain('"/openapi.json"');
    expect(html).toContain("'operation'");
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    expect(html).not.toContain('cdn');
  });

  it('the docs page script renders every operation (run against a minimal DOM stub)', async () => {
    const app = makeApp();
    const html = await (await app.request('/docs')).text();
    const script = html.slice(html.indexOf('<script>') + 8, html.indexOf('</script>'));
    interface FakeElement {
      tag: string;
      className: string;
      id: string;
      textContent: string;
      dataset: Record<string, string>;
      attributes: Record<string, string>;
      children: FakeElement[];
      appendChild(child: FakeElement): FakeElement;
      setAttribute(name: string, value: string): void;
    }
    const make = (tag: string): FakeElement => {
      const el: FakeElement = {
        tag,
        className: '',
        id: '',
        dataset: {},
        attributes: {},
        children: [],
        get textContent() {
          return '';
        },
        set textContent(_v: string) {
          el.children = [];
        },
        appendChild(child) {
          el.children.push(child);
          return child;
        },
        setAttribute(name, value) {
          el.attributes[name] = value;
        },
      };
      return el;
    };
    const byId: Record<string, FakeElement> = {
      operations: make('main'),
      title: make('h1'),
      description: make('p'),
    };
    const document = { getElementById: (id: string) => byId[id], createElement: make };
    const fetchSpec = (url: string) => app.request(url);
    new Function('document', 'fetch', script)(document, fetchSpec);
    const root = byId['operations']!;
    await expect.poll(() => root.attributes['aria-busy']).toBe('false');
    expect(root.dataset['count']).toBe('3');
    const ops = root.children.filter((c) => c.className.split(' ').includes('operation'));
    expect(ops.map((o) => o.id)).toEqual(['op-get-users-id', 'op-post-users', 'op-get-files-path']);
    const summary = ops[0]!.children[0]!;
    expect(summary.children.map((c) => c.className)).toEqual([
      'method method-get',
      'path',
      'summary',
    ]);
  });

  it('can be moved or have no docs page', async () => {
    const app = createApp();
    app.openapi({ title: 't', version: '1', path: '/spec.json', docsPath: false });
    expect((await app.request('/spec.json')).status).toBe(200);
    expect((await app.request('/docs')).status).toBe(404);
  });
});
