/**
 * RFC 9112 edge cases as exact bytes over a real socket: every row states the status the
 * server must answer with. Rejected requests must also close the connection. Each row is
 * then replayed split in two writes at every byte offset.
 */
import { describe, expect, it } from 'vitest';
import { exchange, start, text } from './helpers.js';

const H = 'Host: a\r\n';

/** [name, request bytes, expected status]. */
const ROWS: [string, string, number][] = [
  // Positive controls: the strictness must not break valid requests.
  ['simple GET', `GET / HTTP/1.1\r\n${H}\r\n`, 200],
  [
    'empty lines before the request line (RFC 9112 §2.2)',
    `\r\n\r\nGET / HTTP/1.1\r\n${H}\r\n`,
    200,
  ],
  ['POST with Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`, 200],
  [
    'chunked body',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    200,
  ],
  [
    'chunked, case-insensitive coding',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n`,
    200,
  ],
  [
    'chunk extensions are ignored',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5;a=b;c="d e"\r\nhello\r\n0;x\r\n\r\n`,
    200,
  ],
  [
    'chunk extension after BWS',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 ;a\r\nhello\r\n0\r\n\r\n`,
    200,
  ],
  [
    'chunked with trailers',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n`,
    200,
  ],
  ['HTTP/1.0 without Host', 'GET / HTTP/1.0\r\n\r\n', 200],
  ['absolute-form target', `GET http://a/x?y HTTP/1.1\r\n${H}\r\n`, 200],
  ['OPTIONS *', `OPTIONS * HTTP/1.1\r\n${H}\r\n`, 200],
  // CONNECT is well-formed, but a handler that answers 2xx without `req.upgrade.accept()`
  // opened no tunnel: 501 (RFC 9110 §9.3.6).
  [
    'CONNECT authority-form not accepted → 501',
    `CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n`,
    501,
  ],
  [
    'CONNECT IPv6 authority-form → 501',
    `CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n`,
    501,
  ],
  [
    'identical repeated Content-Length lines',
    `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\nx`,
    200,
  ],
  ['obs-text in a value', `GET / HTTP/1.1\r\n${H}X-A: caf\xe9\r\n\r\n`, 200],
  ['empty Host value', 'GET / HTTP/1.1\r\nHost:\r\n\r\n', 200],
  ['Host with port and IPv6', 'GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n', 200],
  [
    'Expect: 100-continue without a body',
    `GET / HTTP/1.1\r\n${H}Expect: 100-continue\r\n\r\n`,
    200,
  ],
  ['HTTP/1.2 is answered as 1.1', `GET / HTTP/1.2\r\n${H}\r\n`, 200],
  ['tab as OWS', `GET / HTTP/1.1\r\nHost:\ta\t\r\n\r\n`, 200],
  // Framing ambiguities (request smuggling).
  [
    'Content-Length and Transfer-Encoding',
    `POST / HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
  ],
  [
    'Transfer-Encoding and Content-Length: 0',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n`,
    400,
  ],
  [
    'unknown coding before chunked → 501',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
    501,
  ],
  ['coding without chunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip\r\n\r\n`, 400],
  ['chunked not last', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, 400],
  [
    'chunked twice',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunked with parameters',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n`,
    400,
  ],
  ['xchunked', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, 400],
  [
    'Transfer-Encoding in HTTP/1.0',
    'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    400,
  ],
  ['empty Transfer-Encoding', `POST / HTTP/1.1\r\n${H}Transfer-Encoding:\r\n\r\n`, 400],
  [
    'differing repeated Content-Length',
    `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nxx`,
    400,
  ],
  ['Content-Length list', `POST / HTTP/1.1\r\n${H}Content-Length: 1, 1\r\n\r\nx`, 400],
  ['negative Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n`, 400],
  ['signed Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\nx`, 400],
  ['hex Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length: 0x1\r\n\r\nx`, 400],
  [
    'overlong Content-Length',
    `POST / HTTP/1.1\r\n${H}Content-Length: 0000000000000001\r\n\r\nx`,
    400,
  ],
  ['Content-Length with inner space', `POST / HTTP/1.1\r\n${H}Content-Length: 1 1\r\n\r\nx`, 400],
  ['empty Content-Length', `POST / HTTP/1.1\r\n${H}Content-Length:\r\n\r\n`, 400],
  ['non-hex chunk size', `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nz\r\n\r\n`, 400],
  [
    '0x chunk size',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n`,
    400,
  ],
  [
    'signed chunk size',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n`,
    400,
  ],
  [
    'overlong chunk size',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n00000000000000001\r\nx\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk size with trailing space',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk size line with bare LF',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk data longer than its size',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n`,
    400,
  ],
  [
    'chunk extension with a control character',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;\x01\r\nx\r\n0\r\n\r\n`,
    400,
  ],
  [
    'bad trailer field',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n`,
    400,
  ],
  // Field syntax.
  ['obs-fold', `GET / HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`, 400],
  ['whitespace before the first field', `GET / HTTP/1.1\r\n ${H}\r\n`, 400],
  ['bare CR in a value', `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`, 400],
  ['bare LF line ending', `GET / HTTP/1.1\r\n${H}X-A: a\nX-B: b\r\n\r\n`, 400],
  ['only bare LF line endings', `GET / HTTP/1.1\n${H.replace('\r', '')}\n`, 400],
  ['NUL in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, 400],
  ['control character in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`, 400],
  ['DEL in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`, 400],
  ['space before the colon', `GET / HTTP/1.1\r\nHost : a\r\n\r\n`, 400],
  ['tab before the colon', `GET / HTTP/1.1\r\n${H}X-A\t: a\r\n\r\n`, 400],
  ['space inside a name', `GET / HTTP/1.1\r\n${H}X A: a\r\n\r\n`, 400],
  ['invalid name character', `GET / HTTP/1.1\r\n${H}X@A: a\r\n\r\n`, 400],
  ['empty name', `GET / HTTP/1.1\r\n${H}: a\r\n\r\n`, 400],
  ['field line without a colon', `GET / HTTP/1.1\r\n${H}X-A\r\n\r\n`, 400],
  ['non-ASCII name', `GET / HTTP/1.1\r\n${H}X-\xe9: a\r\n\r\n`, 400],
  // Host.
  ['missing Host in HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n', 400],
  ['repeated Host', `GET / HTTP/1.1\r\n${H}${H}\r\n`, 400],
  ['repeated Host in HTTP/1.0', `GET / HTTP/1.0\r\n${H}${H}\r\n`, 400],
  ['Host with a space', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n', 400],
  ['Host with a slash', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 400],
  // Request line.
  ['invalid method character', `G(T / HTTP/1.1\r\n${H}\r\n`, 400],
  ['NUL in the method', `G\x00T / HTTP/1.1\r\n${H}\r\n`, 400],
  ['two spaces after the method', `GET  / HTTP/1.1\r\n${H}\r\n`, 400],
  ['space inside the target', `GET /a b HTTP/1.1\r\n${H}\r\n`, 400],
  ['target not in origin form', `GET a HTTP/1.1\r\n${H}\r\n`, 400],
  ['control character in the target', `GET /\x01 HTTP/1.1\r\n${H}\r\n`, 400],
  ['non-ASCII byte in the target', `GET /\xff HTTP/1.1\r\n${H}\r\n`, 400],
  ['asterisk target with GET', `GET * HTTP/1.1\r\n${H}\r\n`, 400],
  ['CONNECT with origin form', `CONNECT / HTTP/1.1\r\n${H}\r\n`, 400],
  // Request-target forms are tied to methods (RFC 9112 §3.2.3, §3.2.4).
  ['authority-form with GET', `GET a:443 HTTP/1.1\r\n${H}\r\n`, 400],
  ['authority-form with OPTIONS', `OPTIONS a:443 HTTP/1.1\r\n${H}\r\n`, 400],
  ['authority-form with POST', `POST localhost:80 HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, 400],
  ['asterisk target with POST', `POST * HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, 400],
  ['asterisk target with CONNECT', `CONNECT * HTTP/1.1\r\n${H}\r\n`, 400],
  ['CONNECT with absolute-form', `CONNECT http://a:443/ HTTP/1.1\r\n${H}\r\n`, 400],
  ['CONNECT with userinfo', `CONNECT u@a:443 HTTP/1.1\r\n${H}\r\n`, 400],
  ['CONNECT without a port', `CONNECT a HTTP/1.1\r\n${H}\r\n`, 400],
  ['CONNECT with a non-numeric port', `CONNECT a:https HTTP/1.1\r\n${H}\r\n`, 400],
  ['CONNECT with Content-Length', `CONNECT a:443 HTTP/1.1\r\n${H}Content-Length: 1\r\n\r\nx`, 400],
  [
    'CONNECT with Transfer-Encoding',
    `CONNECT a:443 HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    400,
  ],
  ['HTTP/0.9 request line', 'GET /\r\n\r\n', 400],
  ['lower-case version', `GET / http/1.1\r\n${H}\r\n`, 400],
  ['version without minor', `GET / HTTP/1\r\n${H}\r\n`, 400],
  ['two-digit minor', `GET / HTTP/1.10\r\n${H}\r\n`, 400],
  ['request line with bare LF', `GET / HTTP/1.1\n${H}\r\n`, 400],
  ['HTTP/2.0 → 505', `GET / HTTP/2.0\r\n${H}\r\n`, 505],
  ['HTTP/3.0 → 505', `GET / HTTP/3.0\r\n${H}\r\n`, 505],
  // Expectations and limits (maxBodyBytes 1000, maxHeaderBytes 1024, maxUrlBytes 256, maxHeaderCount 10).
  [
    'unknown expectation → 417',
    `POST / HTTP/1.1\r\n${H}Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx`,
    417,
  ],
  [
    'Content-Length above maxBodyBytes → 413',
    `POST / HTTP/1.1\r\n${H}Content-Length: 1001\r\n\r\n`,
    413,
  ],
  [
    'chunked body above maxBodyBytes → 413',
    `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3e9\r\n${'x'.repeat(1001)}\r\n0\r\n\r\n`,
    413,
  ],
  [
    'header section above maxHeaderBytes → 431',
    `GET / HTTP/1.1\r\n${H}X-A: ${'a'.repeat(1100)}\r\n\r\n`,
    431,
  ],
  ['too many fields → 431', `GET / HTTP/1.1\r\n${H}${'X-A: a\r\n'.repeat(10)}\r\n`, 431],
  ['target above maxUrlBytes → 414', `GET /${'a'.repeat(300)} HTTP/1.1\r\n${H}\r\n`, 414],
  ['target above maxHeaderBytes → 414', `GET /${'a'.repeat(1100)} HTTP/1.1\r\n${H}\r\n`, 414],
];

const LIMITS = { maxBodyBytes: 1000, maxHeaderBytes: 1024, maxUrlBytes: 256, maxHeaderCount: 10 };

async function startEcho() {
  return start(async (req) => {
    const body = await req.body.text();
    return text(`${req.method} ${req.target} ${body.length}`);
  }, LIMITS);
}

describe('request smuggling and RFC 9112 edge cases (exact bytes over node:net)', () => {
  it('has at least 45 rows', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(45);
  });

  it.each(ROWS.map(([name, input, status]) => [`${name} → ${status}`, input, status] as const))(
    '%s',
    async (_name, input, status) => {
      const { port } = await startEcho();
      const result = await exchange(port, Buffer.from(input, 'latin1'), {
        responses: status < 300 ? 1 : undefined,
      });
      expect(result.responses[0]?.status, result.raw).toBe(status);
      if (status >= 400) {
        // Rejections close the connection and never produce a second response.
        expect(result.closed).toBe(true);
        expect(result.responses.length).toBe(1);
        expect(result.responses[0]!.headers['connection']).toBe('close');
      }
    },
  );

  it('gives the same verdict when each row arrives in two writes, split at every byte', async () => {
    const { port } = await startEcho();
    for (const [name, input, status] of ROWS) {
      const bytes = Buffer.from(input, 'latin1');
      // At most 64 sockets at a time: more would overflow the listen backlog.
      for (let batch = 1; batch < bytes.length; batch += 64) {
        const splits: Promise<void>[] = [];
        for (let i = batch; i < Math.min(bytes.length, batch + 64); i++) {
          splits.push(
            exchange(port, bytes, {
              parts: [bytes.subarray(0, i), bytes.subarray(i)],
              responses: status < 300 ? 1 : undefined,
            }).then((r) => {
              expect(r.responses[0]?.status, `${name} split at ${i}: ${r.raw}`).toBe(status);
            }),
          );
        }
        await Promise.all(splits);
      }
    }
  }, 60_000);
});
