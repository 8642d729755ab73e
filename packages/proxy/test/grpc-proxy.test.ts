/**
 * HTTP/2 and gRPC upstreams over real sockets: node:http2 is the gRPC-shaped backend
 * (length-prefixed messages, grpc-status trailers) and the client; @rws/h2's Http2Server
 * (h2c) runs the reverse proxy in between.
 */
import {
  type ClientHttp2Session,
  connect,
  createSecureServer,
  createServer,
  type IncomingHttpHeaders,
  type Http2Server as NodeH2Server,
  type ServerHttp2Stream,
} from 'node:http2';
import { createServer as createNetServer, connect as netConnect } from 'node:net';
import type { Handler } from '@rws/core';
import { Http2Server } from '@rws/h2';
import { createServer as createHttp1Server } from '@rws/http1';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  createGateway,
  createUpstream,
  type ReverseProxyOptions,
  reverseProxy,
} from '../src/index.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = createTestCertificates({ prefix: 'rws-proxy-grpc-' });
}, 60_000);
afterAll(() => certs?.cleanup());

/** One gRPC message: compressed flag, 4-byte big-endian length, payload. */
function frame(payload: string): Buffer {
  const body = Buffer.from(payload);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
}

function unframe(bytes: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    const n = bytes.readUInt32BE(at + 1);
    out.push(bytes.subarray(at + 5, at + 5 + n).toString());
    at += 5 + n;
  }
  return out;
}

/** A gRPC-shaped node:http2 backend: Unary echoes, Stream sends three messages. */
async function grpcBackend(isTls = false): Promise<{ port: number; seen: IncomingHttpHeaders[] }> {
  const server: NodeH2Server = isTls
    ? createSecureServer({ key: certs.server.key, cert: certs.server.cert })
    : createServer();
  const seen: IncomingHttpHeaders[] = [];
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    seen.push(headers);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const [name] = unframe(Buffer.concat(chunks));
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc' },
        { waitForTrailers: true },
      );
      stream.on('wantTrailers', () =>
        stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': 'all good' }),
      );
      if (headers[':path'] === '/echo.Echo/Unary') {
        stream.end(frame(`hello ${name}`));
        return;
      }
      let i = 0;
      const tick = (): void => {
        i++;
        if (i === 3) stream.end(frame(`${name} #${i}`));
        else {
          stream.write(frame(`${name} #${i}`));
          setTimeout(tick, 20);
        }
      };
      tick();
    });
  });
  server.on('sessionError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as { port: number }).port, seen };
}

/** A handler as an h2c server (our own HTTP/2 server). */
async function h2Serve(handler: Handler): Promise<number> {
  const server = new Http2Server(handler);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close());
  return port;
}

/** The proxy as an h2c server. */
async function h2Proxy(options: ReverseProxyOptions): Promise<number> {
  const proxy = reverseProxy(options);
  onTestFinished(() => proxy.close());
  return h2Serve((req) =>
    proxy.handle(req, () => {
      throw new Error('unreachable');
    }),
  );
}

interface Call {
  headers: IncomingHttpHeaders;
  messages: string[];
  trailers: IncomingHttpHeaders | null;
}

/** A gRPC call with node:http2's client. */
function call(
  session: ClientHttp2Session,
  path: string,
  message: string,
  extra: Record<string, string> = {},
): Promise<Call> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...extra,
    });
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      headers = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () =>
      resolve({ headers, messages: unframe(Buffer.concat(chunks)), trailers }),
    );
    stream.on('error', reject);
    stream.end(frame(message));
  });
}

function client(port: number): ClientHttp2Session {
  const session = connect(`http://127.0.0.1:${port}`);
  session.on('error', () => {});
  onTestFinished(() => new Promise<void>((resolve) => session.close(() => resolve())));
  return session;
}

