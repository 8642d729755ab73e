/**
 * Parser-level tests of the shared codec pieces: the field parser and the chunked decoder,
 * fed directly (every split point, random chunking with fast-check).
 */

import { parseContentLength } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedDecoder } from '../src/internal/chunked-decoder.js';
import {
  CONN_CLOSE,
  CONN_KEEP_ALIVE,
  CONN_UPGRADE,
  classifyTransferEncoding,
  FieldSection,
  parseFieldSection,
  TE_CHUNKED,
  TE_CODINGS_THEN_CHUNKED,
  TE_INVALID,
  TE_NOT_CHUNKED,
} from '../src/internal/field-parser.js';

function fields(text: string, maxCount = 100): { err: string | null; section: FieldSection } {
  const buf = Buffer.from(text, 'latin1');
  const section = new FieldSection();
  const err = parseFieldSection(buf, 0, buf.length, maxCount, section);
  return { err, section };
}

describe('parseFieldSection', () => {
  it('lower-cases names, trims values and summarises framing fields', () => {
    const { err, section } = fields(
      'Host: example.com\r\nContent-Length:  12 \r\nConnection: Keep-Alive, Upgrade\r\nUpgrade: websocket\r\nExpect: 100-continue\r\nX-Empty:\r\n',
    );
    expect(err).toBeNull();
    expect(section.list).toEqual([
      'host',
      'example.com',
      'content-length',
      '12',
      'connection',
      'Keep-Alive, Upgrade',
      'upgrade',
      'websocket',
      'expect',
      '100-continue',
      'x-empty',
      '',
    ]);
    expect(section.contentLength).toBe(12);
    expect(section.connection).toBe(CONN_KEEP_ALIVE | CONN_UPGRADE);
    expect(section.host).toBe('example.com');
    expect(section.hostCount).toBe(1);
    expect(section.upgrade).toBe('websocket');
    expect(section.expect).toBe('100-continue');
  });

  it.each([
    ['obs-fold', 'A: b\r\n c\r\n', 'RWS_HTTP1_OBS_FOLD'],
    ['bare CR', 'A: b\rc\r\n', 'RWS_HTTP1_INVALID_LINE_ENDING'],
    ['bare LF', 'A: b\nC: d\r\n', 'RWS_HTTP1_INVALID_LINE_ENDING'],
    ['space before colon', 'A : b\r\n', 'RWS_HTTP1_INVALID_HEADER'],
    ['NUL', 'A: b\x00\r\n', 'RWS_HTTP1_INVALID_HEADER'],
    ['bad name', 'A(: b\r\n', 'RWS_HTTP1_INVALID_HEADER'],
    ['no colon', 'Abc\r\n', 'RWS_HTTP1_INVALID_HEADER'],
    [
      'CL differs',
      'Content-Length: 1\r\nContent-Length: 2\r\n',
      'RWS_HTTP1_INVALID_CONTENT_LENGTH',
    ],
    ['CL list', 'Content-Length: 1,1\r\n', 'RWS_HTTP1_INVALID_CONTENT_LENGTH'],
  ])('rejects %s', (_name, input, code) => {
    expect(fields(input).err).toBe(code);
  });

  it('enforces maxCount', () => {
    expect(fields('A: 1\r\nB: 2\r\nC: 3\r\n', 2).err).toBe('RWS_HTTP1_TOO_MANY_HEADERS');
    expect(fields('A: 1\r\nB: 2\r\n', 2).err).toBeNull();
  });

  it('parses Connection close', () => {
    expect(fields('Connection: close\r\n').section.connection).toBe(CONN_CLOSE);
  });

  it('classifies Transfer-Encoding', () => {
    expect(classifyTransferEncoding('chunked')).toBe(TE_CHUNKED);
    expect(classifyTransferEncoding(' CHUNKED ,')).toBe(TE_CHUNKED);
    expect(classifyTransferEncoding('gzip, chunked')).toBe(TE_CODINGS_THEN_CHUNKED);
    expect(classifyTransferEncoding('chunked, gzip')).toBe(TE_NOT_CHUNKED);
    expect(classifyTransferEncoding('gzip')).toBe(TE_NOT_CHUNKED);
    expect(classifyTransferEncoding('chunked, chunked')).toBe(TE_INVALID);
    expect(classifyTransferEncoding('')).toBe(TE_INVALID);
    expect(classifyTransferEncoding('g(zip, chunked')).toBe(TE_INVALID);
  });

  it('parses Content-Length strictly', () => {
    expect(parseContentLength('0')).toBe(0);
    expect(parseContentLength('123')).toBe(123);
    expect(parseContentLength('999999999999999')).toBe(999999999999999);
    for (const bad of ['', '-1', '+1', '1.0', '0x1', '1 ', '1e3', '1234567890123456']) {
      expect(parseContentLength(bad), bad).toBe(-1);
    }
  });

  it('never throws on random bytes and only returns known codes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buf = Buffer.concat([Buffer.from(bytes), Buffer.from('\r\n')]);
        const section = new FieldSection();
        const err = parseFieldSection(buf, 0, buf.length, 100, section);
        if (err !== null) expect(err).toMatch(/^RWS_HTTP1_[A-Z_]+$/);
        else
          for (let i = 0; i < section.list.length; i += 2)
            expect(section.list[i]).toBe(section.list[i]!.toLowerCase());
      }),
      { numRuns: 500 },
    );
  });
});

