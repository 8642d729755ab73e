/**
 * Http2Client against node:http2 servers (h2c and TLS with ALPN) and against our own server:
 * multiplexing on one pooled session, bodies both ways with flow control, trailers, abort,
 * and a new session after GOAWAY.
 */
import {
  createSecureServer,
  createServer,
  type Http2Server as NodeH2Server,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { isRwsError } from '@rws/core';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Http2Client } from '../src/index.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = createTestCertificates({ prefix: 'rws-h2-client-' });
}, 60_000);
afterAll(() => certs?.cleanup());

async function nodeServer(
  onStream: (stream: ServerHttp2Stream, headers: Record<string, unknown>) => void,
  isTls = false,
): Promise<{ port: number; server: NodeH2Server }> {
  const server = isTls
    ? createSecureServer({ key: certs.server.key, cert: certs.server.cert })
    : createServer();
  server.on('stream', (stream, headers) => onStream(stream, headers as Record<string, unknown>));
  server.on('sessionError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // close() waits for sessions; the client is closed first in each test.
      }),
  );
  return { port: (server.address() as AddressInfo).port, server: server as NodeH2Server };
}

function client(options?: ConstructorParameters<typeof Http2Client>[0]): Http2Client {
  const c = new Http2Client(options);
  onTestFinished(() => c.close());
  return c;
}

describe('Http2Client', () => {
  it('multiplexes 50 concurrent requests on one h2c session to node:http2', async () => {
    const { port } = await nodeServer((stream, headers) => {
      stream.respond({ ':status': 200, 'x-path': String(headers[':path']) });
      stream.end(`hello ${String(headers[':path'])} ${String(headers[':authority'])}`);
    });
    const c = client();
    const base = `http://127.0.0.1:${port}`;
    const all = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await c.request(`${base}/r${i}?q=1`);
        return [res.status, res.headers.get('x-path'), await res.body.text()];
      }),
    );
    expect(all[7]).toEqual([200, '/r7?q=1', `hello /r7?q=1 127.0.0.1:${port}`]);
    expect(c.sessionCount(base)).toBe(1);
  });

  it('sends and receives 2 MiB bodies within the flow-control windows', async () => {
    const { port } = await nodeServer((stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end(Buffer.concat(chunks));
      });
    });
    const big = Buffer.alloc(2 << 20);
    for (let i = 0; i < big.length; i++) big[i] = i % 253;
    const res = await client().request(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      body: big,
    });
    expect(Buffer.from(await res.body.bytes()).equals(big)).toBe(true);
  });

  it('reads response trailers (gRPC-shaped) over TLS with ALPN h2', async () => {
    const { port } = await nodeServer((stream) => {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'ok' }),
      );
      stream.end(Buffer.from([0, 0, 0, 0, 1, 42]));
    }, true);
    const res = await client({ ca: certs.ca.cert }).request(
      `https://localhost:${port}/svc/Method`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/grpc', te: 'trailers' },
        body: new Uint8Array([0, 0, 0, 0, 0]),
      },
    );
    expect(res.headers.get('content-type')).toBe('application/grpc');
    expect([...(await res.body.bytes())]).toEqual([0, 0, 0, 0, 1, 42]);
    expect(res.trailers()?.get('grpc-status')).toBe('0');
    expect(res.trailers()?.get('grpc-message')).toBe('ok');
  });

  it('aborting the signal resets the stream on the server', async () => {
    let closedCode = -1;
    let streamSeen!: () => void;
    const gotStream = new Promise<void>((r) => {
      streamSeen = r;
    });
    const { port } = await nodeServer((stream) => {
      stream.on('close', () => {
        closedCode = stream.rstCode;
      });
      streamSeen();
    });
    const controller = new AbortController();
    const pending = client().request(`http://127.0.0.1:${port}/slow`, {
      signal: controller.signal,
    });
    await gotStream;
    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toThrow('user gave up');
    await new Promise((r) => setTimeout(r, 50));
    expect(closedCode).toBe(0x8);
  });

  it('opens a new session after the server sends GOAWAY', async () => {
    const { port, server } = await nodeServer((stream, headers) => {
      stream.respond({ ':status': 200 });
      stream.end(String(headers[':path']));
    });
    const sessions: import('node:http2').ServerHttp2Session[] = [];
    server.on('session', (s) => sessions.push(s));
    const c = client();
    const base = `http://127.0.0.1:${port}`;
    expect(await (await c.request(`${base}/a`)).body.text()).toBe('/a');
    sessions[0]!.goaway(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.sessionCount(base)).toBe(0);
    expect(await (await c.request(`${base}/b`)).body.text()).toBe('/b');
    expect(sessions).toHaveLength(2);
    expect(c.sessionCount(base)).toBe(1);
  });

  it('refuses a method above 0xFF before sending, and the session stays usable (HPACK writes octets)', async () => {
    const methods: string[] = [];
    const { port } = await nodeServer((stream, headers) => {
      methods.push(String(headers[':method']));
      stream.respond({ ':status': 200 });
      stream.end(String(headers['x-kept']));
    });
    const c = client();
    const base = `http://127.0.0.1:${port}`;
    expect(await (await c.request(`${base}/a`, { headers: { 'x-kept': 'one' } })).body.text()).toBe(
      'one',
    );
    // U+0147 written as one octet would be 0x47: the server would have seen "GET".
    const err = await c.request(`${base}/b`, { method: 'G\u0147T' }).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_CORE_INVALID_HEADER')).toBe(true);
    expect((err as Error).message).toMatch(/:method value has the character U\+0147/);
    // Same session, and the dynamic table still in step with the server's decoder.
    expect(await (await c.request(`${base}/c`, { headers: { 'x-kept': 'one' } })).body.text()).toBe(
      'one',
    );
    expect(methods).toEqual(['GET', 'GET']);
    expect(c.sessionCount(base)).toBe(1);
  });

  it('refuses a TLS origin that does not negotiate h2, and reports unreachable origins', async () => {
    const { createServer: createTls } = await import('node:tls');
    // No ALPN on the server: the handshake succeeds without a protocol.
    const tls = createTls({ key: certs.server.key, cert: certs.server.cert }, (s) => s.end());
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((r) => tls.close(() => r())));
    const port = (tls.address() as AddressInfo).port;
    const err = await client({ ca: certs.ca.cert })
      .request(`https://localhost:${port}/`)
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H2_PROTOCOL_ERROR')).toBe(true);
    expect((err as Error).message).toMatch(/did not negotiate h2/);
    await new Promise<void>((r) => tls.close(() => r()));
    const refused = await client()
      .request(`http://127.0.0.1:${port}/`)
      .catch((e: unknown) => e);
    expect(isRwsError(refused, 'RWS_H2_CONNECT_FAILED')).toBe(true);
  });
});
