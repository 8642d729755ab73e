import { compose, createRequest, Headers, text } from '@rws/core';
import { rewrite } from '@rws/middleware/rewrite';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

const echo = (req: Parameters<Parameters<typeof compose>[1]>[0]) =>
  text(`${req.target} ${req.headers.get('x-set') ?? '-'} ${req.headers.get('x-gone') ?? '-'}`);

async function run(
  options: Parameters<typeof rewrite>[0],
  target: string,
  headers: Record<string, string> = {},
) {
  const res = await compose(
    [rewrite(options)],
    echo,
  )(createRequest({ method: 'GET', target, headers }));
  return res;
}

describe('rewrite: request rules', () => {
  it('prefix strip and add keep the query; strip only at a segment boundary', async () => {
    const rules = {
      request: [
        { type: 'stripPrefix', prefix: '/api' },
        { type: 'addPrefix', prefix: '/v2' },
      ],
    } as const;
    expect((await run(rules, '/api/users?x=1')).body).toBe('/v2/users?x=1 - -');
    expect((await run(rules, '/api')).body).toBe('/v2/ - -');
    expect((await run(rules, '/apix/users')).body).toBe('/v2/apix/users - -');
  });

  it('regex with capture groups, nginx query handling, and redirects', async () => {
    const r = {
      request: [{ type: 'regex', pattern: '^/u/(\\d+)$', replacement: '/users/$1' }],
    } as const;
    expect((await run(r, '/u/42?full=1')).body).toBe('/users/42?full=1 - -');
    expect((await run(r, '/u/abc')).body).toBe('/u/abc - -');
    const q = {
      request: [{ type: 'regex', pattern: '^/p/(.+)$', replacement: '/page?name=$1' }],
    } as const;
    expect((await run(q, '/p/home?x=1')).body).toBe('/page?name=home&x=1 - -');
    const redirect = {
      request: [
        {
          type: 'regex',
          pattern: '^/old/(.*)$',
          replacement: 'https://example.com/new/$1',
          redirect: 301,
        },
      ],
    } as const;
    const res = await run(redirect, '/old/a/b');
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe('https://example.com/new/a/b');
  });

  it('headers and URI set, over a socket', async () => {
    const port = await serveHandler(
      compose(
        [
          rewrite({
            request: [
              { type: 'setHeader', name: 'X-Set', value: 'yes' },
              { type: 'removeHeader', name: 'x-gone' },
              { type: 'setUri', value: '/fixed?a=b' },
            ],
            response: [
              { type: 'setHeader', name: 'x-powered-by', value: 'rws' },
              { type: 'removeHeader', name: 'x-internal' },
              { type: 'status', code: 203 },
            ],
          }),
        ],
        (req) => {
          const res = echo(req);
          res.headers.set('x-internal', 'secret');
          return res;
        },
      ),
    );
    const res = await httpCall(port, '/anything', { headers: { 'x-gone': 'bye' } });
    expect(res.status).toBe(203);
    expect(res.body).toBe('/fixed?a=b yes -');
    expect(res.headers['x-powered-by']).toBe('rws');
    expect(res.headers['x-internal']).toBeUndefined();
  });
});

describe('rewrite: streamed body replace', () => {
  it('replaces across chunk boundaries, over a socket', async () => {
    async function* chunks() {
      for (const part of ['hello wor', 'ld, wo', 'rld! world', '']) yield Buffer.from(part);
    }
    const port = await serveHandler(
      compose(
        [rewrite({ response: [{ type: 'replaceBody', from: 'world', to: 'there' }] })],
        () => ({
          status: 200,
          headers: new Headers({ 'content-type': 'text/plain' }),
          body: chunks(),
        }),
      ),
    );
    const res = await httpCall(port, '/');
    expect(res.body).toBe('hello there, there! there');
  });

  it('leaves encoded bodies alone and drops a stale Content-Length', async () => {
    const mw = rewrite({ response: [{ type: 'replaceBody', from: 'a', to: 'bb' }] });
    const gz = await compose([mw], () => ({
      status: 200,
      headers: new Headers({ 'content-encoding': 'gzip' }),
      body: 'aaa',
    }))(createRequest({ method: 'GET', target: '/' }));
    expect(gz.body).toBe('aaa');
    const plain = await compose([mw], () => ({
      status: 200,
      headers: new Headers({ 'content-length': '3' }),
      body: 'aaa',
    }))(createRequest({ method: 'GET', target: '/' }));
    expect(plain.headers.get('content-length')).toBeNull();
    let out = '';
    for await (const c of plain.body as AsyncIterable<Uint8Array>) out += Buffer.from(c).toString();
    expect(out).toBe('bbbbbb');
  });
});

describe('rewrite options', () => {
  it.each([
    [{ request: [{ type: 'nope' }] }, /request\[0\]\.type/],
    [{ request: [{ type: 'regex', pattern: '(', replacement: '/' }] }, /pattern/],
    [{ request: [{ type: 'setHeader', name: 'bad name', value: 'x' }] }, /header name/],
    [{ request: [{ type: 'setHeader', name: 'x', value: 'a\r\nb' }] }, /CR, LF/],
    // Header values are byte strings: refused when the middleware is built, not per request.
    [{ response: [{ type: 'setHeader', name: 'x', value: '5 \u20ac' }] }, /above U\+00FF/],
    [{ request: [{ type: 'stripPrefix', prefix: 'api' }] }, /starting with/],
    [{ response: [{ type: 'status', code: 99 }] }, /code/],
    [{ response: [{ type: 'replaceBody', from: '', to: 'x' }] }, /from/],
    [{ request: [{ type: 'regex', pattern: 'a', replacement: '/b', redirect: 200 }] }, /redirect/],
  ])('rejects %j', (options, message) => {
    expect(() => rewrite(options as never)).toThrow(message);
  });
});
