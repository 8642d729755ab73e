import { describe, expect, it } from 'vitest';
import {
  empty,
  encodeHeaderUrl,
  errorResponse,
  file,
  HttpError,
  html,
  isRwsError,
  json,
  RwsError,
  redirect,
  STATUS_CODES,
  statusText,
  stream,
  text,
} from '../src/index.js';

describe('json / text / html', () => {
  it('sets the content type with charset and the status', () => {
    const res = json({ a: 1 }, { status: 201 });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.body).toBe('{"a":1}');
    expect(json(undefined).body).toBe('null');
    expect(text('hi').headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(text('hi').status).toBe(200);
    expect(html('<p>').headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html('<p>').body).toBe('<p>');
  });

  it('keeps caller headers, and a caller content-type wins', () => {
    const res = json([], { headers: { 'Content-Type': 'application/problem+json', 'x-a': '1' } });
    expect(res.headers.getAll('content-type')).toEqual(['application/problem+json']);
    expect(res.headers.get('x-a')).toBe('1');
    const t = text('x', { headers: [['x-b', '2']] });
    expect(t.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(t.headers.get('x-b')).toBe('2');
  });

  it('returns independent, mutable headers each call', () => {
    const a = json(1);
    a.headers.set('x', '1');
    expect(json(1).headers.has('x')).toBe(false);
  });

  it('rejects invalid statuses', () => {
    expect(() => json(1, { status: 42 })).toThrow(
      expect.objectContaining({ code: 'RWS_CORE_INVALID_STATUS' }),
    );
    expect(() => text('x', { status: 200.5 })).toThrow(RwsError);
  });
});

describe('redirect', () => {
  it('defaults to 302 and sets Location only', () => {
    const res = redirect('/login');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login');
    expect(res.body).toBeNull();
    expect(redirect('https://x.test/', 308).status).toBe(308);
  });

  it('accepts only 3xx', () => {
    for (const status of [200, 299, 400, 301.5]) {
      expect(() => redirect('/', status)).toThrow(
        expect.objectContaining({ code: 'RWS_CORE_INVALID_STATUS' }),
      );
    }
  });

  it('percent-encodes a non-ASCII location as UTF-8 (header values are byte strings)', () => {
    expect(redirect('/caf\u00e9?q=\u20ac').headers.get('location')).toBe('/caf%C3%A9?q=%E2%82%AC');
    expect(redirect('https://x.test/\u{1f600}').headers.get('location')).toBe(
      'https://x.test/%F0%9F%98%80',
    );
    // Already encoded, or plain ASCII: unchanged (the same string).
    const ascii = '/a%20b?c=d#e';
    expect(redirect(ascii).headers.get('location')).toBe(ascii);
    expect(encodeHeaderUrl('/x\ud800y')).toBe('/x%EF%BF%BDy');
  });

  it('refuses a Location with CR/LF (header injection)', () => {
    expect(() => redirect('/a\r\nSet-Cookie: x=1')).toThrow(
      expect.objectContaining({ code: 'RWS_CORE_INVALID_HEADER' }),
    );
  });
});

describe('empty / stream / file', () => {
  it('empty defaults to 204', () => {
    expect(empty()).toMatchObject({ status: 204, body: null });
    expect(empty(205).status).toBe(205);
    expect(empty().headers.size).toBe(0);
  });

  it('stream passes the source through', () => {
    async function* gen() {
      yield new Uint8Array([1]);
    }
    const source = gen();
    const res = stream(source, { headers: { 'content-type': 'application/x-ndjson' } });
    expect(res.body).toBe(source);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(stream(new ReadableStream()).headers.has('content-type')).toBe(false);
  });

  it('file builds a FileBodyInit with the MIME type', () => {
    const res = file('/srv/www/app.js');
    expect(res.body).toEqual({ kind: 'file', path: '/srv/www/app.js' });
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const ranged = file('/srv/a.bin', { start: 10, end: 19, status: 206, contentType: 'x/y' });
    expect(ranged.body).toEqual({ kind: 'file', path: '/srv/a.bin', start: 10, end: 19 });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-type')).toBe('x/y');
    expect(file('/srv/unknown.zzz').headers.get('content-type')).toBe('application/octet-stream');
  });

  it('file rejects bad ranges', () => {
    for (const range of [{ start: -1 }, { start: 5, end: 4 }, { start: 1.5 }, { end: -2 }]) {
      expect(() => file('/a', range)).toThrow(
        expect.objectContaining({ code: 'RWS_CORE_INVALID_RANGE' }),
      );
    }
  });
});

describe('HttpError', () => {
  it('is an RwsError with code RWS_CORE_HTTP_ERROR and the reason as default message', () => {
    const err = new HttpError(404);
    expect(err).toBeInstanceOf(RwsError);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toBeInstanceOf(Error);
    expect(isRwsError(err, 'RWS_CORE_HTTP_ERROR')).toBe(true);
    expect(err.status).toBe(404);
    expect(err.message).toBe('Not Found');
    expect(err.name).toBe('HttpError');
    expect(err.expose).toBe(true);
    expect(new HttpError(503).expose).toBe(false);
    expect(new HttpError(500, 'db down', { expose: true }).expose).toBe(true);
    expect(new HttpError(499).message).toBe('HTTP 499');
  });

  it('carries headers and cause', () => {
    const cause = new Error('inner');
    const err = new HttpError(401, 'login', { headers: { 'WWW-Authenticate': 'Bearer' }, cause });
    expect(err.headers.get('www-authenticate')).toBe('Bearer');
    expect(err.cause).toBe(cause);
    expect(new HttpError(400).headers.size).toBe(0);
  });

  it('rejects non-error statuses', () => {
    for (const s of [200, 302, 600, 404.1]) {
      expect(() => new HttpError(s)).toThrow(
        expect.objectContaining({ code: 'RWS_CORE_INVALID_STATUS' }),
      );
    }
  });
});

describe('errorResponse', () => {
  it('exposes 4xx messages and hides 5xx and unknown errors', () => {
    const r = errorResponse(new HttpError(429, 'slow down', { headers: { 'retry-after': '5' } }));
    expect(r).toMatchObject({ status: 429, body: 'slow down' });
    expect(r.headers.get('retry-after')).toBe('5');
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(errorResponse(new HttpError(500, 'secret'))).toMatchObject({
      status: 500,
      body: 'Internal Server Error',
    });
    expect(errorResponse(new Error('secret'))).toMatchObject({
      status: 500,
      body: 'Internal Server Error',
    });
    expect(
      errorResponse(new RwsError('RWS_CORE_BODY_TOO_LARGE', 'too big', { status: 413 })),
    ).toMatchObject({
      status: 413,
      body: 'too big',
    });
    expect(errorResponse('a string')).toMatchObject({ status: 500 });
  });
});

describe('status table', () => {
  it('has the RFC 9110 reasons', () => {
    expect(statusText(200)).toBe('OK');
    expect(statusText(413)).toBe('Content Too Large');
    expect(statusText(422)).toBe('Unprocessable Content');
    expect(statusText(308)).toBe('Permanent Redirect');
    expect(statusText(103)).toBe('Early Hints');
    expect(statusText(299)).toBe('');
    const codes = Object.keys(STATUS_CODES).map(Number);
    expect(codes).toContain(511);
    expect(codes.length).toBeGreaterThanOrEqual(62);
    expect(Object.isFrozen(STATUS_CODES)).toBe(true);
  });
});