/** Decodes `input` fed in the given pieces; returns the body, trailers, error and leftover. */
function decodeInPieces(pieces: Buffer[]) {
  const decoder = new ChunkedDecoder({ maxTrailerBytes: 1024 });
  const out: Uint8Array[] = [];
  let leftover = '';
  for (const piece of pieces) {
    if (decoder.isDone) {
      leftover += piece.toString('latin1');
      continue;
    }
    const next = decoder.decode(piece, 0, out);
    if (next === -1) break;
    if (decoder.isDone) leftover += piece.subarray(next).toString('latin1');
  }
  return {
    body: Buffer.concat(out).toString('latin1'),
    error: decoder.error,
    isDone: decoder.isDone,
    trailers: decoder.trailers,
    leftover,
  };
}

const CHUNKED_CASES: [string, string, { body?: string; error?: string; trailers?: string[] }][] = [
  ['one chunk', '5\r\nhello\r\n0\r\n\r\nNEXT', { body: 'hello' }],
  ['two chunks', '2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\nNEXT', { body: 'hello' }],
  ['upper-case hex', 'A\r\n0123456789\r\n0\r\n\r\nNEXT', { body: '0123456789' }],
  ['extensions', '5;a=1;b="x;y"\r\nhello\r\n0;z\r\n\r\nNEXT', { body: 'hello' }],
  [
    'trailers',
    '1\r\nx\r\n0\r\nX-A: 1\r\nX-B:  2 \r\n\r\nNEXT',
    { body: 'x', trailers: ['x-a', '1', 'x-b', '2'] },
  ],
  ['no digits', '\r\nx\r\n0\r\n\r\n', { error: 'RWS_HTTP1_INVALID_CHUNK' }],
  ['bad digit', 'g\r\n', { error: 'RWS_HTTP1_INVALID_CHUNK' }],
  ['too many digits', '00000000000000001\r\nx\r\n', { error: 'RWS_HTTP1_INVALID_CHUNK' }],
  ['missing CRLF after data', '1\r\nxy0\r\n\r\n', { error: 'RWS_HTTP1_INVALID_CHUNK' }],
  ['bare LF after size', '1\nx\r\n0\r\n\r\n', { error: 'RWS_HTTP1_INVALID_CHUNK' }],
  ['space without extension', '1 \r\nx\r\n0\r\n\r\n', { error: 'RWS_HTTP1_INVALID_CHUNK' }],
  ['bad trailer', '0\r\nBad Name: x\r\n\r\n', { error: 'RWS_HTTP1_INVALID_HEADER' }],
  [
    'oversized trailers',
    `0\r\nX: ${'a'.repeat(2000)}\r\n\r\n`,
    { error: 'RWS_HTTP1_HEADERS_TOO_LARGE' },
  ],
];

