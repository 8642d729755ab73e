import { RwsError } from './rws-error.js';
import type { Handler, Middleware, Request } from './types.js';

/**
 * Chains middleware around a handler in onion order: `middlewares[0]` is outermost, so it sees
 * the request first and the response last. Each middleware may call `next` at most once;
 * a second call throws `RWS_CORE_NEXT_CALLED_TWICE` (it would run the inner chain twice).
 *
 * With no middleware the handler itself is returned, keeping its synchronous fast path.
 * The middleware list is copied, so later changes to the array do not affect the chain.
 *
 * @example
 * ```ts
 * import { compose, text, type Middleware } from '@rws/core';
 * const timing: Middleware = {
 *   async handle(req, next) {
 *     const res = await next(req);
 *     res.headers.set('x-took', 'fast');
 *     return res;
 *   },
 * };
 * const handler = compose([timing], () => text('hi'));
 * ```
 */
export function compose<Req extends Request = Request>(
  middlewares: readonly Middleware<Req>[],
  handler: Handler<Req>,
): Handler<Req> {
  const count = middlewares.length;
  if (count === 0) return handler;
  const chain = middlewares.slice();
  if (count === 1) {
    const only = chain[0]!;
    return (req) => {
      let isCalled = false;
      return only.handle(req, (r) => {
        if (isCalled) throw nextTwice(0);
        isCalled = true;
        return handler(r);
      });
    };
  }
  const dispatch = (index: number, req: Req): ReturnType<Handler<Req>> => {
    if (index === count) return handler(req);
    let isCalled = false;
    return chain[index]!.handle(req, (r) => {
      if (isCalled) throw nextTwice(index);
      isCalled = true;
      return dispatch(index + 1, r);
    });
  };
  return (req) => dispatch(0, req);
}

function nextTwice(index: number): RwsError {
  return new RwsError(
    'RWS_CORE_NEXT_CALLED_TWICE',
    `middleware #${index} called next() more than once`,
    { status: 500 },
  );
}
