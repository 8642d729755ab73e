/**
 * Trailers known only at the end (issue #9): a response's `trailers` may be a function the
 * server calls after the last body byte, and the client sends request trailers. Peers: raw
 * sockets reading the chunked trailer section, and node:http reading `trailers`.
 */

import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { Headers, isRwsError } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { createPool } from '../src/pool.js';
import { httpServer, rejection } from './client-helpers.js';
import { exchange, start } from './helpers.js';

const GET = 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';

/** A streamed body whose digest is only known once it has been produced. */
function digestedStream() {
  const hash = createHash('sha256');
  let isDone = false;
  const body = (async function* () {
    for (const part of ['alpha;', 'beta;', 'gamma;']) {
      const bytes = Buffer.from(part);
      hash.update(bytes);
      yield bytes;
    }
    isDone = true;
  })();
  const trailers = () => {
    // Called after the body: the digest covers every byte sent.
    if (!isDone) throw new Error('trailers asked for before the body ended');
    return new Headers({ 'x-digest': hash.digest('hex'), 'grpc-status': '0' });
  };
  return { body, trailers };
}

const DIGEST = createHash('sha256').update('alpha;beta;gamma;').digest('hex');

describe('late response trailers (issue #9)', () => {
  it('calls the trailers function after the body and writes its fields after the last chunk', async () => {
    const { port } = await start(() => {
      const { body, trailers } = digestedStream();
      return {
        status: 200,
        headers: new Headers({ trailer: 'x-digest, grpc-status' }),
        body,
        trailers,
      };
    });
    const r = await exchange(port, GET);
    expect(r.responses[0]!.headers['transfer-encoding']).toBe('chunked');
    expect(r.responses[0]!.headers['trailer']).toBe('x-digest, grpc-status');
    expect(r.raw.endsWith(`\r\n0\r\nx-digest: ${DIGEST}\r\ngrpc-status: 0\r\n\r\n`)).toBe(true);
  });

  it('chunks an in-memory body too, and a function resolving null ends with the bare last chunk', async () => {
    const { port } = await start((req) => ({
      status: 200,
      headers: new Headers(),
      body: 'hello',
      trailers: async () => (req.path === '/none' ? null : new Headers({ 'x-late': 'yes' })),
    }));
    const r = await exchange(port, GET);
    expect(r.raw).toContain('transfer-encoding: chunked\r\n');
    expect(r.raw).not.toMatch(/\r\ntrailer:/i);
    expect(r.raw.endsWith('5\r\nhello\r\n0\r\nx-late: yes\r\n\r\n')).toBe(true);
    const none = await exchange(port, 'GET /none HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(none.raw.endsWith('5\r\nhello\r\n0\r\n\r\n')).toBe(true);
  });

  it('sends trailers (late or not) of a response without a body in the last chunk', async () => {
    const { port } = await start((req) => ({
      status: 200,
      headers: new Headers(),
      body: null,
      trailers:
        req.path === '/late' ? () => new Headers({ 'x-a': 'late' }) : new Headers({ 'x-a': 'now' }),
    }));
    const late = await exchange(port, 'GET /late HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(late.raw.endsWith('\r\n\r\n0\r\nx-a: late\r\n\r\n')).toBe(true);
    const now = await exchange(port, GET);
    expect(now.raw).toContain('trailer: x-a\r\n');
    expect(now.raw.endsWith('\r\n\r\n0\r\nx-a: now\r\n\r\n')).toBe(true);
  });

  it('a trailers function that throws leaves the body unterminated (the peer sees it incomplete)', async () => {
    const errors: unknown[] = [];
    const { port } = await start(
      () => ({
        status: 200,
        headers: new Headers(),
        body: 'partial',
        trailers: () => {
          throw new Error('upstream reset');
        },
      }),
      { onError: (err) => errors.push(err) },
    );
    const r = await exchange(port, GET);
    expect(r.closed).toBe(true);
    expect(r.raw).toContain('7\r\npartial\r\n');
    expect(r.raw).not.toContain('0\r\n\r\n');
    expect((errors[0] as Error).message).toBe('upstream reset');
  });

  it('node:http reads the late trailers as res.trailers', async () => {
    const { port } = await start(() => {
      const { body, trailers } = digestedStream();
      return { status: 200, headers: new Headers({ trailer: 'x-digest' }), body, trailers };
    });
    const got = await new Promise<{ body: string; trailers: NodeJS.Dict<string> }>(
      (resolve, reject) => {
        http
          .get({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              body += d;
            });
            res.on('end', () => resolve({ body, trailers: res.trailers }));
          })
          .on('error', reject);
      },
    );
    expect(got.body).toBe('alpha;beta;gamma;');
    expect(got.trailers).toEqual({ 'x-digest': DIGEST, 'grpc-status': '0' });
  });
});

describe('client request trailers (issue #9)', () => {
  function trailerEcho() {
    return httpServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.end(
        JSON.stringify({
          body,
          te: req.headers['transfer-encoding'] ?? null,
          trailer: req.headers.trailer ?? null,
          trailers: req.trailers,
        }),
      );
    });
  }

  it('node:http reads fixed trailers of an in-memory body, announced with Trailer', async () => {
    const { origin } = await trailerEcho();
    const pool = createPool(origin);
    const res = await pool.request({
      method: 'POST',
      body: 'payload',
      trailers: new Headers({ 'x-checksum': 'abc' }),
    });
    expect(await res.body.json()).toEqual({
      body: 'payload',
      te: 'chunked',
      trailer: 'x-checksum',
      trailers: { 'x-checksum': 'abc' },
    });
    await pool.close();
  });

  it('node:http reads trailers produced after a streamed body, on a reused socket', async () => {
    const { origin, connections } = await trailerEcho();
    const pool = createPool(origin);
    for (let i = 0; i < 2; i++) {
      const { body, trailers } = digestedStream();
      const res = await pool.request({ method: 'PUT', body, trailers });
      expect(await res.body.json()).toEqual({
        body: 'alpha;beta;gamma;',
        te: 'chunked',
        trailer: null,
        trailers: { 'x-digest': DIGEST, 'grpc-status': '0' },
      });
    }
    expect(connections()).toBe(1);
    await pool.close();
  });

  it('refuses trailers with a content-length, and a failing trailers function fails the request', async () => {
    const { origin } = await trailerEcho();
    const pool = createPool(origin);
    const invalid = await rejection(
      pool.request({
        method: 'POST',
        body: 'x',
        headers: { 'content-length': '1' },
        trailers: new Headers({ 'x-a': '1' }),
      }),
    );
    expect(isRwsError(invalid, 'RWS_HTTP1_INVALID_REQUEST_OPTIONS')).toBe(true);
    const failed = await rejection(
      pool.request({
        method: 'POST',
        body: 'x',
        trailers: () => {
          throw new Error('no digest');
        },
      }),
    );
    expect(isRwsError(failed, 'RWS_HTTP1_REQUEST_BODY_FAILED'), failed.message).toBe(true);
    await pool.close();
  });

  it('exposes response trailers after the body', async () => {
    const { origin } = await httpServer((_req, res) => {
      res.writeHead(200, { trailer: 'x-end' });
      res.write('body');
      res.addTrailers({ 'x-end': 'done' });
      res.end();
    });
    const pool = createPool(origin);
    const res = await pool.request({});
    expect(await res.body.text()).toBe('body');
    expect(res.trailers?.get('x-end')).toBe('done');
    await pool.close();
  });
});