describe('ChunkedDecoder', () => {
  it.each(CHUNKED_CASES)('%s, at every split point', (_name, input, expected) => {
    const bytes = Buffer.from(input, 'latin1');
    for (let i = 0; i <= bytes.length; i++) {
      const r = decodeInPieces([bytes.subarray(0, i), bytes.subarray(i)]);
      if (expected.error !== undefined) {
        expect(r.error, `split ${i}`).toBe(expected.error);
      } else {
        expect(r.error, `split ${i}`).toBeNull();
        expect(r.isDone).toBe(true);
        expect(r.body).toBe(expected.body);
        expect(r.leftover).toBe('NEXT');
        expect(r.trailers).toEqual(expected.trailers ?? []);
      }
    }
  });

  it('decodes randomly chunked random bodies (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (chunks, cuts) => {
          const parts: Buffer[] = [];
          for (const c of chunks)
            parts.push(
              Buffer.from(`${c.length.toString(16)}\r\n`),
              Buffer.from(c),
              Buffer.from('\r\n'),
            );
          parts.push(Buffer.from('0\r\n\r\n'));
          const wire = Buffer.concat(parts);
          const pieces: Buffer[] = [];
          let pos = 0;
          let k = 0;
          while (pos < wire.length) {
            const n = cuts[k++ % cuts.length]!;
            pieces.push(wire.subarray(pos, pos + n));
            pos += n;
          }
          const r = decodeInPieces(pieces);
          expect(r.error).toBeNull();
          expect(r.isDone).toBe(true);
          expect(r.body).toBe(Buffer.concat(chunks.map((c) => Buffer.from(c))).toString('latin1'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws or loops on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const decoder = new ChunkedDecoder();
        const out: Uint8Array[] = [];
        const next = decoder.decode(Buffer.from(bytes), 0, out);
        expect(next === -1 || next <= bytes.length).toBe(true);
        if (next === -1) expect(decoder.error).not.toBeNull();
      }),
      { numRuns: 1000 },
    );
  });
});

describe('H1Request', () => {
  it.each([
    ['/a/b?x=1', '/a/b', 'x=1'],
    ['/a', '/a', ''],
    ['/?', '/', ''],
    ['http://h.example/p/q?z', '/p/q', 'z'],
    ['http://h.example', '/', ''],
    ['http://h.example?x', '/', 'x'],
    ['*', '*', ''],
    ['h.example:443', '', ''],
  ])('splits %s into path %s and search %s', async (target, path, search) => {
    const { H1Request } = await import('../src/internal/h1-request.js');
    const { Body, Headers } = await import('@rws/core');
    const conn = {
      id: 1,
      remoteAddress: '',
      remotePort: 0,
      localAddress: '',
      localPort: 0,
      tls: null,
    };
    const req = new H1Request('GET', target, new Headers(), Body.empty(), 'http/1.1', conn);
    expect(req.path).toBe(path);
    expect(req.search).toBe(search);
    expect(req.signal.aborted).toBe(false);
    req.abort(new Error('gone'));
    expect(req.signal.aborted).toBe(true);
    expect(req.isAborted).toBe(true);
  });

  it('creates an already-aborted signal when aborted before anyone looked', async () => {
    const { H1Request } = await import('../src/internal/h1-request.js');
    const { Body, Headers } = await import('@rws/core');
    const conn = {
      id: 1,
      remoteAddress: '',
      remotePort: 0,
      localAddress: '',
      localPort: 0,
      tls: null,
    };
    const req = new H1Request('GET', '/', new Headers(), Body.empty(), 'http/1.1', conn);
    const reason = new Error('gone');
    req.abort(reason);
    expect(req.signal.aborted).toBe(true);
    expect(req.signal.reason).toBe(reason);
  });
});
