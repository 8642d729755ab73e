/** Shared helpers for the client tests: real servers on 127.0.0.1 port 0, closed after each test. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { onTestFinished } from 'vitest';

/** Starts a node:http server; counts connections; closes it (and its sockets) after the test. */
export async function httpServer(
  handler: http.RequestListener,
  options: http.ServerOptions = {},
): Promise<{
  server: http.Server;
  origin: string;
  connections: () => number;
  sockets: Set<net.Socket>;
}> {
  const server = http.createServer({ keepAliveTimeout: 10_000, ...options }, handler);
  let count = 0;
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => {
    count++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}`, connections: () => count, sockets };
}

/**
 * A raw TCP server; `onConnection` gets each socket and the index of the connection.
 * Closes every socket after the test.
 */
export async function rawServer(
  onConnection: (socket: net.Socket, index: number) => void,
): Promise<{ origin: string; port: number; connections: () => number }> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket, count++);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, port, connections: () => count };
}

/** Calls `fn` with each complete request head a raw socket receives (no body support). */
export function onRequestHeads(
  socket: net.Socket,
  fn: (head: string, index: number) => void,
): void {
  let buffer = '';
  let index = 0;
  socket.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('latin1');
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buffer.slice(0, end);
      buffer = buffer.slice(end + 4);
      fn(head, index++);
    }
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves with the rejection of `promise` (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
