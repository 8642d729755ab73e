import { createRequest, Headers, HttpError, isRwsError, type Response } from '@rws/core';
import {
  isValidRequestId,
  MAX_REQUEST_ID_LENGTH,
  type RequestIdOptions,
  requestId,
} from '@rws/middleware/request-id';
import { describe, expect, it } from 'vitest';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Runs the middleware; returns the response and the id the handler saw. */
async function run(
  options: RequestIdOptions,
  headers: Record<string, string> | [string, string][] = {},
): Promise<{ res: Response; seen: string | null }> {
  const mw = requestId(options);
  // As a transport hands them over: unvalidated (core's Headers refuses control characters
  // set by code, but a peer may still send them).
  const list = (Array.isArray(headers) ? headers : Object.entries(headers)).flat();
  const req = createRequest({ method: 'GET', target: '/', headers: Headers.fromTrustedList(list) });
  let seen: string | null = null;
  const res = await mw.handle(req, (r) => {
    seen = r.headers.get(options.header ?? 'x-request-id');
    return { status: 200, headers: new Headers(), body: 'ok' };
  });
  return { res, seen };
}

describe('requestId', () => {
  it("generated ids stay distinct v4 UUIDs across the generator's batches, every random digit varying", async () => {
    const ids = new Set<string>();
    // 128 ids are formatted per batch: 300 cross two refills.
    for (let i = 0; i < 300; i++) ids.add((await run({})).seen!);
    expect(ids.size).toBe(300);
    for (const id of ids) expect(id).toMatch(UUID);
    // Per position, the digits seen: fixed ones (dashes, version) one, random ones many.
    const digits = Array.from({ length: 36 }, (_, i) => new Set([...ids].map((id) => id[i])));
    expect(digits[14]).toEqual(new Set(['4']));
    expect(digits[19]!.size).toBe(4); // variant: 8, 9, a, b
    for (const i of [0, 7, 9, 15, 20, 35]) expect(digits[i]!.size).toBeGreaterThan(8);
  });

  it('generates a UUID v4, shows it to the handler and sets it on the response', async () => {
    const { res, seen } = await run({});
    expect(seen).toMatch(UUID);
    expect(res.headers.get('x-request-id')).toBe(seen);
  });

  it('generates a different id per request', async () => {
    const a = await run({});
    const b = await run({});
    expect(a.seen).not.toBe(b.seen);
  });

  it('reuses a valid incoming id', async () => {
    const { res, seen } = await run({}, { 'x-request-id': 'req-42_abc.DEF:9' });
    expect(seen).toBe('req-42_abc.DEF:9');
    expect(res.headers.getAll('x-request-id')).toEqual(['req-42_abc.DEF:9']);
  });

  it(`reuses ids of exactly ${MAX_REQUEST_ID_LENGTH} characters, replaces longer ones`, async () => {
    const max = 'a'.repeat(MAX_REQUEST_ID_LENGTH);
    expect((await run({}, { 'x-request-id': max })).seen).toBe(max);
    const { seen, res } = await run({}, { 'x-request-id': `${max}a` });
    expect(seen).toMatch(UUID);
    expect(res.headers.get('x-request-id')).toBe(seen);
  });

  it('replaces ids with spaces, control or non-ASCII characters, and empty ones', async () => {
    for (const bad of ['has space', 'tab\there', 'caf\u00e9', '\x7f', '']) {
      const { seen } = await run({}, { 'x-request-id': bad });
      expect(seen, JSON.stringify(bad)).toMatch(UUID);
    }
  });

  it('replaces a repeated header (a list is not one id)', async () => {
    const { seen, res } = await run({}, [
      ['x-request-id', 'a'],
      ['x-request-id', 'b'],
    ]);
    expect(seen).toMatch(UUID);
    expect(res.headers.getAll('x-request-id')).toEqual([seen]);
  });

  it('reuseIncoming: false always generates', async () => {
    const { seen } = await run({ reuseIncoming: false }, { 'x-request-id': 'client-picked' });
    expect(seen).toMatch(UUID);
  });

  it('uses a custom header (any case) and generator', async () => {
    let n = 0;
    const { res, seen } = await run({
      header: 'X-Correlation-ID',
      generator: (req) => `${req.method.toLowerCase()}-${++n}`,
    });
    expect(seen).toBe('get-1');
    expect(res.headers.get('x-correlation-id')).toBe('get-1');
    expect(res.headers.has('x-request-id')).toBe(false);
  });

  it('overwrites an id the handler put on the response', async () => {
    const mw = requestId();
    const req = createRequest({ method: 'GET', target: '/', headers: { 'x-request-id': 'in' } });
    const res = await mw.handle(req, () => ({
      status: 200,
      headers: new Headers({ 'x-request-id': 'other' }),
      body: null,
    }));
    expect(res.headers.getAll('x-request-id')).toEqual(['in']);
  });

  it('keeps a synchronous answer synchronous', () => {
    const mw = requestId();
    const res = mw.handle(createRequest({ method: 'GET', target: '/' }), () => ({
      status: 204,
      headers: new Headers(),
      body: null,
    }));
    expect(res).not.toBeInstanceOf(Promise);
    expect((res as Response).headers.get('x-request-id')).toMatch(UUID);
  });

  it('puts the id on an HttpError thrown by next(), sync or async', async () => {
    const mw = requestId();
    const req = createRequest({ method: 'GET', target: '/', headers: { 'x-request-id': 'e-1' } });
    const asyncErr = await Promise.resolve(
      mw.handle(req, async () => {
        throw new HttpError(403);
      }),
    ).catch((e: unknown) => e);
    expect((asyncErr as HttpError).headers.get('x-request-id')).toBe('e-1');
    let syncErr: unknown;
    try {
      mw.handle(req, () => {
        throw new HttpError(409);
      });
    } catch (e) {
      syncErr = e;
    }
    expect((syncErr as HttpError).headers.get('x-request-id')).toBe('e-1');
  });

  it("returns the handler's own promise, tagged before the caller sees it; a non-response passes through (issue #10)", async () => {
    const mw = requestId();
    const req = () => createRequest({ method: 'GET', target: '/' });
    const inner = Promise.resolve<Response>({ status: 200, headers: new Headers(), body: null });
    const res = mw.handle(req(), () => inner);
    expect(res).toBe(inner);
    expect((await res).headers.get('x-request-id')).toMatch(UUID);
    // No headers to tag: nothing thrown on the side (vitest fails on an unhandled rejection).
    const odd = Promise.resolve(null as unknown as Response);
    expect(await mw.handle(req(), () => odd)).toBeNull();
  });

  it('a generator returning an invalid id fails the request with a clear 500 error', async () => {
    const mw = requestId({ generator: () => 'not valid' });
    let caught: unknown;
    try {
      await mw.handle(createRequest({ method: 'GET', target: '/' }), () => ({
        status: 200,
        headers: new Headers(),
        body: null,
      }));
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_REQUEST_ID_INVALID_OPTIONS')).toBe(true);
    expect((caught as { status?: number }).status).toBe(500);
    expect((caught as Error).message).toMatch(/generator must return 1-200 visible ASCII/);
  });

  const bad: [string, unknown, RegExp][] = [
    ['header', { header: 'x request id' }, /header must be a header name/],
    ['empty header', { header: '' }, /header must be a header name/],
    ['generator', { generator: 'uuid' }, /generator must be a function/],
    ['reuseIncoming', { reuseIncoming: 'no' }, /reuseIncoming must be a boolean/],
  ];
  for (const [name, options, message] of bad) {
    it(`rejects a bad ${name}`, () => {
      let caught: unknown;
      try {
        requestId(options as RequestIdOptions);
      } catch (err) {
        caught = err;
      }
      expect(isRwsError(caught, 'RWS_MIDDLEWARE_REQUEST_ID_INVALID_OPTIONS')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    });
  }

  it('isValidRequestId', () => {
    expect(isValidRequestId('abc')).toBe(true);
    expect(isValidRequestId('!~')).toBe(true);
    expect(isValidRequestId('')).toBe(false);
    expect(isValidRequestId('a b')).toBe(false);
    expect(isValidRequestId('x'.repeat(201))).toBe(false);
  });
});
