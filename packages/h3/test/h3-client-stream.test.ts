/**
 * Http3Client#stream (issue #21, for proxying to HTTP/3 upstreams): the request body streams
 * out as it is produced, the response body streams in as the handler yields it, trailers go
 * both ways, and a reader that stops early stops the stream. Peer: our Http3Server.
 */
import { Headers, type Request } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Http3Client } from '../src/http3/h3-client.js';
import { Http3Server } from '../src/http3/h3-server.js';
import { makeCredentials, type ServerCredentials } from './certs.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

async function setup(handler: (req: Request) => Promise<import('@rws/core').Response>) {
  const server = await Http3Server.listen({
    tls: { cert: creds.cert, key: creds.key },
    handler,
    onError: () => {},
  });
  onTestFinished(() => server.close({ graceMs: 100 }));
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port: server.address().port,
    serverName: 'localhost',
    ca: [creds.ca],
  });
  onTestFinished(() => client.close());
  return { server, client };
}

describe('Http3Client#stream', () => {
  it('streams both bodies and passes trailers both ways', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { client } = await setup(async (req) => {
      // The response head goes out before the request body has ended.
      async function* echo() {
        for await (const chunk of req.body) yield chunk;
        yield new TextEncoder().encode(`|${req.body.trailers()?.get('x-sum') ?? 'none'}`);
      }
      return {
        status: 200,
        headers: new Headers({ 'x-method': req.method }),
        body: echo(),
        trailers: () => new Headers({ 'x-done': 'yes' }),
      };
    });
    async function* upload() {
      yield new TextEncoder().encode('one,');
      await gate;
      yield new TextEncoder().encode('two');
    }
    const res = await client.stream({
      method: 'POST',
      path: '/echo',
      body: upload(),
      trailers: () => new Headers({ 'x-sum': '7' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-method')).toBe('POST');
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      chunks.push(decoder.decode(chunk));
      // The first chunk arrived while the upload was still waiting: nothing was buffered whole.
      if (chunks.length === 1) {
        expect(chunks[0]).toBe('one,');
        release();
      }
    }
    expect(chunks.join('')).toBe('one,two|7');
    expect(res.trailers()?.get('x-done')).toBe('yes');
  }, 30_000);

  it('a reader that stops early stops the response; the connection goes on', async () => {
    let cancelled: () => void;
    const stopped = new Promise<void>((resolve) => {
      cancelled = resolve;
    });
    const { client } = await setup(async (req) => {
      if (req.path === '/small') return { status: 200, headers: new Headers(), body: 'ok' };
      async function* endless() {
        try {
          for (;;) {
            yield new Uint8Array(16 * 1024);
            await new Promise((r) => setImmediate(r));
          }
        } finally {
          cancelled();
        }
      }
      return { status: 200, headers: new Headers(), body: endless() };
    });
    const res = await client.stream({ path: '/endless' });
    let received = 0;
    for await (const chunk of res.body) {
      received += chunk.length;
      if (received > 100_000) break;
    }
    await stopped;
    const small = await client.stream({ path: '/small' });
    expect(await small.body.text()).toBe('ok');
    expect(client.isAvailable).toBe(true);
  }, 30_000);

  it('is unavailable after the server sent GOAWAY, and refuses new requests', async () => {
    const { server, client } = await setup(async () => ({
      status: 204,
      headers: new Headers(),
      body: null,
    }));
    expect((await client.stream({ path: '/' })).status).toBe(204);
    server.drain();
    await expect.poll(() => client.isAvailable, { timeout: 10_000 }).toBe(false);
    await expect(client.stream({ path: '/' })).rejects.toThrow(/GOAWAY/);
  }, 30_000);
});
