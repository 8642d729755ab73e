/**
 * Issue #9, one request-target splitter: the HTTP/1.1 server's `req.path`/`req.search` are
 * core's `splitTarget` for every target form it accepts.
 */
import { Body, IN_PROCESS_CONNECTION as CONN, Headers } from '@rws/core';
import { REQUEST_TARGET_CASES } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { H1Request } from '../src/internal/h1-request.js';
import { exchange, start } from './helpers.js';

const isAuthorityForm = (target: string): boolean =>
  target !== '*' && !target.startsWith('/') && !target.includes('://');

describe('request-target splitting over HTTP/1.1 (issue #9)', () => {
  it.each(REQUEST_TARGET_CASES.map((c) => [...c]))('H1Request: %s', (target, path, search) => {
    const req = new H1Request('GET', target, new Headers(), Body.empty(), 'http/1.1', CONN);
    expect([req.path, req.search]).toEqual([path, search]);
  });

  // Authority-form is for CONNECT, which the server answers 501 until a handler can take a
  // tunnel; H1Request above covers it.
  it.each(REQUEST_TARGET_CASES.filter((c) => !isAuthorityForm(c[0])).map((c) => [...c]))(
    'over the wire: %s',
    async (target, path, search) => {
      const { port } = await start((req) => ({
        status: 200,
        headers: new Headers(),
        body: JSON.stringify([req.path, req.search]),
      }));
      const method = target === '*' ? 'OPTIONS' : 'GET';
      const r = await exchange(port, `${method} ${target} HTTP/1.1\r\nHost: a\r\n\r\n`, {
        responses: 1,
      });
      expect(r.responses[0]!.status).toBe(200);
      expect(JSON.parse(r.responses[0]!.body)).toEqual([path, search]);
    },
  );
});
