import { Headers, type Response } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { exchange, start } from './helpers.js';

// Issue #11: the serialised fields of the previous response are reused where the next one
// repeats them. Every response on the wire must still carry exactly its own fields, whatever
// changes between responses: a value, a field added or removed, a shared Headers changed in
// place, and the transport-owned fields (Connection, Content-Length) in the middle.

const get = (path: string): string => `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;

describe('repeated response fields (issue #11)', () => {
  it('each response has its own fields, pipelined on one connection', async () => {
    // One Headers object changed in place between responses: a stale block would show.
    const shared = new Headers({ 'content-type': 'text/plain', 'x-a': '1' });
    let n = 0;
    const { port } = await start((req): Response => {
      n++;
      switch (req.path) {
        case '/shared':
          shared.set('x-a', String(n));
          return { status: 200, headers: shared, body: 'shared' };
        case '/more':
          return {
            status: 200,
            headers: new Headers({ 'content-type': 'text/plain', 'x-a': '1', 'x-b': 'b' }),
            body: 'more',
          };
        case '/fewer':
          return { status: 200, headers: new Headers({ 'content-type': 'text/plain' }), body: 'f' };
        case '/length':
          return {
            status: 200,
            headers: new Headers({ 'content-type': 'text/plain', 'content-length': '3' }),
            body: 'len',
          };
        default:
          return {
            status: 200,
            headers: new Headers({ 'content-type': 'text/plain', connection: 'close' }),
            body: 'bye',
          };
      }
    });
    const paths = [
      '/shared',
      '/shared',
      '/more',
      '/more',
      '/fewer',
      '/length',
      '/shared',
      '/close',
    ];
    const result = await exchange(port, paths.map(get).join(''), { responses: paths.length });
    const r = result.responses;
    expect(r.map((x) => x.body)).toEqual([
      'shared',
      'shared',
      'more',
      'more',
      'f',
      'len',
      'shared',
      'bye',
    ]);
    expect(r[0]!.headers['x-a']).toBe('1');
    expect(r[1]!.headers['x-a']).toBe('2');
    expect(r[2]!.headers['x-b']).toBe('b');
    expect(r[4]!.headers['x-a']).toBeUndefined();
    expect(r[4]!.headers['x-b']).toBeUndefined();
    expect(r[5]!.headers['content-length']).toBe('3');
    expect(r[6]!.headers['x-a']).toBe('7');
    // Each head has one Date and one Content-Length, and only the last asks to close.
    for (const x of r) {
      expect(x.head.match(/\r\ndate: /g)).toHaveLength(1);
      expect(x.head.match(/\r\ncontent-length: /g)).toHaveLength(1);
    }
    expect(r.slice(0, -1).every((x) => x.headers['connection'] === undefined)).toBe(true);
    expect(r[7]!.headers['connection']).toBe('close');
  });

  it('a last field that changes per response, then repeats, then gains fields after it', async () => {
    // Only the last field changing is the shape whose joined text is built lazily: every
    // order of the cases below must still put each response's own fields on the wire.
    let id = 0;
    const { port } = await start((req): Response => {
      const [, kind, value] = req.path.split('/');
      const headers = new Headers({ 'content-type': 'text/plain', 'x-id': value ?? '' });
      if (kind === 'more') headers.set('x-after', 'a');
      if (kind === 'date') headers.set('date', 'Thu, 01 Jan 1970 00:00:00 GMT');
      id++;
      return { status: 200, headers, body: kind === 'bytes' ? Buffer.from(`b${id}`) : `t${id}` };
    });
    const paths = [
      '/text/1',
      '/text/2',
      '/bytes/3',
      '/bytes/3',
      '/bytes/4',
      '/more/4',
      '/text/5',
      '/date/5',
      '/text/6',
      '/text/6',
    ];
    const result = await exchange(port, paths.map(get).join(''), { responses: paths.length });
    const r = result.responses;
    expect(r.map((x) => x.headers['x-id'])).toEqual(paths.map((p) => p.split('/')[2]));
    expect(r.map((x) => x.headers['x-after'])).toEqual(
      paths.map((p) => (p.startsWith('/more') ? 'a' : undefined)),
    );
    expect(r.map((x) => x.body)).toEqual(
      paths.map((p, i) => (p.startsWith('/bytes') ? `b${i + 1}` : `t${i + 1}`)),
    );
    for (const x of r) {
      expect(x.head.match(/\r\ncontent-type: /g)).toHaveLength(1);
      expect(x.head.match(/\r\ndate: /g)).toHaveLength(1);
    }
    expect(r[7]!.headers['date']).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
  });
});
