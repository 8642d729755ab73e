import { Headers, type Response } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { exchange, start } from './helpers.js';

// Issue #10: the head of a small byte-body response (a proxied answer) is copied from the last
// one's bytes when its pieces repeat, and written as Latin-1. Every head on the wire must still be
// exactly its own, and a value beyond ASCII must keep its bytes (one octet per char).

const get = (path: string, version = '1.1'): string =>
  `GET ${path} HTTP/${version}\r\nhost: x\r\n\r\n`;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('byte-body response heads (issue #10)', () => {
  it('each pipelined response has its own status, fields and length', async () => {
    const shared = new Headers({ 'content-type': 'text/plain', 'x-a': '0' });
    let n = 0;
    const { port } = await start((req): Response => {
      n++;
      switch (req.path) {
        case '/same':
          return { status: 200, headers: new Headers({ 'x-k': 'v' }), body: bytes('same') };
        case '/longer':
          return { status: 200, headers: new Headers({ 'x-k': 'v' }), body: bytes('longer!') };
        case '/status':
          return { status: 404, headers: new Headers({ 'x-k': 'v' }), body: bytes('same') };
        case '/shared':
          // Changed in place between responses: a stale head would show the old value.
          shared.set('x-a', String(n));
          return { status: 200, headers: shared, body: bytes('shared') };
        case '/wide':
          return {
            status: 200,
            headers: new Headers({ 'x-k': 'v', 'x-text': 'caf\xe9 \xff' }),
            body: bytes('same'),
          };
        default:
          return {
            status: 200,
            headers: new Headers({ 'x-k': 'v', connection: 'close' }),
            body: bytes('bye'),
          };
      }
    });
    const paths = [
      '/same',
      '/same',
      '/same',
      '/longer',
      '/status',
      '/shared',
      '/shared',
      '/wide',
      '/wide',
      '/same',
      '/close',
    ];
    const result = await exchange(port, paths.map((p) => get(p)).join(''), {
      responses: paths.length,
    });
    const r = result.responses;
    expect(r.map((x) => x.body)).toEqual([
      'same',
      'same',
      'same',
      'longer!',
      'same',
      'shared',
      'shared',
      'same',
      'same',
      'same',
      'bye',
    ]);
    expect(r.map((x) => x.status)).toEqual([200, 200, 200, 200, 404, 200, 200, 200, 200, 200, 200]);
    expect(r.map((x) => x.headers['content-length'])).toEqual([
      '4',
      '4',
      '4',
      '7',
      '4',
      '6',
      '6',
      '4',
      '4',
      '4',
      '3',
    ]);
    expect(r[5]!.headers['x-a']).toBe('6');
    expect(r[6]!.headers['x-a']).toBe('7');
    // Beyond ASCII each char is its octet (E9, FF; read back here as Latin-1), twice in a row too.
    expect(r[7]!.headers['x-text']).toBe('caf\xe9 \xff');
    expect(r[8]!.headers['x-text']).toBe('caf\xe9 \xff');
    expect(r[9]!.headers['x-text']).toBeUndefined();
    for (const x of r) {
      expect(x.head.match(/\r\ndate: /g)).toHaveLength(1);
      expect(x.head.match(/\r\ncontent-length: /g)).toHaveLength(1);
    }
    expect(r.slice(0, -1).every((x) => x.headers['connection'] === undefined)).toBe(true);
    expect(r.at(-1)!.headers['connection']).toBe('close');
  });

  // A byte body (a proxied answer), an ASCII text body and a text body beyond ASCII (UTF-8):
  // the three ways the memo holds a written response.
  it.each([
    ['a byte body', (s: string): Response['body'] => bytes(s), (s: string) => s],
    ['an ASCII text body', (s: string): Response['body'] => s, (s: string) => s],
    [
      'a UTF-8 text body',
      (s: string): Response['body'] => `\u00e9${s}`,
      (s: string) => Buffer.from(`\u00e9${s}`).toString('latin1'),
    ],
  ])(
    'a last field whose value changes every response (a request id) gets its own value in a head otherwise repeated, with %s',
    async (_kind, makeBody, onWire) => {
      // The memo keeps the response around the last value as a hole: values of other lengths,
      // a value seen before, a different field before it, and a transport-owned field last
      // must all still produce exactly their own head.
      const cases: Record<string, [string, string][]> = {
        '/a': [['x-request-id', 'aaaaaaaa-1111']],
        '/b': [['x-request-id', 'b']],
        '/c': [['x-request-id', 'cccccccccccccccccccccccccccccccccccccccccccccccccc']],
        '/again': [['x-request-id', 'b']],
        '/wide': [['x-request-id', 'caf\xe9\xff']],
        '/lead': [
          ['x-other', 'o'],
          ['x-request-id', 'd'],
        ],
        '/owned': [
          ['x-request-id', 'e'],
          ['content-length', '99'],
        ],
        '/owned2': [
          ['x-request-id', 'ff'],
          ['content-length', '99'],
        ],
        '/name': [['x-trace-id', 'g']],
      };
      const { port } = await start((req): Response => {
        const headers = new Headers([['content-type', 'text/plain'], ...cases[req.path]!]);
        // One body for all: only the fields differ between consecutive responses.
        return { status: 200, headers, body: makeBody('body') };
      });
      const paths = [
        '/a',
        '/b',
        '/c',
        '/again',
        '/wide',
        '/a',
        '/lead',
        '/lead',
        '/a',
        '/owned',
        '/owned2',
        '/name',
        '/b',
      ];
      // Pipelined on one connection, then one at a time on another (each response written alone).
      const pipelined = (
        await exchange(port, paths.map((p) => get(p)).join(''), {
          responses: paths.length,
        })
      ).responses;
      const oneByOne = (
        await exchange(port, '', { parts: paths.map((p) => get(p)), responses: paths.length })
      ).responses;
      for (const r of [pipelined, oneByOne]) {
        expect(r.map((x) => x.body)).toEqual(paths.map(() => onWire('body')));
        r.forEach((x, i) => {
          const fields = cases[paths[i]!]!.filter(([name]) => name !== 'content-length');
          // The whole head, field by field, in order: status, the handler's fields, framing, date.
          const lines = x.head.split('\r\n');
          expect(lines[0]).toBe('HTTP/1.1 200 OK');
          expect(lines.slice(1, 2 + fields.length)).toEqual([
            'content-type: text/plain',
            ...fields.map(([name, value]) => `${name}: ${value}`),
          ]);
          expect(lines[2 + fields.length]).toBe(`content-length: ${x.body.length}`);
          expect(lines.filter((l) => l.startsWith('date: '))).toHaveLength(1);
          expect(lines.filter((l) => /^x-(request|trace)-id: /.test(l))).toHaveLength(1);
        });
      }
    },
  );

  it('an HTTP/1.0 request after HTTP/1.1 ones gets its own Connection field', async () => {
    const { port } = await start(
      (): Response => ({ status: 200, headers: new Headers({ 'x-k': 'v' }), body: bytes('b') }),
    );
    const one = await exchange(port, get('/') + get('/'), { responses: 2 });
    expect(one.responses.map((x) => x.headers['connection'])).toEqual([undefined, undefined]);
    const old = await exchange(port, 'GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n', {
      responses: 1,
    });
    expect(old.responses[0]!.headers['connection']).toBe('keep-alive');
    expect(old.responses[0]!.body).toBe('b');
    const again = await exchange(port, get('/'), { responses: 1 });
    expect(again.responses[0]!.headers['connection']).toBeUndefined();
  });
});
