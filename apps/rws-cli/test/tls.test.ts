/**
 * `rws --tls-cert-file … --tls-key-file … --http-redirect-port …` as a child process, with a
 * certificate made by openssl at test time: HTTPS serves, the plain listener redirects.
 */

import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { Http3Client } from '@rws/h3';
import { createTestCertificates } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { startCli, tempDir } from './cli-process.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(url: string, ca?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const options = { method: 'GET', agent: false as const, ...(ca === undefined ? {} : { ca }) };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('rws with TLS and an HTTP→HTTPS redirect listener', () => {
  it('serves over https and redirects plain http with 301', async () => {
    const dir = tempDir('rws-tls-');
    const { certFile: cert, keyFile: key } = createTestCertificates({
      dir,
      selfSigned: true,
    }).server;
    writeFileSync(join(dir, 'hello.txt'), 'secure hello\n');
    const rws = await startCli(
      ['-p', '0', '--tls-cert-file', cert, '--tls-key-file', key, '--http-redirect-port', '0'],
      { cwd: dir },
    );
    expect(rws.urls).toHaveLength(2);
    const [main, redirect] = rws.urls as [string, string];
    expect(main).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(redirect).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(rws.stdout).toContain(`➜ ${redirect} (redirects to https)`);

    const ca = readFileSync(cert, 'utf8');
    const ok = await get(`${main}hello.txt`, ca);
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('secure hello\n');
    // Issue #8: no HSTS unless configured (it would pin localhost to HTTPS).
    expect(ok.headers['strict-transport-security']).toBeUndefined();

    const moved = await get(`${redirect}hello.txt?x=1`);
    expect(moved.status).toBe(301);
    expect(moved.headers['location']).toBe(`${main}hello.txt?x=1`);

    await rws.waitFor('stdout', '"path":"/hello.txt"');
    expect(await rws.stop()).toBe(0);
  }, 30_000);
});

