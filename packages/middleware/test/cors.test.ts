import { createRequest, Headers, HttpError, isRwsError, type Response } from '@rws/core';
import { type CorsOptions, cors } from '@rws/middleware/cors';
import { describe, expect, it } from 'vitest';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example';

interface Result {
  res: Response;
  isNextCalled: boolean;
}

/** Runs the middleware; `next` answers 200 with `extra` response headers. */
async function run(
  options: CorsOptions | ReturnType<typeof cors>,
  method: string,
  headers: Record<string, string>,
  extra?: Record<string, string>,
): Promise<Result> {
  const mw = 'handle' in options ? options : cors(options as CorsOptions);
  let isNextCalled = false;
  const req = createRequest({ method, target: '/api/x?y=1', headers });
  const res = await mw.handle(req, () => {
    isNextCalled = true;
    return { status: 200, headers: new Headers(extra ?? {}), body: 'ok' };
  });
  return { res, isNextCalled };
}

/** Every Access-Control-* response header and Vary, as a plain object. */
function corsHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of res.headers) {
    if (name.startsWith('access-control-') || name === 'vary') {
      out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
    }
  }
  return out;
}

const preflightHeaders = (origin: string, extra?: Record<string, string>) => ({
  origin,
  'access-control-request-method': 'PUT',
  ...extra,
});

