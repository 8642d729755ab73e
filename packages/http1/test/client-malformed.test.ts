/**
 * Raw node:net servers write malformed responses; each must fail with the right code and a
 * message naming the problem, and the socket must be dropped. Valid responses are also replayed
 * split at every byte to check the incremental parser.
 */
import { isRwsError } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ResponseParser } from '../src/internal/response-parser.js';
import { createPool } from '../src/pool.js';
import { onRequestHeads, rawServer, rejection } from './client-helpers.js';

interface Case {
  name: string;
  response: string;
  code: string;
  message: string;
}

const INVALID = 'RWS_HTTP1_INVALID_RESPONSE';

const CASES: Case[] = [
  {
    name: 'both content-length and transfer-encoding',
    response:
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    code: INVALID,
    message: 'both content-length and transfer-encoding',
  },
  {
    name: 'differing content-length values',
    response: 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!',
    code: INVALID,
    message: 'content-length',
  },
  {
    name: 'content-length with a sign',
    response: 'HTTP/1.1 200 OK\r\ncontent-length: +5\r\n\r\nhello',
    code: INVALID,
    message: 'content-length',
  },
  {
    name: 'content-length list',
    response: 'HTTP/1.1 200 OK\r\ncontent-length: 5, 5\r\n\r\nhello',
    code: INVALID,
    message: 'content-length',
  },
  {
    name: 'content-length too large',
    response: 'HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999\r\n\r\n',
    code: INVALID,
    message: 'content-length',
  },
  {
    name: 'obs-fold',
    response: 'HTTP/1.1 200 OK\r\nx-a: 1\r\n  folded\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'obs-fold',
  },
  {
    name: 'bare CR in a header value',
    response: 'HTTP/1.1 200 OK\r\nx-a: a\rb\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'bare CR',
  },
  {
    name: 'bare LF line ending',
    response: 'HTTP/1.1 200 OK\nx-a: 1\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'bare LF',
  },
  {
    name: 'space before the colon',
    response: 'HTTP/1.1 200 OK\r\ncontent-length : 0\r\n\r\n',
    code: INVALID,
    message: 'whitespace before the colon',
  },
  {
    name: 'invalid token character in a field name',
    response: 'HTTP/1.1 200 OK\r\nx(a): 1\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'bad name character',
  },
  {
    name: 'NUL in a header value',
    response: 'HTTP/1.1 200 OK\r\nx-a: a\u0000b\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'control character',
  },
  {
    name: 'transfer-encoding not ending in chunked',
    response: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, gzip\r\n\r\nhello',
    code: INVALID,
    message: 'does not end in chunked',
  },
  {
    name: 'chunked twice',
    response: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked, chunked\r\n\r\n0\r\n\r\n',
    code: INVALID,
    message: 'malformed transfer-encoding',
  },
  {
    name: 'transfer-encoding in HTTP/1.0',
    response: 'HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n',
    code: INVALID,
    message: 'HTTP/1.0',
  },
  {
    name: 'non-hex chunk size',
    response: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    code: INVALID,
    message: 'chunk',
  },
  {
    name: 'chunk size overflow',
    response:
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffffffff\r\nhello\r\n0\r\n\r\n',
    code: INVALID,
    message: 'chunk',
  },
  {
    name: 'negative chunk size',
    response: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n',
    code: INVALID,
    message: 'chunk',
  },
  {
    name: 'chunk data not followed by CRLF',
    response: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nhelloXX\r\n0\r\n\r\n',
    code: INVALID,
    message: 'chunk',
  },
  {
    name: 'malformed status line',
    response: 'HTTP/1.1 OK\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'status',
  },
  {
    name: 'HTTP/2.0 status line',
    response: 'HTTP/2.0 200 OK\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'malformed status line',
  },
  {
    name: 'status code 700',
    response: 'HTTP/1.1 700 Weird\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'invalid status code',
  },
  {
    name: 'not HTTP at all',
    response: 'SSH-2.0-OpenSSH_9.6\r\n\r\n',
    code: INVALID,
    message: 'malformed status line',
  },
  {
    name: 'unexpected 101',
    response: 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n',
    code: INVALID,
    message: '101',
  },
  {
    name: 'control character in the reason phrase',
    response: 'HTTP/1.1 200 O\u0001K\r\ncontent-length: 0\r\n\r\n',
    code: INVALID,
    message: 'reason phrase',
  },
  {
    name: 'header section too large',
    response: `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(20_000)}\r\ncontent-length: 0\r\n\r\n`,
    code: 'RWS_HTTP1_RESPONSE_TOO_LARGE',
    message: 'maxResponseHeaderBytes',
  },
  {
    name: 'trailer section too large',
    response: `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\nx-t: ${'a'.repeat(20_000)}\r\n\r\n`,
    code: 'RWS_HTTP1_RESPONSE_TOO_LARGE',
    message: 'maxResponseHeaderBytes',
  },
  {
    name: 'truncated content-length body',
    response: 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc',
    code: 'RWS_HTTP1_SOCKET_CLOSED',
    message: '7 of 10 body bytes missing',
  },
  {
    name: 'truncated chunked body',
    response: 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab',
    code: 'RWS_HTTP1_SOCKET_CLOSED',
    message: 'chunked',
  },
  {
    name: 'truncated head',
    response: 'HTTP/1.1 200 OK\r\ncontent-len',
    code: 'RWS_HTTP1_SOCKET_CLOSED',
    message: 'response head',
  },
];