describe('rws serves HTTP/2 on the TLS port (issue #12)', () => {
  /** The ALPN protocol a TLS client offering h2 and http/1.1 ends up with, and an h2 GET. */
  async function probe(
    origin: string,
    ca: string,
  ): Promise<{ alpn: string | false; body: string }> {
    const { connect: tlsConnect } = await import('node:tls');
    const u = new URL(origin);
    const alpn = await new Promise<string | false>((resolve, reject) => {
      const s = tlsConnect(
        {
          host: u.hostname,
          port: Number(u.port),
          ca,
          ALPNProtocols: ['h2', 'http/1.1'],
          servername: 'localhost',
        },
        () => {
          resolve(s.alpnProtocol ?? false);
          s.destroy();
        },
      );
      s.on('error', reject);
    });
    if (alpn !== 'h2') return { alpn, body: '' };
    const { connect: h2Connect } = await import('node:http2');
    const session = h2Connect(origin, { ca, servername: 'localhost' });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = session.request({ ':path': '/hello.txt', ':authority': 'localhost' });
        let text = '';
        req.setEncoding('utf8');
        req.on('data', (c: string) => {
          text += c;
        });
        req.on('end', () => resolve(text));
        req.on('error', reject);
        req.end();
      });
      return { alpn, body };
    } finally {
      session.close();
    }
  }

  it('negotiates h2 by default and serves the files over it; --http2 off keeps HTTP/1.1 only', async () => {
    const dir = tempDir('rws-h2-');
    const { certFile: cert, keyFile: key } = createTestCertificates({
      dir,
      selfSigned: true,
    }).server;
    writeFileSync(join(dir, 'hello.txt'), 'over h2\n');
    const ca = readFileSync(cert, 'utf8');

    const on = await startCli(['-p', '0', '--tls-cert-file', cert, '--tls-key-file', key], {
      cwd: dir,
    });
    expect(await probe(on.urls[0]!.replace(/\/$/, ''), ca)).toEqual({
      alpn: 'h2',
      body: 'over h2\n',
    });
    await on.stop();

    const off = await startCli(
      ['-p', '0', '--tls-cert-file', cert, '--tls-key-file', key, '--http2', 'off'],
      { cwd: dir },
    );
    expect((await probe(off.urls[0]!.replace(/\/$/, ''), ca)).alpn).toBe('http/1.1');
    await off.stop();
  }, 30_000);

  it('issue #21: SIGHUP with new certificate files reaches new HTTP/3 connections', async () => {
    const dir = tempDir('rws-h3-reload-');
    const certs = createTestCertificates({
      dir: tempDir('rws-h3-reload-certs-'),
      servers: { next: { cn: 'localhost', san: ['DNS:localhost', 'IP:127.0.0.1'] } },
    });
    const certFile = join(dir, 'live.crt');
    const keyFile = join(dir, 'live.key');
    writeFileSync(certFile, certs.server.cert);
    writeFileSync(keyFile, certs.server.key);
    writeFileSync(join(dir, 'hello.txt'), 'reloaded\n');
    const rws = await startCli(
      ['-p', '0', '--tls-cert-file', certFile, '--tls-key-file', keyFile],
      {
        cwd: dir,
      },
    );
    const port = Number(new URL(rws.urls[0]!).port);
    const serialOverH3 = async (): Promise<string | undefined> => {
      const client = await Http3Client.connect({
        host: '127.0.0.1',
        port,
        serverName: 'localhost',
        ca: [certs.ca.cert],
      });
      try {
        const res = await client.request({ path: '/hello.txt' });
        expect(Buffer.from(res.body).toString()).toBe('reloaded\n');
        return client.peerCertificate?.serialNumber;
      } finally {
        await client.close();
      }
    };
    const serialOf = (pem: string) => new X509Certificate(pem).serialNumber;
    try {
      expect(await serialOverH3()).toBe(serialOf(certs.server.cert));
      writeFileSync(certFile, certs.servers.next.cert);
      writeFileSync(keyFile, certs.servers.next.key);
      rws.child.kill('SIGHUP');
      await rws.waitFor('stderr', 'rws: reloaded configuration');
      expect(await serialOverH3()).toBe(serialOf(certs.servers.next.cert));
    } finally {
      await rws.stop();
    }
  }, 90_000);

  it('issue #21: with a certificate it serves HTTP/3 on UDP at the same port; --http3 off does not', async () => {
    const dir = tempDir('rws-h3-');
    const { certFile: cert, keyFile: key } = createTestCertificates({
      dir,
      selfSigned: true,
    }).server;
    writeFileSync(join(dir, 'hello.txt'), 'over h3\n');
    const ca = readFileSync(cert, 'utf8');
    const on = await startCli(['-p', '0', '--tls-cert-file', cert, '--tls-key-file', key], {
      cwd: dir,
    });
    const port = Number(new URL(on.urls[0]!).port);
    const client = await Http3Client.connect({
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      ca: [ca],
    });
    try {
      const res = await client.request({ path: '/hello.txt' });
      expect(res.status).toBe(200);
      expect(Buffer.from(res.body).toString()).toBe('over h3\n');
    } finally {
      await client.close();
      await on.stop();
    }
    const off = await startCli(
      ['-p', '0', '--tls-cert-file', cert, '--tls-key-file', key, '--http3', 'off'],
      { cwd: dir },
    );
    const offPort = Number(new URL(off.urls[0]!).port);
    // Nothing answers QUIC: the handshake times out.
    const failed = await Http3Client.connect({
      host: '127.0.0.1',
      port: offPort,
      maxIdleTimeoutMs: 2000,
      serverName: 'localhost',
      ca: [ca],
    })
      .then(async (c) => {
        await c.close();
        return false;
      })
      .catch(() => true);
    expect(failed).toBe(true);
    await off.stop();
  }, 90_000);
});
