/**
 * Issue #9, one rule for error → response: a handler's thrown value is answered over the wire
 * exactly as core's `errorInfo` says (status, exposed message, the error's headers kept).
 */
import { HttpError, RwsError } from '@rws/core';
import { errorResponseCases } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { exchange, start } from './helpers.js';

const CASES = errorResponseCases({ HttpError, RwsError });

describe('handler errors over HTTP/1.1 (issue #9)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { port } = await start(() => {
      throw c.thrown();
    });
    const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 });
    const res = r.responses[0]!;
    expect(res.status).toBe(c.status);
    expect(res.body).toBe(`${c.message}\n`);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    for (const [name, value] of Object.entries(c.headers)) expect(res.headers[name]).toBe(value);
  });

  it('an error cannot override the framing of its own response', async () => {
    const { port } = await start(() => {
      throw new HttpError(400, 'bad', {
        headers: { 'content-length': '999', 'x-reason': 'r' },
      });
    });
    const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n', { responses: 1 });
    expect(r.responses[0]!.headers['content-length']).toBe('4');
    expect(r.responses[0]!.headers['x-reason']).toBe('r');
    expect(r.responses[0]!.body).toBe('bad\n');
  });
});