describe('malformed responses from raw servers', () => {
  it.each(CASES)('$name → $code', async ({ response, code, message }) => {
    const { origin } = await rawServer((socket) => {
      onRequestHeads(socket, () => socket.end(response, 'latin1'));
    });
    const pool = createPool(origin);
    // The error surfaces either from request() (head problems) or from reading the body.
    const err = await rejection(pool.request({}).then((res) => res.body.text()));
    expect(isRwsError(err, code), `${err.message} (${err.code})`).toBe(true);
    expect(err.message).toContain(message);
    await vi.waitFor(() => expect(pool.stats.connected).toBe(0));
    await pool.close();
  });

  it('bytes after a complete response drop the socket (no pipelining)', async () => {
    const { origin, connections } = await rawServer((socket) => {
      onRequestHeads(socket, () =>
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n'),
      );
    });
    const pool = createPool(origin);
    expect(await (await pool.request({})).body.text()).toBe('ok');
    expect(await (await pool.request({})).body.text()).toBe('ok');
    expect(connections()).toBe(2);
    await pool.close();
  });
});

describe('malformed responses split at random points fail the same way', () => {
  /** Feeds `bytes` in the given pieces; returns the error code, or 'ok' / 'incomplete'. */
  function outcome(bytes: Buffer, cuts: number[]): string {
    let done = false;
    const parser = new ResponseParser(
      {
        onInformational: () => {},
        onHead: () => {},
        onBody: () => {},
        onComplete: () => {
          done = true;
        },
      },
      { maxHeaderBytes: 16_384, isHeadRequest: false },
    );
    let prev = 0;
    try {
      for (const cut of [...cuts.sort((a, b) => a - b), bytes.length]) {
        if (cut > prev) parser.execute(bytes.subarray(prev, cut));
        prev = Math.max(prev, cut);
        if (done) break;
      }
      const err = done ? null : parser.finish();
      return err === null ? 'ok' : (err as Error & { code: string }).code;
    } catch (err) {
      return (err as Error & { code: string }).code;
    }
  }

  it.each(CASES)('$name', ({ response, code }) => {
    const bytes = Buffer.from(response, 'latin1');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 8 }), (cuts) => {
        expect(outcome(bytes, cuts)).toBe(code);
      }),
      { numRuns: 60 },
    );
  });
});

describe('response parser: every split point', () => {
  const VALID = [
    'HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 11\r\nx-a:  spaced value \t\r\n\r\nhello world',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: t\r\n\r\n',
    'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\nB\r\nhello world\r\n0\r\n\r\n',
    'HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 11\r\n\r\nhello world',
  ];

  function parse(parts: Buffer[]): {
    body: string;
    info: number[];
    trailers: string[] | null;
    done: boolean;
  } {
    let body = '';
    const info: number[] = [];
    let trailers: string[] | null = null;
    let done = false;
    const parser = new ResponseParser(
      {
        onInformational: (status) => info.push(status),
        onHead: () => {},
        onBody: (chunk) => {
          body += chunk.toString('latin1');
        },
        onComplete: (t, hasExtra) => {
          expect(hasExtra).toBe(false);
          trailers = t;
          done = true;
        },
      },
      { maxHeaderBytes: 16_384, isHeadRequest: false },
    );
    for (const p of parts) parser.execute(p);
    return { body, info, trailers, done };
  }

  it.each(VALID.map((v, i) => [i, v] as const))('valid response %i', (_i, text) => {
    const bytes = Buffer.from(text, 'latin1');
    const whole = parse([bytes]);
    expect(whole.done).toBe(true);
    expect(whole.body).toBe('hello world');
    for (let i = 1; i < bytes.length; i++) {
      expect(parse([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
    }
    const bytewise = [...bytes].map((b) => Buffer.from([b]));
    expect(parse(bytewise)).toEqual(whole);
  });

  it('reports trailers and interim responses', () => {
    const r = parse([Buffer.from(VALID[1]!, 'latin1')]);
    expect(r.trailers).toEqual(['x-trailer', 't']);
    expect(parse([Buffer.from(VALID[0]!, 'latin1')]).info).toEqual([103]);
  });
});
