import {
  Body,
  compose,
  createRequest,
  type Handler,
  isRwsError,
  json,
  parseSetCookie,
} from '@rws/core';
import { csrf, csrfToken } from '@rws/middleware/csrf';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

let reached = 0;
const handler: Handler = compose([csrf()], async (req) => {
  reached++;
  const form = req.headers.get('content-type')?.startsWith('application/x-www-form-urlencoded')
    ? Object.fromEntries(await req.body.form())
    : null;
  return json({ token: csrfToken(req), form });
});

async function call(method: string, headers: Record<string, string> = {}, body?: string) {
  const res = await handler(
    createRequest({ method, target: '/', headers, body: Body.from(body ?? null) }),
  );
  return { res, text: typeof res.body === 'string' ? res.body : '' };
}

async function issue(): Promise<string> {
  const { res } = await call('GET');
  return parseSetCookie(res.headers.getSetCookie()[0]!)!.value;
}

describe('csrf()', () => {
  it('a safe request gets a SameSite=Strict token cookie, and csrfToken(req) returns it', async () => {
    const { res, text } = await call('GET');
    const line = res.headers.getSetCookie()[0]!;
    expect(line).toMatch(/^csrf_token=[\w-]{43}; Path=\/; SameSite=Strict$/);
    expect(JSON.parse(text).token).toBe(parseSetCookie(line)!.value);
    // With a valid cookie already there, no new cookie.
    const again = await call('GET', { cookie: `csrf_token=${parseSetCookie(line)!.value}` });
    expect(again.res.headers.getSetCookie()).toEqual([]);
  });

  it('an unsafe request with the matching header passes', async () => {
    const token = await issue();
    const { res } = await call('POST', { cookie: `csrf_token=${token}`, 'x-csrf-token': token });
    expect(res.status).toBe(200);
  });

  it('an HTML form with the _csrf field passes, and the handler still reads the whole form', async () => {
    const token = await issue();
    const { res, text } = await call(
      'POST',
      { cookie: `csrf_token=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      `name=ada&_csrf=${token}`,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(text).form).toEqual({ name: 'ada', _csrf: token });
  });

  it.each([
    [
      'no cookie',
      () => ({ 'x-csrf-token': 'a'.repeat(43) }),
      /^CSRF token missing: no csrf_token cookie/,
    ],
    [
      'no token sent',
      (t: string) => ({ cookie: `csrf_token=${t}` }),
      /^CSRF token missing: send the csrf_token cookie's value in the x-csrf-token header or the _csrf form field/,
    ],
    [
      'a different token',
      (t: string) => ({ cookie: `csrf_token=${t}`, 'x-csrf-token': `${t.slice(0, -1)}x` }),
      /^CSRF token mismatch/,
    ],
    [
      'a shorter token',
      (t: string) => ({ cookie: `csrf_token=${t}`, 'x-csrf-token': t.slice(0, 10) }),
      /^CSRF token mismatch/,
    ],
    [
      'a malformed cookie',
      () => ({ cookie: 'csrf_token=abc', 'x-csrf-token': 'abc' }),
      /^CSRF token missing: no csrf_token cookie/,
    ],
  ])('403 for %s, and the handler is not reached', async (_name, make, message) => {
    const token = await issue();
    const before = reached;
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const { res, text } = await call(method, make(token));
      expect(res.status).toBe(403);
      expect(text).toMatch(message);
    }
    expect(reached).toBe(before);
  });

  it('a form with the wrong field is 403', async () => {
    const token = await issue();
    const { res } = await call(
      'POST',
      { cookie: `csrf_token=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      '_csrf=wrong',
    );
    expect(res.status).toBe(403);
  });

  it('over a real socket: GET issues, POST without the header is 403, with it 200', async () => {
    const port = await serveHandler(handler);
    const first = await httpCall(port, '/');
    const cookie = first.headers['set-cookie']![0]!.split(';')[0]!;
    const token = cookie.split('=')[1]!;
    expect((await httpCall(port, '/', { method: 'POST', headers: { cookie } })).status).toBe(403);
    expect(
      (await httpCall(port, '/', { method: 'POST', headers: { cookie, 'x-csrf-token': token } }))
        .status,
    ).toBe(200);
  });

  it('rejects a bad cookie name at startup', () => {
    let caught: unknown;
    try {
      csrf({ cookieName: 'bad name' });
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_CSRF_INVALID_OPTIONS')).toBe(true);
  });
});
