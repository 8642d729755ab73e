import { request as httpRequest, type IncomingMessage } from 'node:http';
import { compose, Headers, type Middleware } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { accessLog } from '@rws/middleware/access-log';
import { cors } from '@rws/middleware/cors';
import { requestId } from '@rws/middleware/request-id';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// The three middlewares together over a real @rws/http1 socket, with node:http as the client:
// the access-log line must appear only once the streamed body has really been sent.

const lines: string[] = [];
let server: Http1Server;
let port: number;

async function* slowChunks(count: number, delayMs: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    await new Promise((r) => setTimeout(r, delayMs));
    yield Buffer.alloc(1000, 97);
  }
}

beforeAll(async () => {
  const chain: Middleware[] = [
    accessLog({ format: 'json', write: (l) => lines.push(l) }),
    requestId(),
    cors({
      allowOrigins: ['https://app.example.com'],
      exposeHeaders: ['x-request-id'],
      maxAge: 600,
    }),
  ];
  server = createServer(
    compose(chain, (req) => {
      if (req.path === '/stream') {
        return { status: 200, headers: new Headers(), body: slowChunks(5, 5) };
      }
      if (req.path === '/endless') {
        return { status: 200, headers: new Headers(), body: slowChunks(1_000_000, 5) };
      }
      return {
        status: 200,
        headers: new Headers({ 'content-type': 'text/plain' }),
        body: `id=${req.headers.get('x-request-id')}`,
      };
    }),
    { onError: () => {} },
  );
  ({ port } = await server.listen({ port: 0 }));
});

afterAll(async () => {
  await server.close({ graceMs: 100 });
});

function get(
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ res, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('cors + requestId + accessLog over a socket', () => {
  it('a simple CORS request: headers on the wire, id visible to the handler, one log line', async () => {
    lines.length = 0;
    const { res, body } = await get('/hello?x=1', 'GET', {
      origin: 'https://app.example.com',
      'user-agent': 'node-test',
    });
    const id = res.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toBe(`id=${id}`);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-expose-headers']).toBe('x-request-id');
    expect(res.headers.vary).toBe('Origin');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({
      remote_addr: '127.0.0.1',
      method: 'GET',
      path: '/hello?x=1',
      protocol: 'HTTP/1.1',
      status: 200,
      bytes: body.length,
      user_agent: 'node-test',
      referer: null,
      request_id: id,
    });
    expect(typeof entry.duration_ms).toBe('number');
  });

  it('a preflight is answered 204 on the wire', async () => {
    lines.length = 0;
    const { res, body } = await get('/anything', 'OPTIONS', {
      origin: 'https://app.example.com',
      'access-control-request-method': 'DELETE',
      'access-control-request-headers': 'x-token',
    });
    expect(res.statusCode).toBe(204);
    expect(body).toBe('');
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-methods']).toBe('DELETE');
    expect(res.headers['access-control-allow-headers']).toBe('x-token');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toBe(
      'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    );
    expect(JSON.parse(lines[0]!)).toMatchObject({ method: 'OPTIONS', status: 204, bytes: 0 });
  });

  it('a streamed body is logged after its last chunk, with every byte counted', async () => {
    lines.length = 0;
    const { body } = await get('/stream');
    expect(body.length).toBe(5000);
    await vi.waitFor(() => expect(lines).toHaveLength(1));
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ path: '/stream', status: 200, bytes: 5000 });
    // Five chunks 5 ms apart: the duration covers the body, not just the head.
    expect(entry.duration_ms).toBeGreaterThanOrEqual(20);
  });

  it('a client that disconnects mid-stream still gets a line, with the bytes sent so far', async () => {
    lines.length = 0;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/endless', agent: false },
        (res) => {
          let received = 0;
          res.on('data', (c: Buffer) => {
            received += c.length;
            if (received >= 3000) {
              req.destroy();
              resolve();
            }
          });
        },
      );
      req.on('error', (err) => {
        if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
      });
      req.end();
    });
    await vi.waitFor(() => expect(lines).toHaveLength(1), { timeout: 10_000 });
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ path: '/endless', status: 200 });
    expect(entry.bytes).toBeGreaterThanOrEqual(3000);
  });
});
