/**
 * HTTP/3 upstreams (`h3://host:port`, issue #21): the reverse proxy reaches a backend over
 * QUIC with @rws/h3's client. Peers: @rws/h3's Http3Server as the backend, node's fetch
 * (undici) as the client of an HTTP/1.1 proxy, and the gateway config with an h3 backend.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { Headers, type Request } from '@rws/core';
import { Http3Server } from '@rws/h3';
import { createServer as createHttp1Server } from '@rws/http1';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';
import { createUpstream, type ReverseProxyOptions, reverseProxy } from '../src/index.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = createTestCertificates({ prefix: 'rws-proxy-h3-' });
}, 60_000);
afterAll(() => certs?.cleanup());

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const LARGE = randomBytes(3 * 1024 * 1024);

/** The backend: `/large` streams 3 MiB, anything else answers what it received. */
async function h3Backend(): Promise<{ port: number; seen: Request[] }> {
  const seen: Request[] = [];
  const server = await Http3Server.listen({
    tls: { cert: certs.server.cert, key: certs.server.key },
    maxBodyBytes: 16 * 1024 * 1024,
    onError: () => {},
    handler: async (req) => {
      seen.push(req);
      if (req.path === '/large') {
        async function* chunks() {
          for (let i = 0; i < LARGE.length; i += 64 * 1024) yield LARGE.subarray(i, i + 64 * 1024);
        }
        return {
          status: 200,
          headers: new Headers({ 'x-size': String(LARGE.length) }),
          body: chunks(),
        };
      }
      const body = await req.body.bytes();
      return {
        status: 201,
        headers: new Headers({ 'content-type': 'application/json', 'x-backend': 'h3' }),
        body: JSON.stringify({
          protocol: req.protocol,
          method: req.method,
          target: req.target,
          authority: req.headers.get('host'),
          forwardedFor: req.headers.get('x-forwarded-for'),
          bytes: body.length,
          sha256: sha256(body),
        }),
      };
    },
  });
  onTestFinished(() => server.close({ graceMs: 100 }));
  return { port: server.address().port, seen };
}

/** An upstream of one h3:// backend on loopback, trusting the test CA; closed after the test. */
function h3Upstream(name: string, port: number) {
  const upstream = createUpstream({
    name,
    backends: [`h3://127.0.0.1:${port}`],
    tls: { ca: certs.ca.cert },
  });
  onTestFinished(() => upstream.close());
  return upstream;
}

/** An HTTP/1.1 server whose only route is the reverse proxy. */
async function proxyServer(options: ReverseProxyOptions): Promise<string> {
  const proxy = reverseProxy(options);
  onTestFinished(() => proxy.close());
  const server = createHttp1Server((req) =>
    proxy.handle(req, () => {
      throw new Error('unreachable');
    }),
  );
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close());
  return `http://127.0.0.1:${port}`;
}

describe('h3:// upstream', () => {
  it('relays requests and streamed bodies both ways over HTTP/3', async () => {
    const backend = await h3Backend();
    const upstream = h3Upstream('quic', backend.port);
    const origin = await proxyServer({ upstream });

    const upload = randomBytes(900 * 1024 + 7);
    const res = await fetch(`${origin}/items?x=1`, { method: 'POST', body: upload });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-backend')).toBe('h3');
    const seen = (await res.json()) as Record<string, unknown>;
    expect(seen).toMatchObject({
      protocol: 'h3',
      method: 'POST',
      target: '/items?x=1',
      forwardedFor: '127.0.0.1',
      bytes: upload.length,
      sha256: sha256(upload),
    });
    // Without preserveHost the backend sees its own address as :authority.
    expect(seen['authority']).toBe(`127.0.0.1:${backend.port}`);

    const large = await fetch(`${origin}/large`);
    expect(large.headers.get('x-size')).toBe(String(LARGE.length));
    expect(sha256(new Uint8Array(await large.arrayBuffer()))).toBe(sha256(LARGE));
    // Both requests went over one QUIC connection.
    expect(backend.seen.map((r) => r.conn.id)).toEqual([
      backend.seen[0]!.conn.id,
      backend.seen[0]!.conn.id,
    ]);
  }, 60_000);

  it('with preserveHost, the client Host travels as :authority', async () => {
    const backend = await h3Backend();
    const upstream = h3Upstream('quic-host', backend.port);
    const origin = await proxyServer({ upstream, preserveHost: true });
    const res = await fetch(`${origin}/host`, { method: 'POST', body: 'x' });
    expect(((await res.json()) as Record<string, unknown>)['authority']).toBe(new URL(origin).host);
  }, 60_000);

  it('refuses a backend whose certificate the default CAs do not trust: 502, nothing sent', async () => {
    const backend = await h3Backend();
    const origin = await proxyServer({ upstream: `h3://127.0.0.1:${backend.port}` });
    const res = await fetch(`${origin}/x`);
    expect(res.status).toBe(502);
    expect(backend.seen).toEqual([]);
  }, 60_000);

  it('refuses a WebSocket handshake for an h3 backend with 502, nothing sent to it', async () => {
    const backend = await h3Backend();
    const upstream = h3Upstream('quic-ws', backend.port);
    const origin = await proxyServer({ upstream });
    const ws = new WebSocket(`${origin.replace('http:', 'ws:')}/chat`);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      ws.once('open', () => reject(new Error('the WebSocket opened')));
      ws.once('error', () => {});
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
    });
    expect(answer.status).toBe(502);
    expect(answer.body).toMatch(/WebSocket cannot be relayed to an h3 backend/);
    expect(backend.seen).toEqual([]);
  }, 60_000);

  it('answers 504 when no HTTP/3 server answers in time', async () => {
    // A UDP socket that reads and never answers: the QUIC handshake cannot complete.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    onTestFinished(() => {
      silent.close();
    });
    const origin = await proxyServer({
      upstream: h3Upstream('silent', silent.address().port),
      timeouts: { responseHeadersMs: 1500 },
    });
    const res = await fetch(`${origin}/x`);
    expect(res.status).toBe(504);
  }, 60_000);
});
