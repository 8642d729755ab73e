/**
 * Test helpers: a proxy served by the @rws/http1 server and node:http backends, all on
 * 127.0.0.1 port 0 and closed when the test ends.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Middleware } from '@rws/core';
import { createServer, type Http1ServerOptions } from '@rws/http1';
import { onTestFinished } from 'vitest';

/** Serves `middleware` as the terminal handler; resolves with its origin. */
export async function serveProxy(
  middleware: Middleware & { close?(): Promise<void> },
  options: Http1ServerOptions = {},
): Promise<string> {
  const server = createServer(
    (req) =>
      middleware.handle(req, () => {
        throw new Error('the proxy never calls next');
      }),
    { onError: () => {}, ...options },
  );
  const { port } = await server.listen({ port: 0 });
  onTestFinished(async () => {
    await server.close({ graceMs: 50 });
    await middleware.close?.();
  });
  return `http://127.0.0.1:${port}`;
}

/** A node:http backend; resolves with its origin and the server. */
export async function backend(
  handler: http.RequestListener,
): Promise<{ origin: string; server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { origin: `http://127.0.0.1:${port}`, server, port };
}

/** A backend answering its own origin label, to count where requests went. */
export async function labelled(
  label: string,
  status = 200,
): Promise<{ origin: string; server: http.Server }> {
  return backend((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(label);
  });
}

/** A port nothing listens on (bound, read, closed). */
export async function deadPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
