/**
 * Response trailers (RFC 9110 §6.5, RFC 9112 §7.1.2): sent after a chunked body and announced
 * with `Trailer`; dropped where chunked framing is not available.
 */
import { request } from 'node:http';
import { Headers } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { exchange, start } from './helpers.js';

const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';

describe('response trailers', () => {
  it('announces them with Trailer and sends them after a chunked body', async () => {
    const { port } = await start(() => ({
      status: 200,
      headers: new Headers(),
      body: 'hello',
      trailers: new Headers([
        ['x-checksum', 'abc'],
        ['server-timing', 'db;dur=5'],
        ['x-checksum', 'def'],
      ]),
    }));
    const r = await exchange(port, GET, { responses: 1 });
    const res = r.responses[0]!;
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['trailer']).toBe('x-checksum, server-timing');
    expect(res.body).toBe('hello');
    expect(r.raw).toContain(
      '0\r\nx-checksum: abc\r\nserver-timing: db;dur=5\r\nx-checksum: def\r\n\r\n',
    );
  });

  it('keeps a Trailer field the handler set', async () => {
    const { port } = await start(() => ({
      status: 200,
      headers: new Headers({ trailer: 'x-a' }),
      body: 'x',
      trailers: new Headers({ 'x-a': '1' }),
    }));
    const r = await exchange(port, GET, { responses: 1 });
    expect(r.raw.match(/trailer:/gi)?.length).toBe(1);
    expect(r.raw).toContain('0\r\nx-a: 1\r\n\r\n');
  });

  it('drops trailers on HTTP/1.0 and with a Content-Length body', async () => {
    const { port } = await start((req) => ({
      status: 200,
      headers: new Headers(req.path === '/cl' ? { 'content-length': '5' } : {}),
      body:
        req.path === '/cl'
          ? (async function* () {
              yield Buffer.from('hello');
            })()
          : 'hello',
      trailers: new Headers({ 'x-a': '1' }),
    }));
    const r10 = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(r10.responses[0]!.body).toBe('hello');
    expect(r10.raw).not.toMatch(/trailer|x-a|chunked/i);
    const cl = await exchange(port, 'GET /cl HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 });
    expect(cl.responses[0]!.headers['content-length']).toBe('5');
    expect(cl.responses[0]!.body).toBe('hello');
    expect(cl.raw).not.toMatch(/trailer|x-a|chunked/i);
  });

  it('sends trailers filled in while a stream was sent, readable by node:http', async () => {
    const { port } = await start(() => {
      const trailers = new Headers();
      return {
        status: 200,
        headers: new Headers(),
        body: (async function* () {
          yield Buffer.from('part1;');
          yield Buffer.from('part2;');
          trailers.set('x-count', '2');
        })(),
        trailers,
      };
    });
    const got = await new Promise<{ body: string; trailers: Record<string, unknown> }>(
      (resolve, reject) => {
        const r = request({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () => resolve({ body, trailers: res.trailers }));
        });
        r.on('error', reject);
        r.end();
      },
    );
    expect(got).toEqual({ body: 'part1;part2;', trailers: { 'x-count': '2' } });
  });
});