describe('cors: allow all', () => {
  it('defaults to allow-all with `*` and no Vary when no origin policy is given', async () => {
    const { res, isNextCalled } = await run({}, 'GET', { origin: APP });
    expect(isNextCalled).toBe(true);
    expect(corsHeaders(res)).toEqual({ 'access-control-allow-origin': '*' });
  });

  it('sends `*` even without an Origin (the answer never varies), like Express and Hono', async () => {
    const { res } = await run({ allowAll: true }, 'GET', {});
    expect(corsHeaders(res)).toEqual({ 'access-control-allow-origin': '*' });
  });

  it('`*` for the null origin when there are no credentials', async () => {
    const { res } = await run({ allowAll: true }, 'GET', { origin: 'null' });
    expect(corsHeaders(res)).toEqual({ 'access-control-allow-origin': '*' });
  });

  it('with credentials echoes the origin, adds Allow-Credentials and Vary: Origin', async () => {
    const { res } = await run({ allowAll: true, allowCredentials: true }, 'GET', { origin: APP });
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
  });

  it('with credentials never echoes the null origin unless listed', async () => {
    const { res } = await run({ allowAll: true, allowCredentials: true }, 'GET', {
      origin: 'null',
    });
    expect(corsHeaders(res)).toEqual({ vary: 'Origin' });
    const listed = await run(
      { allowAll: true, allowCredentials: true, allowOrigins: ['null'] },
      'GET',
      { origin: 'null' },
    );
    expect(corsHeaders(listed.res)).toEqual({
      'access-control-allow-origin': 'null',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
  });

  it('with credentials, a request without Origin gets only Vary: Origin', async () => {
    const { res } = await run({ allowAll: true, allowCredentials: true }, 'GET', {});
    expect(corsHeaders(res)).toEqual({ vary: 'Origin' });
  });

  it('`*` in allowOrigins means allow-all', async () => {
    const { res } = await run({ allowOrigins: ['*'] }, 'GET', { origin: EVIL });
    expect(corsHeaders(res)).toEqual({ 'access-control-allow-origin': '*' });
  });

  it('echoes an allow-all preflight: requested method and headers', async () => {
    const { res, isNextCalled } = await run(
      { allowAll: true, maxAge: 86400 },
      'OPTIONS',
      preflightHeaders(APP, { 'access-control-request-headers': 'content-type, x-token' }),
    );
    expect(isNextCalled).toBe(false);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(res.headers.has('content-length')).toBe(false);
    expect(corsHeaders(res)).toEqual({
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'content-type, x-token',
      'access-control-max-age': '86400',
    });
  });

  it('preflight with credentials echoes the origin', async () => {
    const { res } = await run(
      { allowAll: true, allowCredentials: true },
      'OPTIONS',
      preflightHeaders(APP),
    );
    expect(corsHeaders(res)).toEqual({
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'PUT',
    });
  });
});

describe('cors: configured origins', () => {
  const options: CorsOptions = {
    allowAll: false,
    allowOrigins: [APP, 'http://localhost:5173'],
    allowMethods: ['get', 'post', 'put'],
    allowHeaders: ['Content-Type', 'X-Token'],
    exposeHeaders: ['X-Request-Id', 'ETag'],
    allowCredentials: true,
    maxAge: 600,
  };

  it('simple request from an allowed origin: echo, credentials, expose, Vary', async () => {
    const { res } = await run(options, 'GET', { origin: APP });
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-request-id, etag',
      vary: 'Origin',
    });
  });

  it('matches origins case-insensitively and echoes them as sent', async () => {
    const { res } = await run(options, 'GET', { origin: 'HTTP://LOCALHOST:5173' });
    expect(res.headers.get('access-control-allow-origin')).toBe('HTTP://LOCALHOST:5173');
  });

  it('a disallowed origin passes through with only Vary: Origin', async () => {
    const { res, isNextCalled } = await run(options, 'GET', { origin: EVIL });
    expect(isNextCalled).toBe(true);
    expect(res.status).toBe(200);
    expect(corsHeaders(res)).toEqual({ vary: 'Origin' });
  });

  it('an origin that only shares a prefix or suffix is not allowed', async () => {
    for (const origin of [`${APP}.evil.example`, 'https://xapp.example.com', `${APP}:443`]) {
      const { res } = await run(options, 'GET', { origin });
      expect(res.headers.has('access-control-allow-origin'), origin).toBe(false);
    }
  });

  it('the null origin is not allowed unless listed', async () => {
    const { res } = await run(options, 'GET', { origin: 'null' });
    expect(corsHeaders(res)).toEqual({ vary: 'Origin' });
  });

  it('a request without Origin gets Vary: Origin (the answer depends on it)', async () => {
    const { res } = await run(options, 'GET', {});
    expect(corsHeaders(res)).toEqual({ vary: 'Origin' });
  });

  it('several Origin values (a list) are never allowed', async () => {
    const mw = cors(options);
    const req = createRequest({
      method: 'GET',
      target: '/',
      headers: [
        ['origin', APP],
        ['origin', EVIL],
      ],
    });
    const res = await mw.handle(req, () => ({ status: 200, headers: new Headers(), body: '' }));
    expect(res.headers.has('access-control-allow-origin')).toBe(false);
  });

  it('preflight from an allowed origin: configured methods, headers, max-age', async () => {
    const { res, isNextCalled } = await run(
      options,
      'OPTIONS',
      preflightHeaders(APP, { 'access-control-request-headers': 'x-other' }),
    );
    expect(isNextCalled).toBe(false);
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual({
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST, PUT',
      'access-control-allow-headers': 'content-type, x-token',
      'access-control-max-age': '600',
    });
  });

  it('preflight from a disallowed origin: 204 with Vary and no CORS headers', async () => {
    const { res, isNextCalled } = await run(options, 'OPTIONS', preflightHeaders(EVIL));
    expect(isNextCalled).toBe(false);
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual({
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    });
  });

  it('OPTIONS without Access-Control-Request-Method is not a preflight: it reaches next()', async () => {
    const { res, isNextCalled } = await run(options, 'OPTIONS', { origin: APP });
    expect(isNextCalled).toBe(true);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('OPTIONS without Origin is not a preflight either', async () => {
    const { isNextCalled } = await run(options, 'OPTIONS', {
      'access-control-request-method': 'PUT',
    });
    expect(isNextCalled).toBe(true);
  });

  it('without allowMethods/allowHeaders an allowed preflight echoes the request', async () => {
    const { res } = await run(
      { allowOrigins: [APP] },
      'OPTIONS',
      preflightHeaders(APP, { 'access-control-request-headers': 'authorization' }),
    );
    expect(corsHeaders(res)).toEqual({
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'PUT',
      'access-control-allow-headers': 'authorization',
    });
  });

  it('maxAge 0 is sent (disables preflight caching); absent sends none', async () => {
    const zero = await run({ allowOrigins: [APP], maxAge: 0 }, 'OPTIONS', preflightHeaders(APP));
    expect(zero.res.headers.get('access-control-max-age')).toBe('0');
    const none = await run({ allowOrigins: [APP] }, 'OPTIONS', preflightHeaders(APP));
    expect(none.res.headers.has('access-control-max-age')).toBe(false);
  });

  it('expose headers are sent on actual responses, not on preflights', async () => {
    const { res } = await run(
      { allowOrigins: [APP], exposeHeaders: ['x-a'] },
      'OPTIONS',
      preflightHeaders(APP),
    );
    expect(res.headers.has('access-control-expose-headers')).toBe(false);
  });
});

describe('cors: origin option forms', () => {
  it('a single string', async () => {
    const { res } = await run({ origin: APP }, 'GET', { origin: APP });
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(
      (await run({ origin: APP }, 'GET', { origin: EVIL })).res.headers.has(
        'access-control-allow-origin',
      ),
    ).toBe(false);
  });

  it("'*' is allow-all", async () => {
    const { res } = await run({ origin: '*' }, 'GET', { origin: EVIL });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('RegExps (a global one is safe to reuse) and strings mixed', async () => {
    const mw = cors({ origin: [/^https:\/\/[a-z]+\.example\.com$/g, 'http://localhost:3000'] });
    for (let i = 0; i < 3; i++) {
      const { res } = await run(mw, 'GET', { origin: APP });
      expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    }
    expect(
      (await run(mw, 'GET', { origin: 'http://localhost:3000' })).res.headers.get(
        'access-control-allow-origin',
      ),
    ).toBe('http://localhost:3000');
    expect(
      (await run(mw, 'GET', { origin: EVIL })).res.headers.has('access-control-allow-origin'),
    ).toBe(false);
  });

  it('a predicate receives the origin and the request', async () => {
    const seen: string[] = [];
    const mw = cors({
      origin: (origin, req) => {
        seen.push(`${origin} ${req.path}`);
        return origin.endsWith('.example.com');
      },
    });
    expect(
      (await run(mw, 'GET', { origin: APP })).res.headers.get('access-control-allow-origin'),
    ).toBe(APP);
    expect(
      (await run(mw, 'GET', { origin: EVIL })).res.headers.has('access-control-allow-origin'),
    ).toBe(false);
    expect(seen).toEqual([`${APP} /api/x`, `${EVIL} /api/x`]);
  });

  it('allowOrigins and a predicate combine: either allows', async () => {
    const mw = cors({ allowOrigins: [EVIL], origin: () => false });
    expect(
      (await run(mw, 'GET', { origin: EVIL })).res.headers.get('access-control-allow-origin'),
    ).toBe(EVIL);
  });

  it('allowOrigins: [] without allowAll allows nobody', async () => {
    const { res } = await run({ allowOrigins: [] }, 'GET', { origin: APP });
    expect(corsHeaders(res)).toEqual({ vary: 'Origin' });
  });
});

describe('cors: headers the handler set', () => {
  it('merges Vary with an existing Vary header instead of replacing it', async () => {
    const { res } = await run(
      { allowOrigins: [APP] },
      'GET',
      { origin: APP },
      {
        vary: 'Accept-Encoding',
      },
    );
    expect(res.headers.getAll('vary')).toEqual(['Accept-Encoding, Origin']);
  });

  it('does not repeat a Vary member already present (case-insensitively)', async () => {
    const { res } = await run(
      { allowOrigins: [APP] },
      'GET',
      { origin: APP },
      {
        vary: 'accept-encoding, origin',
      },
    );
    expect(res.headers.getAll('vary')).toEqual(['accept-encoding, origin']);
  });

  it('leaves Vary: * alone', async () => {
    const { res } = await run({ allowOrigins: [APP] }, 'GET', { origin: APP }, { vary: '*' });
    expect(res.headers.getAll('vary')).toEqual(['*']);
  });

  it('merges several Vary lines into one', async () => {
    const mw = cors({ allowOrigins: [APP] });
    const req = createRequest({ method: 'GET', target: '/', headers: { origin: APP } });
    const res = await mw.handle(req, () => ({
      status: 200,
      headers: new Headers([
        ['vary', 'Accept'],
        ['vary', 'Accept-Language'],
      ]),
      body: '',
    }));
    expect(res.headers.getAll('vary')).toEqual(['Accept, Accept-Language, Origin']);
  });

  it('a handler that set Access-Control-Allow-Origin keeps its own CORS answer', async () => {
    const { res } = await run(
      { allowOrigins: [APP], allowCredentials: true },
      'GET',
      { origin: APP },
      { 'access-control-allow-origin': '*' },
    );
    expect(corsHeaders(res)).toEqual({ 'access-control-allow-origin': '*', vary: 'Origin' });
  });

  it('a synchronous next() gets a synchronous answer', () => {
    const mw = cors({ allowOrigins: [APP] });
    const req = createRequest({ method: 'GET', target: '/', headers: { origin: APP } });
    const res = mw.handle(req, () => ({ status: 200, headers: new Headers(), body: '' }));
    expect(res).not.toBeInstanceOf(Promise);
    expect((res as Response).headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('an HttpError thrown by next() carries the CORS headers; other errors pass untouched', async () => {
    const mw = cors({ allowOrigins: [APP], allowCredentials: true });
    const req = createRequest({ method: 'GET', target: '/', headers: { origin: APP } });
    const err = await Promise.resolve(
      mw.handle(req, async () => {
        throw new HttpError(401, 'no');
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).headers.get('access-control-allow-origin')).toBe(APP);
    expect((err as HttpError).headers.get('access-control-allow-credentials')).toBe('true');
    const plain = new Error('boom');
    expect(() =>
      mw.handle(req, () => {
        throw plain;
      }),
    ).toThrow(plain);
  });
});

describe('cors: private network access', () => {
  const pna = preflightHeaders(APP, { 'access-control-request-private-network': 'true' });

  it('answers Allow-Private-Network when enabled and asked', async () => {
    const { res } = await run({ allowOrigins: [APP], allowPrivateNetwork: true }, 'OPTIONS', pna);
    expect(res.headers.get('access-control-allow-private-network')).toBe('true');
    expect(res.headers.get('vary')).toBe(
      'Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network',
    );
  });

  it('is off by default, and never sent to a disallowed origin', async () => {
    const off = await run({ allowOrigins: [APP] }, 'OPTIONS', pna);
    expect(off.res.headers.has('access-control-allow-private-network')).toBe(false);
    const evil = await run(
      { allowOrigins: [APP], allowPrivateNetwork: true },
      'OPTIONS',
      preflightHeaders(EVIL, { 'access-control-request-private-network': 'true' }),
    );
    expect(evil.res.headers.has('access-control-allow-private-network')).toBe(false);
  });

  it('not sent when the preflight does not ask for it', async () => {
    const { res } = await run(
      { allowOrigins: [APP], allowPrivateNetwork: true },
      'OPTIONS',
      preflightHeaders(APP),
    );
    expect(res.headers.has('access-control-allow-private-network')).toBe(false);
  });
});

describe('cors: update()', () => {
  it('swaps the policy for later requests', async () => {
    const mw = cors({ allowOrigins: [APP] });
    expect(
      (await run(mw, 'GET', { origin: EVIL })).res.headers.has('access-control-allow-origin'),
    ).toBe(false);
    mw.update({ allowOrigins: [EVIL], exposeHeaders: ['x-a'] });
    const { res } = await run(mw, 'GET', { origin: EVIL });
    expect(corsHeaders(res)).toEqual({
      'access-control-allow-origin': EVIL,
      'access-control-expose-headers': 'x-a',
      vary: 'Origin',
    });
    expect(
      (await run(mw, 'GET', { origin: APP })).res.headers.has('access-control-allow-origin'),
    ).toBe(false);
  });

  it('a request in flight keeps the policy it started with', async () => {
    const mw = cors({ allowOrigins: [APP] });
    const req = createRequest({ method: 'GET', target: '/', headers: { origin: APP } });
    const res = await mw.handle(req, () => {
      mw.update({ allowOrigins: [EVIL] });
      return { status: 200, headers: new Headers(), body: '' };
    });
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
  });

  it('a bad update throws and keeps the old policy', async () => {
    const mw = cors({ allowOrigins: [APP] });
    expect(() => mw.update({ allowOrigins: ['https://x.example/'] })).toThrow(
      /use "https:\/\/x\.example"/,
    );
    expect(
      (await run(mw, 'GET', { origin: APP })).res.headers.get('access-control-allow-origin'),
    ).toBe(APP);
  });
});

describe('cors: option validation', () => {
  const bad: [string, unknown, RegExp][] = [
    ['path in origin', { allowOrigins: ['https://a.example/app'] }, /use "https:\/\/a\.example"/],
    ['trailing slash', { origin: 'https://a.example/' }, /no trailing slash/],
    ['default port', { allowOrigins: ['https://a.example:443'] }, /use "https:\/\/a\.example"/],
    ['not a URL', { allowOrigins: ['a.example'] }, /is not an origin/],
    ['not strings', { allowOrigins: 'https://a.example' }, /allowOrigins must be an array/],
    ['bad origin type', { origin: 42 }, /origin must be a string/],
    ['bad method', { allowMethods: ['GE T'] }, /allowMethods: "GE T" is not a valid token/],
    ['bad header', { allowHeaders: ['x:y'] }, /allowHeaders: "x:y" is not a valid token/],
    ['bad max-age', { maxAge: -1 }, /maxAge must be a non-negative integer/],
    ['fractional max-age', { maxAge: 1.5 }, /maxAge must be a non-negative integer/],
    ['bad boolean', { allowCredentials: 'yes' }, /allowCredentials must be a boolean/],
    [
      '* with credentials',
      { allowAll: true, allowHeaders: ['*'], allowCredentials: true },
      /"\*" is not a wildcard when allowCredentials is true/,
    ],
    ['* contradicts allowAll: false', { allowAll: false, allowOrigins: ['*'] }, /contradicts/],
    [
      'credentials without any origin policy',
      { allowCredentials: true },
      /allowCredentials needs allowOrigins or origin, or allowAll: true/,
    ],
  ];
  for (const [name, options, message] of bad) {
    it(`rejects ${name}`, () => {
      let caught: unknown;
      try {
        cors(options as CorsOptions);
      } catch (err) {
        caught = err;
      }
      expect(isRwsError(caught, 'RWS_MIDDLEWARE_CORS_INVALID_OPTIONS')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('accepts non-http origins, `*` without credentials, and de-duplicates', async () => {
    const mw = cors({
      allowOrigins: ['chrome-extension://abcdef'],
      allowHeaders: ['*', 'X-A', 'x-a'],
      allowMethods: ['*'],
    });
    const { res } = await run(mw, 'OPTIONS', preflightHeaders('chrome-extension://abcdef'));
    expect(res.headers.get('access-control-allow-origin')).toBe('chrome-extension://abcdef');
    expect(res.headers.get('access-control-allow-headers')).toBe('*, x-a');
    expect(res.headers.get('access-control-allow-methods')).toBe('*');
  });
});
