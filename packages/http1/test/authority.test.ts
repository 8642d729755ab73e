/**
 * `req.authority` and `req.scheme` on HTTP/1.1 (issue #9): an absolute-form target's authority
 * wins over Host (RFC 9112 §3.2.2), and the scheme is the transport's TLS state.
 */
import { connect, type TLSSocket } from 'node:tls';
import { toWebRequest } from '@rws/core';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { exchange, parseResponses, start, text } from './helpers.js';

let certs: TestCertificates | undefined;
beforeAll(() => {
  certs = createTestCertificates({ selfSigned: true, prefix: 'rws-http1-authority-' });
});
afterAll(() => certs?.cleanup());

const describeRequest = (req: import('@rws/core').Request) =>
  text(
    JSON.stringify({
      authority: req.authority,
      scheme: req.scheme,
      path: req.path,
      url: req.method === 'CONNECT' ? null : toWebRequest(req).url,
    }),
  );

describe('req.authority and req.scheme over HTTP/1.1 (issue #9)', () => {
  it('takes the absolute-form authority over a different Host, else Host', async () => {
    const { port } = await start(describeRequest);
    const r = await exchange(
      port,
      'GET http://api.example.com:8080/a?b=1 HTTP/1.1\r\nHost: www.other.test\r\n\r\n' +
        'GET /c HTTP/1.1\r\nHost: www.other.test\r\nConnection: close\r\n\r\n',
    );
    expect(r.responses.map((x) => JSON.parse(x.body))).toEqual([
      {
        authority: 'api.example.com:8080',
        scheme: 'http',
        path: '/a',
        url: 'http://api.example.com:8080/a?b=1',
      },
      { authority: 'www.other.test', scheme: 'http', path: '/c', url: 'http://www.other.test/c' },
    ]);
  });

  it('is https over TLS, and toWebRequest builds an https URL from it', async () => {
    const { port } = await start(describeRequest, {
      tls: { key: certs!.server.key, cert: certs!.server.cert },
    });
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = connect(
        { port, host: '127.0.0.1', servername: 'localhost', ca: certs!.server.cert },
        () => resolve(s),
      );
      s.once('error', reject);
      onTestFinished(() => {
        s.destroy();
      });
    });
    let raw = '';
    const done = new Promise<void>((resolve) => {
      socket.on('data', (d: Buffer) => {
        raw += d.toString('latin1');
        if (parseResponses(raw, false).length >= 1) resolve();
      });
    });
    socket.write(`GET /x HTTP/1.1\r\nHost: localhost:${port}\r\n\r\n`);
    await done;
    expect(JSON.parse(parseResponses(raw, false)[0]!.body)).toEqual({
      authority: `localhost:${port}`,
      scheme: 'https',
      path: '/x',
      url: `https://localhost:${port}/x`,
    });
  });
});
