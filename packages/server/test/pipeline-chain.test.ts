/**
 * The server's own chain (Host check → metrics → health endpoints → the app), built once per
 * configuration without compose()'s per-request `next` closures (issue #10): whatever the app
 * does (answers at once, later, throws, rejects, streams), the client gets the same status and
 * /metrics counts it once, over a real socket.
 */
import { Headers, HttpError, type Response, text } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { RawClient, start } from './helpers.js';

function sample(exposition: string, name: string): number {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  }
  throw new Error(`no sample ${name}`);
}

async function* chunks(): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode('stream-');
  await new Promise((r) => setTimeout(r, 5));
  yield new TextEncoder().encode('body');
}

function app(req: { path: string }): Response | Promise<Response> {
  switch (req.path) {
    case '/sync':
      return text('sync');
    case '/async':
      return new Promise((resolve) => setTimeout(() => resolve(text('async')), 5));
    case '/throw':
      throw new Error('boom');
    case '/reject':
      return Promise.reject(new HttpError(503, 'later'));
    case '/stream':
      return {
        status: 200,
        headers: new Headers({ 'content-type': 'text/plain' }),
        body: chunks(),
      };
    default:
      throw new HttpError(404);
  }
}

describe('serve(): the server chain around sync, async, throwing and streaming apps (issue #10)', () => {
  it('answers each with its status and counts each once in /metrics', async () => {
    const server = await start(app);
    const base = `http://127.0.0.1:${server.address.port}`;
    const get = async (path: string): Promise<[number, string]> => {
      const res = await fetch(`${base}${path}`);
      return [res.status, await res.text()];
    };
    expect(await get('/sync')).toEqual([200, 'sync']);
    expect(await get('/async')).toEqual([200, 'async']);
    expect(await get('/stream')).toEqual([200, 'stream-body']);
    expect((await get('/throw'))[0]).toBe(500);
    expect((await get('/reject'))[0]).toBe(503);
    expect((await get('/nope'))[0]).toBe(404);
    // The health endpoints answer inside the chain, after metrics, before the app.
    expect(await get('/healthz')).toEqual([200, 'OK']);
    const out = (await get('/metrics'))[1];
    // The scrape itself is counted after its exposition was rendered.
    const classes = ['2xx', '4xx', '5xx'].map(
      (c) => `${c} ${sample(out, `rws_http_requests_total{status_class="${c}"}`)}`,
    );
    expect(classes).toEqual(['2xx 4', '4xx 1', '5xx 2']);
    expect(sample(out, 'rws_http_errors_total{kind="handler"}')).toBe(2);
    expect(sample(out, 'rws_http_request_duration_seconds_count')).toBe(7);
    // 'sync' + 'async' + 'OK': the streamed body has no length up front.
    expect(sample(out, 'rws_http_response_bytes_total')).toBe(11);
  });

  it('refuses a foreign Host before metrics and the app see the request', async () => {
    let calls = 0;
    const server = await start(() => {
      calls++;
      return text('x');
    });
    const client = await RawClient.plain(server.address.port);
    const res = await client.request('/', { raw: 'GET / HTTP/1.1\r\nhost: evil.example\r\n\r\n' });
    expect(res.status).toBe(421);
    expect(calls).toBe(0);
    expect(server.metrics?.requestCount('4xx')).toBe(0);
  });
});
