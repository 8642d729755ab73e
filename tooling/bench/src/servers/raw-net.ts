/**
 * Yardstick: the least a hello-world keep-alive server on `node:net` can do, on 127.0.0.1:$PORT.
 * Each `\r\n\r\n` in the input is a request (no parsing, no validation, no timeouts), answered
 * with the same bytes `rws-http1` sends (status line, content-type, content-length, a Date
 * rebuilt once a second, body) in one write. Node's own socket layer is all that is left, so
 * its instructions per request are Node's floor; `rws-http1` minus this is @rws/http1's share.
 * Not a server to use: it answers anything, including nonsense, with 200.
 */
import { createServer } from 'node:net';

const port = Number(process.env['PORT'] ?? 3000);
const HEAD_END = Buffer.from('\r\n\r\n');

let response = build();
setInterval(() => {
  response = build();
}, 1000).unref();

function build(): Buffer {
  return Buffer.from(
    'HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 13\r\n' +
      `date: ${new Date().toUTCString()}\r\n\r\nHello, World!`,
    'latin1',
  );
}

createServer({ noDelay: true }, (socket) => {
  let pending: Buffer | null = null;
  socket.on('data', (chunk: Buffer) => {
    let buf = chunk;
    if (pending !== null) {
      buf = Buffer.concat([pending, chunk]);
      pending = null;
    }
    let from = 0;
    let end = buf.indexOf(HEAD_END, from);
    while (end !== -1) {
      socket.write(response);
      from = end + 4;
      end = buf.indexOf(HEAD_END, from);
    }
    if (from < buf.length) pending = buf.subarray(from);
  });
  socket.on('error', () => {});
}).listen(port, '127.0.0.1');
