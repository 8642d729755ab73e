import { json, type Response, text } from '@rws/core';
import * as v from 'valibot';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type AppRequest, createApp, type PathParams } from '../src/index.js';

describe('PathParams', () => {
  it('infers params from the path string', () => {
    expectTypeOf<PathParams<'/users/:id/files/*path'>>().toEqualTypeOf<{
      id: string;
      path: string;
    }>();
    expectTypeOf<PathParams<'/a/:x/b/:y'>>().toEqualTypeOf<{ x: string; y: string }>();
    expectTypeOf<PathParams<'/n/:id(\\d+)'>>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<PathParams<'/static/*'>>().toEqualTypeOf<{ '*': string }>();
    expectTypeOf<keyof PathParams<'/about'>>().toEqualTypeOf<never>();
    expectTypeOf<PathParams<string>>().toEqualTypeOf<Record<string, string>>();
  });
});

describe('App handler types', () => {
  it('types params and state', () => {
    const app = createApp({ state: { db: { users: ['a'] }, version: 1 } });
    app.get('/users/:id/files/*path', (req) => {
      expectTypeOf(req.params).toEqualTypeOf<{ id: string; path: string }>();
      expectTypeOf(req.state.db.users).toEqualTypeOf<string[]>();
      expectTypeOf(req.state.version).toEqualTypeOf<number>();
      // @ts-expect-error: no such param
      void req.params.nope;
      return text('x');
    });
    app.group('/orgs/:org', (g) => {
      g.get('/repos/:repo', (req) => {
        expectTypeOf(req.params).toEqualTypeOf<{ org: string; repo: string }>();
        return text('x');
      });
    });
    app.route('/items/:id').put((req) => {
      expectTypeOf(req.params.id).toEqualTypeOf<string>();
      return text('x');
    });
  });

  it('types validated data from zod and valibot schemas', () => {
    const app = createApp();
    app.post(
      '/u/:id',
      {
        schema: {
          params: z.object({ id: z.coerce.number() }),
          body: z.object({ name: z.string() }),
          query: v.object({ q: v.optional(v.string()) }),
        },
      },
      (req) => {
        expectTypeOf(req.params).toEqualTypeOf<{ id: number }>();
        expectTypeOf(req.valid.body).toEqualTypeOf<{ name: string }>();
        expectTypeOf(req.valid.query).toEqualTypeOf<{ q?: string | undefined }>();
        return json(req.valid.body);
      },
    );
    app.get('/plain', (req) => {
      expectTypeOf(req.valid.body).toEqualTypeOf<undefined>();
      return text('x');
    });
  });

  it('handlers must return a Response', () => {
    const app = createApp();
    // @ts-expect-error: a string is not a Response
    app.get('/x', () => 'nope');
    expectTypeOf<AppRequest<{ a: string }, number>['state']>().toEqualTypeOf<number>();
    expectTypeOf(app.handler).returns.toEqualTypeOf<Response | Promise<Response>>();
  });
});
