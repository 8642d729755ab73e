import {
  type ClientHttp2Session,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import type { Handler } from '@rws/core';
import { onTestFinished } from 'vitest';
import { Http2Server, type Http2ServerOptions } from '../src/index.js';

/** An h2c server on 127.0.0.1:0, closed when the test ends. */
export async function startH2c(
  handler: Handler,
  options: Http2ServerOptions = {},
): Promise<{ server: Http2Server; port: number; errors: unknown[] }> {
  const errors: unknown[] = [];
  const server = new Http2Server(handler, { onError: (err) => errors.push(err), ...options });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 0 }));
  return { server, port, errors };
}

/** A node:http2 client session, closed when the test ends. */
export function session(port: number): ClientHttp2Session {
  const s = connect(`http://127.0.0.1:${port}`);
  s.on('error', () => {});
  onTestFinished(() => {
    s.destroy();
  });
  return s;
}

export interface ClientResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  trailers: IncomingHttpHeaders;
}

/** One request over `s`; resolves the whole response. */
export function request(
  s: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string | Buffer | Iterable<Buffer>,
): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    const hasBody = body !== undefined;
    const stream = s.request(headers, { endStream: !hasBody });
    let status = 0;
    let resHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
      resHeaders = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () =>
      resolve({ status, headers: resHeaders, body: Buffer.concat(chunks), trailers }),
    );
    stream.on('error', reject);
    if (typeof body === 'string' || Buffer.isBuffer(body)) stream.end(body);
    else if (body !== undefined) {
      for (const c of body) stream.write(c);
      stream.end();
    }
  });
}