async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as { port: number };
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('gRPC through the reverse proxy (h2c client -> @rws/h2 server -> grpc:// backend)', () => {
  it('relays a unary call with its grpc-status trailers, on one multiplexed upstream session', async () => {
    const backend = await grpcBackend();
    const upstream = createUpstream({ name: 'g', backends: [`grpc://127.0.0.1:${backend.port}`] });
    onTestFinished(() => upstream.close());
    const port = await h2Proxy({ upstream });
    const session = client(port);
    const [a, b] = await Promise.all([
      call(session, '/echo.Echo/Unary', 'ann'),
      call(session, '/echo.Echo/Unary', 'bob'),
    ]);
    expect(a.headers[':status']).toBe(200);
    expect(a.headers['content-type']).toBe('application/grpc');
    expect(a.messages).toEqual(['hello ann']);
    expect(a.trailers).toMatchObject({ 'grpc-status': '0', 'grpc-message': 'all good' });
    expect(b.messages).toEqual(['hello bob']);
    // The backend saw HTTP/2 with te: trailers, and both calls on one connection.
    expect(backend.seen[0]).toMatchObject({ te: 'trailers', ':method': 'POST' });
    expect(upstream.backends[0]!.requests).toBe(2);
  });

  it('streams a server-streaming call message by message', async () => {
    const backend = await grpcBackend();
    const port = await h2Proxy({ upstream: `grpc://127.0.0.1:${backend.port}` });
    const session = client(port);
    const res = await call(session, '/echo.Echo/Stream', 'tick');
    expect(res.messages).toEqual(['tick #1', 'tick #2', 'tick #3']);
    expect(res.trailers?.['grpc-status']).toBe('0');
  });

  it('answers an unavailable backend with a trailers-only grpc-status 14, not a 502', async () => {
    const port = await h2Proxy({ upstream: `grpc://127.0.0.1:${await closedPort()}` });
    const res = await call(client(port), '/echo.Echo/Unary', 'x');
    expect(res.headers[':status']).toBe(200);
    expect(res.headers['grpc-status']).toBe('14');
    expect(res.headers['grpc-message']).toBe('could not connect to the backend');
    expect(res.messages).toEqual([]);
  });

  it('bounds the exchange by grpc-timeout: DEADLINE_EXCEEDED (4)', async () => {
    const server = createServer();
    server.on('stream', () => {}); // never answers
    server.on('sessionError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const backendPort = (server.address() as { port: number }).port;
    const port = await h2Proxy({ upstream: `grpc://127.0.0.1:${backendPort}` });
    const started = Date.now();
    const res = await call(client(port), '/echo.Echo/Unary', 'x', { 'grpc-timeout': '200m' });
    expect(res.headers['grpc-status']).toBe('4');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('ends a stream the backend resets midway with grpc-status 14 trailers, not a reset', async () => {
    const server = createServer();
    server.on('stream', (stream) => {
      stream.resume();
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      stream.write(frame('first'));
      // The connection drops midway (node may end the stream cleanly before an RST_STREAM).
      setTimeout(() => stream.session?.socket.destroy(), 30);
    });
    server.on('sessionError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = await h2Proxy({
      upstream: `grpc://127.0.0.1:${(server.address() as { port: number }).port}`,
    });
    const res = await call(client(port), '/echo.Echo/Stream', 'x');
    expect(res.messages).toEqual(['first']);
    expect(res.trailers?.['grpc-status']).toBe('14');
    expect(res.trailers?.['grpc-message']).toBe('the backend closed the connection');
  });

  it('passes request trailers to the backend after the streamed body', async () => {
    const server = createServer();
    let got: IncomingHttpHeaders | null = null;
    server.on('stream', (stream) => {
      stream.on('trailers', (t) => {
        got = t;
      });
      stream.resume();
      stream.on('end', () => {
        stream.respond({ ':status': 200 });
        stream.end('ok');
      });
    });
    server.on('sessionError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = await h2Proxy({
      upstream: `h2://127.0.0.1:${(server.address() as { port: number }).port}`,
    });
    const session = client(port);
    const status = await new Promise<unknown>((resolve, reject) => {
      const s = session.request({ ':method': 'POST', ':path': '/up' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'x-checksum': 'abc123' }));
      s.on('response', (h) => resolve(h[':status']));
      s.on('error', reject);
      s.resume();
      s.end('payload');
    });
    expect(status).toBe(200);
    expect(got).toMatchObject({ 'x-checksum': 'abc123' });
  });

  it('a plain HTTP request to a dead h2 backend still gets a 502', async () => {
    const port = await h2Proxy({ upstream: `h2://127.0.0.1:${await closedPort()}` });
    const session = client(port);
    const status = await new Promise<unknown>((resolve, reject) => {
      const s = session.request({ ':path': '/' });
      s.on('response', (h) => resolve(h[':status']));
      s.on('error', reject);
      s.resume();
    });
    expect(status).toBe(502);
  });
});

