import { json } from '@rws/core';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AppLogger, createApp } from '../src/index.js';

/** Parsed JSON of a test response (shape asserted by the test). */
// biome-ignore lint/suspicious/noExplicitAny: tests assert the JSON shape themselves.
async function bodyOf(res: globalThis.Response): Promise<any> {
  return res.json();
}

const quiet: AppLogger = { error() {} };

describe('validation with zod', () => {
  const app = createApp({ logger: quiet });
  app.post(
    '/users/:id',
    {
      schema: {
        params: z.object({ id: z.coerce.number().int() }),
        query: z.object({ notify: z.enum(['yes', 'no']).optional() }),
        body: z.object({ name: z.string().min(1), tags: z.array(z.string()).default([]) }),
      },
    },
    (req) =>
      json({
        id: req.params.id,
        idType: typeof req.params.id,
        notify: req.valid.query.notify ?? null,
        body: req.valid.body,
      }),
  );

  it('passes valid input as typed outputs', async () => {
    const res = await app.request('/users/42?notify=yes', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ada' }),
    });
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toEqual({
      id: 42,
      idType: 'number',
      notify: 'yes',
      body: { name: 'ada', tags: [] },
    });
  });

  it('answers 422 with every issue and its path', async () => {
    const res = await app.request('/users/x?notify=maybe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '', tags: [1] }),
    });
    expect(res.status).toBe(422);
    const body = (await bodyOf(res)) as { errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path).sort()).toEqual([
      'body.name',
      'body.tags.0',
      'params.id',
      'query.notify',
    ]);
    for (const e of body.errors) expect(typeof e.message).toBe('string');
  });

  it('validates urlencoded bodies too, and rejects other types with 415', async () => {
    const ok = await app.request('/users/1', {
      method: 'POST',
      body: new URLSearchParams({ name: 'bob' }),
    });
    expect(await bodyOf(ok)).toMatchObject({ body: { name: 'bob' } });
    const wrong = await app.request('/users/1', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'name=bob',
    });
    expect(wrong.status).toBe(415);
  });

  it('applies the body limit of the route', async () => {
    const small = createApp({ logger: quiet });
    small.post('/x', { schema: { body: z.unknown() }, bodyLimit: 10 }, () => json(null));
    const res = await small.request('/x', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ long: 'x'.repeat(50) }),
    });
    expect(res.status).toBe(413);
  });
});

describe('validation with valibot', () => {
  const app = createApp({ logger: quiet });
  app.get(
    '/search',
    {
      schema: {
        query: v.object({
          q: v.pipe(v.string(), v.minLength(2)),
          page: v.optional(v.pipe(v.string(), v.transform(Number), v.integer())),
        }),
      },
    },
    (req) => json({ q: req.valid.query.q, page: req.valid.query.page ?? 1 }),
  );

  it('passes valid input', async () => {
    expect(await bodyOf(await app.request('/search?q=rws&page=3'))).toEqual({ q: 'rws', page: 3 });
  });

  it('answers 422 with paths', async () => {
    const res = await app.request('/search?q=r');
    expect(res.status).toBe(422);
    expect(await bodyOf(res)).toEqual({
      errors: [{ path: 'query.q', message: expect.any(String) }],
    });
  });

  it('async schemas work', async () => {
    const a = createApp({ logger: quiet });
    a.post(
      '/a',
      {
        schema: {
          body: v.pipeAsync(
            v.object({ n: v.number() }),
            v.checkAsync(async (x) => x.n > 0, 'must be positive'),
          ),
        },
      },
      (req) => json(req.valid.body),
    );
    const bad = await a.request('/a', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":-1}',
    });
    expect(bad.status).toBe(422);
    expect((await bodyOf(bad)).errors[0].message).toBe('must be positive');
  });
});
