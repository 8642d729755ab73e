import { describe, expect, it } from 'vitest';
import {
  compose,
  createRequest,
  isRwsError,
  type Middleware,
  type Request,
  text,
} from '../src/index.js';

const req = (): Request => createRequest({ method: 'GET', target: '/' });

function tracer(name: string, log: string[]): Middleware {
  return {
    async handle(r, next) {
      log.push(`${name}:in`);
      const res = await next(r);
      log.push(`${name}:out`);
      return res;
    },
  };
}

describe('compose', () => {
  it('returns the handler itself without middleware (sync fast path)', () => {
    const handler = () => text('x');
    const composed = compose([], handler);
    expect(composed).toBe(handler);
    const res = composed(req());
    expect(res).not.toBeInstanceOf(Promise);
  });

  it('runs middleware in onion order, first outermost', async () => {
    const log: string[] = [];
    const handler = compose([tracer('a', log), tracer('b', log), tracer('c', log)], () => {
      log.push('handler');
      return text('ok');
    });
    const res = await handler(req());
    expect(res.body).toBe('ok');
    expect(log).toEqual(['a:in', 'b:in', 'c:in', 'handler', 'c:out', 'b:out', 'a:out']);
  });

  it('lets middleware replace the request and short-circuit', async () => {
    const rewrite: Middleware = {
      handle: (r, next) => next(createRequest({ method: r.method, target: '/rewritten' })),
    };
    const handler = compose([rewrite], (r) => text(r.path));
    expect((await handler(req())).body).toBe('/rewritten');
    const deny: Middleware = { handle: () => text('no', { status: 403 }) };
    const denied = compose([deny, rewrite], () => text('never'));
    expect((await denied(req())).status).toBe(403);
  });

  it.each([1, 3])(
    'calling next() twice is RWS_CORE_NEXT_CALLED_TWICE (%i middleware)',
    async (n) => {
      const twice: Middleware = {
        async handle(r, next) {
          await next(r);
          return next(r);
        },
      };
      const pass: Middleware = { handle: (r, next) => next(r) };
      const chain = [...Array.from({ length: n - 1 }, () => pass), twice];
      let calls = 0;
      const handler = compose(chain, () => {
        calls++;
        return text('x');
      });
      await expect(Promise.resolve().then(() => handler(req()))).rejects.toSatisfy((e) =>
        isRwsError(e, 'RWS_CORE_NEXT_CALLED_TWICE'),
      );
      expect(calls).toBe(1);
      // Each request gets its own chain state.
      const ok = compose([pass, pass], () => text('y'));
      await ok(req());
      await ok(req());
    },
  );

  it('copies the middleware list', async () => {
    const log: string[] = [];
    const list = [tracer('a', log)];
    const handler = compose(list, () => text('x'));
    list.push(tracer('late', log));
    await handler(req());
    expect(log).toEqual(['a:in', 'a:out']);
  });

  it('propagates errors from the handler through middleware', async () => {
    const catcher: Middleware = {
      async handle(r, next) {
        try {
          return await next(r);
        } catch {
          return text('caught', { status: 500 });
        }
      },
    };
    const handler = compose([catcher], () => {
      throw new Error('boom');
    });
    expect((await handler(req())).body).toBe('caught');
  });
});
