/**
 * The App served unchanged over a real @rws/http1 socket (127.0.0.1, port 0), with Node's
 * own fetch (undici) as the client.
 */
import { json, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, readMultipart } from '../src/index.js';

const app = createApp({ state: { name: 'rws' }, logger: { error() {} } });
app.get('/hello/:name', (req) => text(`hello ${req.params.name} from ${req.state.name}`));
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

const server = createServer(app.handler);
let base = '';

beforeAll(async () => {
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await server.close({ graceMs: 1000 });
});

describe('App over @rws/http1', () => {
  it('routes with params and state', async () => {
    const res = await fetch(`${base}/hello/ada`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello ada from rws');
  });

  it('HEAD, OPTIONS, 404 and 405', async () => {
    const head = await fetch(`${base}/hello/ada`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const options = await fetch(`${base}/hello/ada`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const del = await fetch(`${base}/hello/ada`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('validates JSON bodies', async () => {
    const ok = await fetch(`${base}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'x' }),
    });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ created: 'x' });
    const bad = await fetch(`${base}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 1 }),
    });
    expect(bad.status).toBe(422);
  });

  it('streams a multipart upload', async () => {
    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob([new Uint8Array(500_000)]), 'big.bin');
    const res = await fetch(`${base}/upload`, { method: 'POST', body: form });
    expect(await res.json()).toEqual({ note: 5, file: 500_000 });
  });

  it('answers 500 with a request id and no details', async () => {
    const res = await fetch(`${base}/boom`, { headers: { 'x-request-id': 'abc' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('abc');
    expect(await res.text()).not.toContain('secret');
  });
});

describe('host routing over @rws/http1 (issue #9)', () => {
  it('routes an absolute-form request by its target authority, not a different Host', async () => {
    const { connect } = await import('node:net');
    const hosts = createApp({ logger: { error() {} } });
    hosts.host('api.example.com', (g) => g.get('/', () => text('api')));
    hosts.get('/', () => text('default'));
    const hostServer = createServer(hosts.handler);
    const { port } = await hostServer.listen({ port: 0, host: '127.0.0.1' });
    try {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let out = '';
        socket.on('data', (d: Buffer) => {
          out += d.toString('latin1');
        });
        socket.on('end', () => resolve(out));
        socket.on('error', reject);
        socket.write(
          'GET http://api.example.com/ HTTP/1.1\r\nHost: www.example.org\r\n\r\n' +
            'GET / HTTP/1.1\r\nHost: api.example.com\r\n\r\n' +
            'GET / HTTP/1.1\r\nHost: www.example.org\r\nConnection: close\r\n\r\n',
        );
      });
      const bodies = raw
        .split(/HTTP\/1\.1 /)
        .slice(1)
        .map((r) => r.slice(r.indexOf('\r\n\r\n') + 4));
      expect(bodies).toEqual(['api', 'api', 'default']);
    } finally {
      await hostServer.close({ graceMs: 100 });
    }
  });
});