describe('h2s:// upstream (TLS, ALPN h2)', () => {
  it('verifies the backend against the configured CA', async () => {
    const backend = await grpcBackend(true);
    const upstream = createUpstream({
      name: 'tls',
      backends: [`h2s://127.0.0.1:${backend.port}`],
      tls: { ca: certs.ca.cert },
    });
    onTestFinished(() => upstream.close());
    const port = await h2Proxy({ upstream });
    const res = await call(client(port), '/echo.Echo/Unary', 'tls');
    expect(res.messages).toEqual(['hello tls']);
    expect(res.trailers?.['grpc-status']).toBe('0');
  });

  it('refuses a backend whose certificate the default CAs do not trust', async () => {
    const backend = await grpcBackend(true);
    const port = await h2Proxy({ upstream: `grpcs://127.0.0.1:${backend.port}` });
    const res = await call(client(port), '/echo.Echo/Unary', 'x');
    expect(res.headers['grpc-status']).toBe('14');
    expect(backend.seen).toEqual([]);
  });
});

describe('HTTP/1.1 clients', () => {
  it('get the upstream trailers as chunked trailers when they sent TE: trailers', async () => {
    const backend = await grpcBackend();
    const proxy = reverseProxy({ upstream: `grpc://127.0.0.1:${backend.port}` });
    onTestFinished(() => proxy.close());
    const server = createHttp1Server((req) =>
      proxy.handle(req, () => {
        throw new Error('unreachable');
      }),
    );
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
    onTestFinished(() => server.close());
    const raw = async (te: string): Promise<string> => {
      const body = frame('h1');
      const socket = netConnect(port, '127.0.0.1');
      socket.write(
        `POST /echo.Echo/Unary HTTP/1.1\r\nhost: x\r\ncontent-type: application/grpc\r\n${te}content-length: ${body.length}\r\nconnection: close\r\n\r\n`,
      );
      socket.write(body);
      const chunks: Buffer[] = [];
      for await (const c of socket) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('latin1');
    };
    const withTe = await raw('te: trailers\r\n');
    expect(withTe).toMatch(/^HTTP\/1\.1 200 /);
    expect(withTe).toContain('transfer-encoding: chunked');
    expect(withTe).toContain('hello h1');
    expect(withTe).toMatch(/\r\n0\r\ngrpc-status: 0\r\ngrpc-message: all good\r\n\r\n$/);
    const without = await raw('');
    expect(without).toContain('hello h1');
    expect(without).not.toContain('grpc-status');
  });
});

describe('gateway: type = "grpc" routes', () => {
  it('proxies gRPC calls to an [[upstream]] of grpc:// backends, and 14 when it is down', async () => {
    const backend = await grpcBackend();
    const dead = await closedPort();
    const gateway = await createGateway(`
[[upstream]]
name = "echo"
backends = ["grpc://127.0.0.1:${backend.port}"]

[[route]]
[route.match]
path = "/echo.Echo/*"
content_type = "application/grpc"
[route.action]
type = "grpc"
upstream = "echo"
read_timeout_ms = 5000

[[route]]
[route.match]
path = "/down.Down/*"
[route.action.grpc]
upstream = "127.0.0.1:${dead}"
[route.action]
type = "grpc"
`);
    onTestFinished(() => gateway.close());
    const session = client(await h2Serve(gateway.handler));
    const unary = await call(session, '/echo.Echo/Unary', 'gw');
    expect(unary.messages).toEqual(['hello gw']);
    expect(unary.trailers?.['grpc-status']).toBe('0');
    const streamed = await call(session, '/echo.Echo/Stream', 's');
    expect(streamed.messages).toEqual(['s #1', 's #2', 's #3']);
    const down = await call(session, '/down.Down/Call', 'x');
    expect(down.headers['grpc-status']).toBe('14');
  });
});
