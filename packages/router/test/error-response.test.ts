/**
 * Issue #9, one rule for error → response: the App answers a thrown value as core's
 * `errorInfo` says (status, exposed message, the error's headers kept), in process and over
 * HTTP/1.1.
 */
import { HttpError, RwsError } from '@rws/core';
import { createServer } from '@rws/http1';
import { errorResponseCases } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createApp } from '../src/index.js';

const CASES = errorResponseCases({ HttpError, RwsError });

function appThrowing(thrown: () => unknown) {
  const app = createApp({ logger: { error: () => {} } });
  app.get('/', () => {
    throw thrown();
  });
  return app;
}

describe('App errors (issue #9)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('app.fetch: %s', async (_name, c) => {
    const res = await appThrowing(c.thrown).fetch(new Request('http://localhost/'));
    expect(res.status).toBe(c.status);
    const body = (await res.json()) as { error: { status: number; message: string } };
    expect(body.error.status).toBe(c.status);
    expect(body.error.message).toBe(c.message);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    for (const [name, value] of Object.entries(c.headers))
      expect(res.headers.get(name)).toBe(value);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('over HTTP/1.1: %s', async (_name, c) => {
    const server = createServer(appThrowing(c.thrown).handler);
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    onTestFinished(() => server.close({ graceMs: 50 }));
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers: { accept: 'text/plain' } });
    expect(res.status).toBe(c.status);
    expect((await res.text()).split('\n')[0]).toBe(`${c.status} ${c.message}`);
    for (const [name, value] of Object.entries(c.headers))
      expect(res.headers.get(name)).toBe(value);
  });
});
