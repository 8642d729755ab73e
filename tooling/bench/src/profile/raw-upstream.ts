/**
 * The upstream of the proxy profiles: a raw `node:net` server in the profiling process (not
 * under callgrind) answering every request head with a fixed `Hello, World!` response, so
 * what is counted is the proxy alone. Requests have no body (the fixed load sends GETs).
 */
import { createServer, type Server } from 'node:net';

const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!',
);
const HEAD_END = Buffer.from('\r\n\r\n');

/** Listens on 127.0.0.1, an ephemeral port. */
export function startRawUpstream(): Promise<Server> {
  const server = createServer((socket) => {
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let end = pending.indexOf(HEAD_END);
      while (end !== -1) {
        pending = pending.subarray(end + 4);
        socket.write(RESPONSE);
        end = pending.indexOf(HEAD_END);
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
