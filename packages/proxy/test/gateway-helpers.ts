import {
  createServer as createNodeServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Handler } from '@rws/core';
import { createServer } from '@rws/http1';
import { onTestFinished } from 'vitest';

// The client side is shared with the other packages' tests.
export { type HttpResult, httpCall } from '@rws/test-helpers';

/** A real node:http backend on 127.0.0.1 port 0, closed when the test ends. */
export interface Backend {
  readonly port: number;
  readonly address: string;
  /** Requests it received. */
  readonly seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
  /** TCP connections it accepted. */
  connections(): number;
  readonly server: Server;
}

/**
 * Starts a backend that answers JSON `{ name, method, url, headers, body }`, or runs `handle`
 * when given.
 */
export async function startBackend(
  name: string,
  handle?: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Backend> {
  const seen: Backend['seen'] = [];
  let connections = 0;
  const server = createNodeServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (handle !== undefined) return handle(req, res, body);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body }),
      );
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  const { port } = server.address() as { port: number };
  return { port, address: `127.0.0.1:${port}`, seen, connections: () => connections, server };
}

/** Serves `handler` with @rws/http1 on 127.0.0.1 port 0; closed when the test ends. */
export async function serveHandler(handler: Handler): Promise<number> {
  const server = createServer(handler, { onError: () => {} });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 100 }));
  return port;
}
