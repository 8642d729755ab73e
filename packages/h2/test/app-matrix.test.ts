/**
 * The router's App served unchanged over HTTP/1.1 (@rws/http1) and HTTP/2 (@rws/h2, h2c):
 * one set of cases, run against both transports with a fetch-shaped client each (undici's
 * fetch for HTTP/1.1, node:http2 for h2), so the protocols must answer alike.
 */
import { connect } from 'node:http2';
import { json, sse, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { createApp, readMultipart } from '@rws/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Http2Server } from '../src/index.js';

const app = createApp({ state: { name: 'rws' }, logger: { error() {} } });
app.get('/hello/:name', (req) =>
  text(`hello ${req.params.name} from ${req.state.name} over ${req.protocol}`),
);
app.post('/items', { schema: { body: z.object({ title: z.string() }) } }, (req) =>
  json({ created: req.valid.body.title }, { status: 201 }),
);
app.post('/upload', async (req) => {
  const sizes: Record<string, number> = {};
  for await (const part of readMultipart(req, { maxFileBytes: 1_000_000 })) {
    if (part.kind === 'file') {
      let n = 0;
      for await (const chunk of part.stream) n += chunk.byteLength;
      sizes[part.name] = n;
    } else sizes[part.name] = part.value.length;
  }
  return json(sizes);
});
app.get('/boom', () => {
  throw new Error('secret');
});
app.get('/events', () =>
  sse(
    (async function* () {
      yield { data: 'one' };
      yield { data: 'two' };
    })(),
  ),
);
type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

const http1 = createServer(app.handler);
const h2 = new Http2Server(app.handler, { onError: () => {} });
const clients: Record<'http/1.1' | 'h2', Fetch> = {} as Record<'http/1.1' | 'h2', Fetch>;
let closeSession = (): void => {};

/** A fetch over one node:http2 session (h2c prior knowledge). */
function h2Fetch(base: string): Fetch {
  const session = connect(base);
  closeSession = () => session.destroy();
  return async (path, init) => {
    const req = new Request(base + path, init);
    const headers: Record<string, string> = { ':method': req.method, ':path': path };
    req.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const body =
      req.method === 'GET' || req.method === 'HEAD' ? null : Buffer.from(await req.arrayBuffer());
    return new Promise((resolve, reject) => {
      const stream = session.request(headers, { endStream: body === null });
      const chunks: Buffer[] = [];
      let status = 0;
      const out = new Headers();
      stream.on('response', (h) => {
        status = Number(h[':status']);
        for (const [k, v] of Object.entries(h)) {
          if (!k.startsWith(':') && v !== undefined)
            out.set(k, Array.isArray(v) ? v.join(', ') : String(v));
        }
      });
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const isNull = status === 204 || status === 304 || req.method === 'HEAD';
        resolve(new Response(isNull ? null : Buffer.concat(chunks), { status, headers: out }));
      });
      stream.on('error', reject);
      if (body !== null) stream.end(body);
    });
  };
}

beforeAll(async () => {
  const a = await http1.listen({ port: 0, host: '127.0.0.1' });
  clients['http/1.1'] = (path, init) => fetch(`http://127.0.0.1:${a.port}${path}`, init);
  const b = await h2.listen({ port: 0, host: '127.0.0.1' });
  clients.h2 = h2Fetch(`http://127.0.0.1:${b.port}`);
});

afterAll(async () => {
  closeSession();
  await Promise.all([http1.close({ graceMs: 100 }), h2.close({ graceMs: 100 })]);
});

describe.each(['http/1.1', 'h2'] as const)('App over %s', (protocol) => {
  const f: Fetch = (path, init) => clients[protocol](path, init);

  it('routes with params and state', async () => {
    const res = await f('/hello/ada');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(`hello ada from rws over ${protocol}`);
  });

  it('HEAD, OPTIONS, 404 and 405', async () => {
    const head = await f('/hello/ada', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(
      String(`hello ada from rws over ${protocol}`.length),
    );
    const options = await f('/hello/ada', { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect((await f('/nope')).status).toBe(404);
    const del = await f('/hello/ada', { method: 'DELETE' });
    expect(del.status).toBe(405);
  });

  it('validates JSON bodies', async () => {
    const init = (title: unknown): RequestInit => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title }),
    });
    const ok = await f('/items', init('x'));
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ created: 'x' });
    expect((await f('/items', init(1))).status).toBe(422);
  });

  it('streams a multipart upload', async () => {
    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob([new Uint8Array(500_000)]), 'big.bin');
    const res = await f('/upload', { method: 'POST', body: form });
    expect(await res.json()).toEqual({ note: 5, file: 500_000 });
  });

  it('answers 500 with a request id and no details', async () => {
    const res = await f('/boom', { headers: { 'x-request-id': 'abc' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('abc');
    expect(await res.text()).not.toContain('secret');
  });

  it('streams server-sent events', async () => {
    const res = await f('/events');
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(await res.text()).toBe('data: one\n\ndata: two\n\n');
  });
});
