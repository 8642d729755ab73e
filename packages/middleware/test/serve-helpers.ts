import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { Handler } from '@rws/core';
import { createServer } from '@rws/http1';
import { onTestFinished } from 'vitest';

/** A handler served by @rws/http1 on 127.0.0.1 port 0, closed when the test ends. */
export async function serveHandler(handler: Handler): Promise<number> {
  const server = createServer(handler, { onError: () => {} });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 100 }));
  return port;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with node:http (no keep-alive), the body collected as text. */
export function httpCall(
  port: number,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
