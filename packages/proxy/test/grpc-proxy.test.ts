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
import { createServer as createNetServer } from 'node:net';
import { Http2Server } from '@rws/h2';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream, type ReverseProxyOptions, reverseProxy } from '../src/index.js';

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

/** The proxy as an h2c server (our own HTTP/2 server). */
async function h2Proxy(options: ReverseProxyOptions): Promise<number> {
  const proxy = reverseProxy(options);
  const server = new Http2Server((req) =>
    proxy.handle(req, () => {
      throw new Error('unreachable');
    }),
  );
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(async () => {
    await server.close();
    await proxy.close();
  });
  return port;
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
