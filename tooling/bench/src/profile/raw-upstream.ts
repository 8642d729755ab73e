/**
 * The upstream of the proxy profiles: a raw `node:net` server in the profiling process (not
 * under callgrind) answering every request head with a fixed `Hello, World!` response, so
 * what is counted is the proxy alone. Requests have no body (the fixed load sends GETs).
 *
 * The response has the fields, in the order and letter case, that the `proxy` suite's nginx
 * upstream sends (`Server`, `Date`, `Content-Type`, `Content-Length`, `Connection:
 * keep-alive`), so a profile counts the work the benchmark makes the proxy do (e.g. reading
 * the backend's `Connection` field, which a response without one skips).
 */
import { createServer, type Server } from 'node:net';

let RESPONSE = response();
/** nginx's response, its `Date` of this second. */
function response(): Buffer {
  return Buffer.from(
    'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n' +
      `Date: ${new Date().toUTCString()}\r\n` +
      'Content-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\n' +
      'Hello, World!',
  );
}
const HEAD_END = Buffer.from('\r\n\r\n');

/** Listens on 127.0.0.1, an ephemeral port. */
export function startRawUpstream(): Promise<Server> {
  setInterval(() => (RESPONSE = response()), 1000).unref();
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
