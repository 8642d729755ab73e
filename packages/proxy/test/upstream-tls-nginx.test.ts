/**
 * Real peers behind the proxy: a node:https backend (CA trust, SNI, client certificates,
 * verification on by default) and nginx (keep-alive reuse, gzip, static files).
 */
import { writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import {
  createTestCertificates,
  findNginx,
  type RunningNginx,
  startNginx,
  type TestCertificates,
} from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream, getProxyInfo, reverseProxy } from '../src/index.js';
import { serveProxy } from './helpers.js';

describe('TLS upstreams', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = createTestCertificates({
      prefix: 'rws-proxy-tls-',
      serverNames: ['api.rws.test'],
      client: true,
    });
  }, 60_000);
  afterAll(() => certs?.cleanup());

  async function tlsBackend(options: https.ServerOptions = {}): Promise<string> {
    const server = https.createServer(
      { key: certs.server.key, cert: certs.server.cert, ...options },
      (req, res) => {
        const socket = req.socket as TLSSocket & { servername?: string | false };
        res.end(
          JSON.stringify({
            sni: socket.servername || null,
            peer: socket.getPeerCertificate()?.subject?.CN ?? null,
            host: req.headers.host,
          }),
        );
      },
    );
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('verifies the backend certificate by default: an unknown CA is a 502', async () => {
    const origin = await tlsBackend();
    let error: string | null | undefined;
    const proxy = reverseProxy({ upstream: origin });
    const p = await serveProxy({
      async handle(req, next) {
        const res = await proxy.handle(req, next);
        error = getProxyInfo(req)?.error;
        return res;
      },
      close: () => proxy.close(),
    });
    const res = await fetch(`${p}/`);
    expect(res.status).toBe(502);
    expect(error).toBe('RWS_PROXY_CONNECT_FAILED');
  });

  it('trusts a configured CA, sends SNI and a client certificate (mTLS)', async () => {
    const origin = await tlsBackend({
      ca: certs.ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const upstream = createUpstream({
      name: 'tls',
      backends: [origin],
      tls: {
        ca: certs.ca.cert,
        servername: 'api.rws.test',
        cert: certs.client!.cert,
        key: certs.client!.key,
      },
    });
    onTestFinished(() => upstream.close());
    const p = await serveProxy(reverseProxy({ upstream }));
    const res = await fetch(`${p}/`);
    expect(res.status).toBe(200);
    const seen = (await res.json()) as { sni: string; peer: string; host: string };
    expect(seen.sni).toBe('api.rws.test');
    expect(seen.peer).toBe('rws client');
    expect(seen.host).toBe(new URL(origin).host);
  });

  it('without the client certificate an mTLS backend refuses: 502', async () => {
    const origin = await tlsBackend({
      ca: certs.ca.cert,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const upstream = createUpstream({
      name: 'tls',
      backends: [origin],
      tls: { ca: certs.ca.cert },
    });
    onTestFinished(() => upstream.close());
    const p = await serveProxy(reverseProxy({ upstream, retry: { attempts: 1 } }));
    expect((await fetch(`${p}/`)).status).toBe(502);
  });
});

const nginx = findNginx();
const isCi = process.env['CI'] === 'true';
if (nginx === null && !isCi) {
  console.warn('[upstream-tls-nginx.test] nginx suite skipped: nginx is not installed');
}

describe('nginx is available in CI', () => {
  it.runIf(isCi)('nginx is installed', () => {
    expect(nginx, 'CI=true requires nginx on PATH').not.toBe(null);
  });
});

describe.skipIf(nginx === null)(
  nginx === null ? 'nginx backend (skipped: nginx is not installed)' : 'nginx backend',
  () => {
    let server: RunningNginx | null = null;
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;

    beforeAll(async () => {
      server = await startNginx({
        bin: nginx!,
        prefix: 'rws-proxy-nginx-',
        setup(dir) {
          writeFileSync(join(dir, 'www', 'big.bin'), big);
          writeFileSync(join(dir, 'www', 'text.txt'), 'compress me '.repeat(2000));
        },
        http: (dir, port) => `
  access_log ${dir}/access.log;
  keepalive_timeout 30s;
  types { text/plain txt; application/octet-stream bin; }
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
    add_header x-conn $connection always;
    gzip on;
    gzip_types text/plain;
    gzip_min_length 1;
    # The proxy sends Via, which nginx treats as a proxied request (gzip_proxied off by default).
    gzip_proxied any;
    location = /headers { return 200 "$http_x_forwarded_for|$http_via|$http_host|$http_connection"; }
  }`,
      });
    }, 20_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('relays files byte for byte and reuses one keep-alive connection', async () => {
      const upstream = createUpstream({ name: 'nginx', backends: [server!.origin] });
      onTestFinished(() => upstream.close());
      const p = await serveProxy(reverseProxy({ upstream }));
      const conns = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${p}/big.bin`);
        expect(Buffer.from(await res.arrayBuffer()).equals(big)).toBe(true);
        conns.add(res.headers.get('x-conn')!);
      }
      expect(conns.size).toBe(1);
      const gz = await fetch(`${p}/text.txt`, { headers: { 'accept-encoding': 'gzip' } });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      expect(await gz.text()).toBe('compress me '.repeat(2000));
      const h = await (await fetch(`${p}/headers`)).text();
      const [xff, via, host, connection] = h.split('|');
      expect(xff).toBe('127.0.0.1');
      expect(via).toBe('1.1 rws');
      expect(host).toBe(new URL(server!.origin).host);
      // The pool keeps the connection open: no Connection: close (or anything else) was sent.
      expect(connection).toBe('');
    });
  },
);
