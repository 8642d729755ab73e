/**
 * HTTP/2 through serve() (issue #12): one TLS port answers ALPN `h2` with @rws/h2 and
 * `http/1.1` with @rws/http1; h2c with prior knowledge on a plain port when `h2c` is on.
 * Peers: node:http2, node:https, curl (nghttp2), nghttp and h2load.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { promisify } from 'node:util';
import { json } from '@rws/core';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { start } from './helpers.js';

const run = promisify(execFile);

/**
 * nghttp and h2load come from the Debian package nghttp2-client. Missing in CI is a failure;
 * elsewhere the test is skipped with a warning.
 */
const hasNghttp = ['/usr/bin/nghttp', '/usr/bin/h2load'].every((p) => existsSync(p));
if (!hasNghttp) {
  const reason = 'nghttp/h2load not found (apt-get install nghttp2-client)';
  if (process.env['CI'] === 'true') throw new Error(`CI needs ${reason}`);
  console.warn(`[@rws/server] skipping the nghttp/h2load interop test: ${reason}`);
}
let certs: TestCertificates;
let ca: Buffer;

beforeAll(() => {
  certs = createTestCertificates({ prefix: 'rws-server-h2-' });
  ca = readFileSync(certs.ca.certFile);
}, 60_000);
afterAll(() => certs?.cleanup());

const app = (req: import('@rws/core').Request) =>
  json({
    protocol: req.protocol,
    alpn: req.conn.tls?.alpn ?? null,
    authority: req.authority,
    path: req.path,
  });

function h2Get(
  url: string,
  path: string,
  options: { ca?: Buffer } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(url, { ...options, servername: 'localhost' });
    onTestFinished(() => {
      session.destroy();
    });
    session.on('error', reject);
    const stream = session.request({ ':path': path });
    let status = 0;
    let body = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => {
      body += c;
    });
    stream.on('end', () => {
      session.close();
      resolve({ status, body });
    });
    stream.on('error', reject);
  });
}

function h1Get(
  request: typeof httpsRequest | typeof httpRequest,
  port: number,
  options: Record<string, unknown> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/h1', servername: 'localhost', ...options },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('one TLS port, HTTP/2 and HTTP/1.1', () => {
  it('serves node:http2 over ALPN h2 and node:https over http/1.1 on the same port', async () => {
    const server = await start(app, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
    });
    expect(server.urls[0]!.protocols).toEqual(['h2', 'http/1.1']);
    const port = server.address.port;
    const h2 = await h2Get(`https://localhost:${port}`, '/h2?x=1', { ca });
    expect(h2.status).toBe(200);
    expect(JSON.parse(h2.body)).toEqual({
      protocol: 'h2',
      alpn: 'h2',
      authority: `localhost:${port}`,
      path: '/h2',
    });
    const h1 = JSON.parse(await h1Get(httpsRequest, port, { ca, ALPNProtocols: ['http/1.1'] }));
    expect(h1).toMatchObject({ protocol: 'http/1.1', alpn: 'http/1.1', path: '/h1' });
  });

  it('serves curl --http2 and --http1.1 over TLS on one port', async () => {
    const server = await start(app, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
    });
    const port = server.address.port;
    const curl = async (flag: string) => {
      const { stdout } = await run('curl', [
        '-sS',
        flag,
        '--cacert',
        certs.ca.certFile,
        '--resolve',
        `localhost:${port}:127.0.0.1`,
        '-w',
        '\n%{http_version}',
        `https://localhost:${port}/curl`,
      ]);
      const [body, version] = stdout.split('\n');
      return { body: JSON.parse(body!), version };
    };
    const h2 = await curl('--http2');
    expect(h2.version).toBe('2');
    expect(h2.body).toMatchObject({ protocol: 'h2', alpn: 'h2', path: '/curl' });
    const h1 = await curl('--http1.1');
    expect(h1.version).toBe('1.1');
    expect(h1.body).toMatchObject({ protocol: 'http/1.1', path: '/curl' });
  });

  it.skipIf(!hasNghttp)('serves nghttp -nv and a short h2load run', async () => {
    const server = await start(app, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
    });
    const url = `https://127.0.0.1:${server.address.port}/nghttp`;
    const nghttp = await run('nghttp', ['-nv', url]);
    expect(nghttp.stdout).toMatch(/:status: 200/);
    expect(nghttp.stdout).toMatch(/END_STREAM/);
    const load = await run('h2load', ['-n', '200', '-c', '2', '-m', '10', url]);
    expect(load.stdout).toMatch(
      /200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored/,
    );
  });

  it('`http2: false` offers only http/1.1', async () => {
    const server = await start(app, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
      http2: false,
    });
    expect(server.urls[0]!.protocols).toEqual(['http/1.1']);
  });
});

describe('h2c with prior knowledge (opt-in)', () => {
  it('serves h2c and HTTP/1.1 on one plain port when `h2c` is on', async () => {
    const server = await start(app, { h2c: true });
    const port = server.address.port;
    const h2 = await h2Get(`http://127.0.0.1:${port}`, '/plain');
    expect(JSON.parse(h2.body)).toMatchObject({ protocol: 'h2', alpn: null, path: '/plain' });
    const h1 = JSON.parse(await h1Get(httpRequest, port));
    expect(h1).toMatchObject({ protocol: 'http/1.1', path: '/h1' });
    const { stdout } = await run('curl', [
      '-sS',
      '--http2-prior-knowledge',
      '-w',
      '\n%{http_version}',
      `http://127.0.0.1:${port}/c`,
    ]);
    expect(stdout.split('\n')[1]).toBe('2');
  });

  it('is off by default: the preface is answered as a bad HTTP/1.1 request', async () => {
    const server = await start(app);
    const result = await run('curl', [
      '-sS',
      '--http2-prior-knowledge',
      `http://127.0.0.1:${server.address.port}/`,
    ]).catch((e: unknown) => e as Error);
    expect(result).toBeInstanceOf(Error);
  });
});
