/**
 * Issue #8 hardening over real sockets: TLS renegotiation, handshake timeout, connection cap,
 * cipher defaults, plain HTTP on the TLS port, the redirect listener's Host validation, the
 * DNS-rebinding Host check, the admin listener and the listen error messages.
 */
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, connect as netConnect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { isRwsError, text } from '@rws/core';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { serve } from '../src/index.js';
import { defaultMaxConnections, readFdLimit } from '../src/internal/fd-limit.js';
import { resolveOptions } from '../src/internal/options.js';
import { listenError } from '../src/internal/single-server.js';
import { type Certs, generateCerts, RawClient, start } from './helpers.js';

let certs: Certs;
let ca: Buffer;

beforeAll(() => {
  certs = generateCerts();
  ca = readFileSync(certs.ca.certFile);
}, 60_000);

afterAll(() => certs?.cleanup());

function tlsOptions() {
  return { tlsCertFile: certs.server.certFile, tlsKeyFile: certs.server.keyFile };
}

/** Resolves with the ms until the peer closed `socket` (rejects after `maxMs`). */
function closedWithin(socket: Socket, maxMs: number): Promise<number> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still open after ${maxMs} ms`)), maxMs);
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

async function rawConnect(port: number): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Sends `request` on a new plain connection and returns everything until the server closes. */
async function exchange(port: number, request: string): Promise<string> {
  const socket = await rawConnect(port);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    received += chunk;
  });
  socket.write(request);
  await closedWithin(socket, 5000);
  return received;
}

describe('TLS renegotiation (issue #8)', () => {
  it('is refused and the connection closed', async () => {
    const server = await start(() => text('ok'), tlsOptions());
    const socket = tlsConnect({
      port: server.address.port,
      host: '127.0.0.1',
      ca,
      servername: 'localhost',
      // TLS 1.3 has no renegotiation at all; the attack needs 1.2.
      maxVersion: 'TLSv1.2',
    });
    onTestFinished(() => {
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    const closed = closedWithin(socket, 5000);
    const outcome = await new Promise<string>((resolve) => {
      const ok = socket.renegotiate({}, (err) => resolve(err == null ? 'renegotiated' : 'error'));
      if (!ok) resolve('error');
      socket.once('close', () => resolve('closed'));
    });
    expect(outcome).not.toBe('renegotiated');
    await closed;
  });
});

describe('TLS handshake timeout (issue #8)', () => {
  it('closes a client that sends nothing', async () => {
    const server = await start(() => text('ok'), { ...tlsOptions(), handshakeTimeoutMs: 300 });
    const socket = await rawConnect(server.address.port);
    const ms = await closedWithin(socket, 3000);
    expect(ms).toBeGreaterThanOrEqual(250);
  });

  it('closes a client that starts a handshake and stalls', async () => {
    const server = await start(() => text('ok'), { ...tlsOptions(), handshakeTimeoutMs: 300 });
    const socket = await rawConnect(server.address.port);
    // The first bytes of a TLS record header (handshake, TLS 1.0 record version), no more.
    socket.write(Buffer.from([0x16, 0x03, 0x01]));
    await closedWithin(socket, 3000);
  });

  it('defaults to 10 s', () => {
    expect(resolveOptions({}).handshakeTimeoutMs).toBe(10_000);
  });
});

describe('maxConnections (issue #8)', () => {
  it('closes connections over the cap and keeps answering established ones', async () => {
    const server = await start(() => text('ok'), { limits: { maxConnections: 2 } });
    const port = server.address.port;
    const a = await RawClient.plain(port);
    const b = await RawClient.plain(port);
    expect((await a.request('/')).body).toBe('ok');
    expect((await b.request('/')).body).toBe('ok');
    const extra = await rawConnect(port);
    await closedWithin(extra, 3000);
    // The established keep-alive connections are still served.
    expect((await a.request('/again')).body).toBe('ok');
    expect((await b.request('/again')).body).toBe('ok');
    expect(a.isClosed).toBe(false);
  });

  it('defaults to 80% of the soft open-file limit', () => {
    const limits = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max processes             63432                63432                processes ',
      'Max open files            1024                 1048576              files     ',
    ].join('\n');
    expect(readFdLimit(limits)).toBe(1024);
    expect(defaultMaxConnections(limits)).toBe(819);
    expect(defaultMaxConnections('Max open files  unlimited  unlimited  files')).toBe(4096);
    expect(resolveOptions({}).limits.maxConnections).toBe(defaultMaxConnections());
    expect(resolveOptions({ limits: { maxConnections: 0 } }).limits.maxConnections).toBe(0);
  });
});

describe('TLS cipher defaults (issue #8)', () => {
  // RSA: the non-forward-secret suites (AES128-SHA: RSA key exchange) need an RSA key.
  let rsa: TestCertificates;
  beforeAll(() => {
    rsa = createTestCertificates({ prefix: 'rws-server-rsa-', keyType: 'rsa', selfSigned: true });
  }, 60_000);
  afterAll(() => rsa?.cleanup());

  function rsaOptions() {
    return { tlsCertFile: rsa.server.certFile, tlsKeyFile: rsa.server.keyFile };
  }

  function handshake(port: number, options: object): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({
        port,
        host: '127.0.0.1',
        ca: rsa.ca.cert,
        servername: 'localhost',
        ...options,
      });
      onTestFinished(() => {
        socket.destroy();
      });
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  it('refuses clients offering only CBC / SHA-1 / non-forward-secret suites', async () => {
    const server = await start(() => text('ok'), rsaOptions());
    for (const ciphers of ['AES128-SHA', 'ECDHE-RSA-AES128-SHA', 'AES128-GCM-SHA256']) {
      await expect(
        handshake(server.address.port, { ciphers, maxVersion: 'TLSv1.2' }),
        ciphers,
      ).rejects.toThrow(/handshake failure|no ciphers/);
    }
  });

  it('accepts default clients: TLS 1.3, and TLS 1.2 with ECDHE + AEAD', async () => {
    const server = await start(() => text('ok'), rsaOptions());
    const v13 = await handshake(server.address.port, {});
    expect(v13.getProtocol()).toBe('TLSv1.3');
    const v12 = await handshake(server.address.port, { maxVersion: 'TLSv1.2' });
    expect(v12.getProtocol()).toBe('TLSv1.2');
    expect(v12.getCipher().name).toMatch(/^ECDHE-RSA-(AES\d+-GCM|CHACHA20)/);
  });

  it('takes a configured cipher list and minimum version', async () => {
    const legacy = await start(() => text('ok'), {
      ...rsaOptions(),
      tlsCiphers: 'AES128-SHA:TLS_AES_128_GCM_SHA256',
    });
    const old = await handshake(legacy.address.port, {
      ciphers: 'AES128-SHA',
      maxVersion: 'TLSv1.2',
    });
    expect(old.getCipher().name).toBe('AES128-SHA');

    const strict = await start(() => text('ok'), { ...rsaOptions(), tlsMinVersion: 'TLSv1.3' });
    await expect(handshake(strict.address.port, { maxVersion: 'TLSv1.2' })).rejects.toThrow();
    expect((await handshake(strict.address.port, {})).getProtocol()).toBe('TLSv1.3');
  });
});

describe('plain HTTP on the TLS port (issue #8)', () => {
  it('gets 400 with a hint', async () => {
    const server = await start(() => text('ok'), tlsOptions());
    const reply = await exchange(server.address.port, 'GET / HTTP/1.1\r\nhost: localhost\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('connection: close');
    expect(reply.endsWith('\r\n\r\nplain HTTP request sent to an HTTPS port\n')).toBe(true);
    // TLS clients on the same port are unaffected.
    const client = await RawClient.tls(server.address.port, { ca, servername: 'localhost' });
    expect((await client.request('/')).body).toBe('ok');
  });

  it('is redirected to HTTPS when a redirect port is configured', async () => {
    const server = await start(() => text('ok'), { ...tlsOptions(), httpRedirectPort: 0 });
    const port = server.address.port;
    const client = await RawClient.plain(port);
    const res = await client.request('/a?b=1');
    expect(res.status).toBe(301);
    expect(res.headers['location']).toBe(`https://localhost:${port}/a?b=1`);
  });
});

describe('redirect listener Host validation (issue #8)', () => {
  async function redirectClient(options: object = {}) {
    const server = await start(() => text('ok'), {
      ...tlsOptions(),
      httpRedirectPort: 0,
      ...options,
    });
    const url = server.urls.find((u) => u.isRedirect)!.url;
    return { server, client: await RawClient.plain(Number(new URL(url).port)) };
  }

  it('answers 400, with no Location, to a Host that is not a host', async () => {
    for (const host of [
      '[evil',
      '[evil]:1',
      'a b',
      'evil.com:99999',
      'evil.com:80x',
      'a/b',
      'a@b',
    ]) {
      const { client } = await redirectClient();
      const res = await client.request('/', {
        raw: `GET / HTTP/1.1\r\nhost: ${host}\r\n\r\n`,
      });
      expect(res.status, host).toBe(400);
      expect(res.headers['location'], host).toBeUndefined();
    }
  });

  it('keeps valid names, IPv4 and bracketed IPv6; /. and /%2e never give Location: //', async () => {
    const { server, client } = await redirectClient();
    const port = server.address.port;
    const cases: [string, string, string][] = [
      ['Example.COM:8080', '/', `https://example.com:${port}/`],
      ['10.0.0.1', '/x', `https://10.0.0.1:${port}/x`],
      ['[::1]:80', '/x', `https://[::1]:${port}/x`],
      ['localhost', '/.', `https://localhost:${port}/.`],
      ['localhost', '/%2e', `https://localhost:${port}/%2e`],
    ];
    for (const [host, target, location] of cases) {
      const res = await client.request(target, {
        raw: `GET ${target} HTTP/1.1\r\nhost: ${host}\r\n\r\n`,
      });
      expect(res.status).toBe(301);
      expect(res.headers['location']).toBe(location);
      expect(res.headers['location']!.startsWith('//')).toBe(false);
    }
  });

  it('prefers the configured names', async () => {
    const { server, client } = await redirectClient({ allowedHosts: ['www.example.com'] });
    const port = server.address.port;
    const other = await client.request('/', {
      raw: 'GET /p HTTP/1.1\r\nhost: attacker.test\r\n\r\n',
    });
    expect(other.headers['location']).toBe(`https://www.example.com:${port}/p`);
    const same = await client.request('/', {
      raw: 'GET /p HTTP/1.1\r\nhost: www.example.com\r\n\r\n',
    });
    expect(same.headers['location']).toBe(`https://www.example.com:${port}/p`);
    // A reload that changes the names changes where the redirect points.
    await server.reload({
      ...tlsOptions(),
      port: 0,
      httpRedirectPort: 0,
      onError: () => {},
      allowedHosts: ['new.example.com'],
    });
    const after = await client.request('/', {
      raw: 'GET /p HTTP/1.1\r\nhost: www.example.com\r\n\r\n',
    });
    expect(after.headers['location']).toBe(`https://new.example.com:${port}/p`);
  });
});

describe('Host check against DNS rebinding (issue #8)', () => {
  async function status(port: number, host: string): Promise<number> {
    const client = await RawClient.plain(port);
    const res = await client.request('/', { raw: `GET / HTTP/1.1\r\nhost: ${host}\r\n\r\n` });
    return res.status;
  }

  it('a loopback-bound server answers loopback names only (421 otherwise)', async () => {
    const server = await start(() => text('ok'));
    const port = server.address.port;
    for (const host of [
      'localhost',
      `localhost:${port}`,
      `127.0.0.1:${port}`,
      '127.1.2.3',
      `[::1]:${port}`,
      `app.localhost:${port}`,
    ]) {
      expect(await status(port, host), host).toBe(200);
    }
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      'localhost:1',
      '10.0.0.1',
      '[evil',
    ]) {
      expect(await status(port, host), host).toBe(421);
    }
    const client = await RawClient.plain(port);
    const res = await client.request('/', { raw: 'GET / HTTP/1.1\r\nhost: rebind.test\r\n\r\n' });
    expect(res.body).toBe('misdirected request: this server does not answer for that Host\n');
  });

  it('allowedHosts adds names (and wildcards); "any" turns the check off', async () => {
    const named = await start(() => text('ok'), {
      allowedHosts: ['app.test', '*.example.com'],
    });
    expect(await status(named.address.port, 'app.test:8443')).toBe(200);
    expect(await status(named.address.port, 'a.example.com')).toBe(200);
    expect(await status(named.address.port, 'example.com')).toBe(421);
    expect(await status(named.address.port, 'localhost')).toBe(200);
    expect(await status(named.address.port, 'other.test')).toBe(421);

    const any = await start(() => text('ok'), { allowedHosts: 'any' });
    expect(await status(any.address.port, 'evil.example')).toBe(200);
  });

  it('rejects bad allowedHosts entries', () => {
    expect(() => resolveOptions({ allowedHosts: ['ok.test', 'bad name'] })).toThrow(
      /allowedHosts\[1\]: not a host name/,
    );
  });
});

describe('health endpoints and the admin listener (issue #8)', () => {
  it('the admin listener serves /healthz, /readyz, /metrics; the site keeps its paths', async () => {
    const server = await start((req) => text(`site ${req.path}`), { admin: { port: 0 } });
    const admin = server.urls.find((u) => u.isAdmin === true);
    expect(admin).toBeDefined();
    const site = await RawClient.plain(server.address.port);
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      expect((await site.request(path)).body).toBe(`site ${path}`);
    }
    const adminClient = await RawClient.plain(Number(new URL(admin!.url).port));
    expect((await adminClient.request('/healthz')).body).toBe('OK');
    expect((await adminClient.request('/readyz')).body).toBe('OK');
    const metrics = await adminClient.request('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('rws_http_requests_total');
    expect((await adminClient.request('/other')).status).toBe(404);
    // The admin listener has the DNS-rebinding guard too.
    const rebound = await adminClient.request('/metrics', {
      raw: 'GET /metrics HTTP/1.1\r\nhost: rebind.evil.test\r\n\r\n',
    });
    expect(rebound.status).toBe(421);
  });

  it('admin.handler serves the admin listener past the built-in endpoints', async () => {
    const server = await start((req) => text(`site ${req.path}`), {
      admin: { port: 0, handler: (req) => text(`admin ${req.method} ${req.path}`) },
    });
    const admin = server.urls.find((u) => u.isAdmin === true);
    const client = await RawClient.plain(Number(new URL(admin!.url).port));
    expect((await client.request('/healthz')).body).toBe('OK');
    expect((await client.request('/metrics')).body).toContain('rws_http_requests_total');
    expect((await client.request('/mcp')).body).toBe('admin GET /mcp');
    const post = await client.request('/mcp', {
      raw: 'POST /mcp HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 0\r\n\r\n',
    });
    expect(post.body).toBe('admin POST /mcp');
    expect(() => resolveOptions({ admin: { port: 0, handler: 'nope' as never } })).toThrow(
      /admin\.handler/,
    );
  });

  it('main-listener paths are configurable; /metrics is off by default off loopback', async () => {
    const server = await start((req) => text(`site ${req.path}`), {
      health: { healthz: '/_/health', metrics: false },
    });
    const client = await RawClient.plain(server.address.port);
    expect((await client.request('/_/health')).body).toBe('OK');
    expect((await client.request('/healthz')).body).toBe('site /healthz');
    expect((await client.request('/metrics')).body).toBe('site /metrics');
    expect((await client.request('/readyz')).body).toBe('OK');

    expect(resolveOptions({}).health.metrics).toBe('/metrics');
    expect(resolveOptions({ host: '0.0.0.0' }).health).toEqual({
      healthz: '/healthz',
      readyz: '/readyz',
      metrics: null,
    });
    expect(resolveOptions({ host: '::', health: { metrics: '/metrics' } }).health.metrics).toBe(
      '/metrics',
    );
    expect(resolveOptions({ admin: { port: 9100 } }).health).toEqual({
      healthz: null,
      readyz: null,
      metrics: null,
    });
  });
});

describe('listen errors say why (issue #8)', () => {
  it('a busy port', async () => {
    const blocker = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const err = await serve(() => text('x'), { port, onError: () => {} }).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_SERVER_LISTEN_FAILED')).toBe(true);
    expect((err as Error).message).toBe(
      `cannot listen on 127.0.0.1:${port} (http): port ${port} is already in use`,
    );
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });

  it('an address that is not local (TEST-NET-1, never assigned; bind fails, nothing is sent)', async () => {
    const err = await serve(() => text('x'), {
      host: '192.0.2.1',
      port: 0,
      onError: () => {},
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'cannot listen on 192.0.2.1:0 (http): address 192.0.2.1 is not an address of this machine',
    );
    expect(((err as Error).cause as NodeJS.ErrnoException).code).toBe('EADDRNOTAVAIL');
  });

  it('a privileged port (text only: the tests may run as root)', () => {
    const cause = Object.assign(new Error('listen EACCES'), { code: 'EACCES' });
    expect(listenError(cause, '0.0.0.0', 80, 'http').message).toBe(
      'cannot listen on 0.0.0.0:80 (http): port 80 needs privileges (ports below 1024 need root or CAP_NET_BIND_SERVICE; use a port from 1024 up)',
    );
    expect(listenError(cause, '::', 80, 'https').message).toMatch(/^cannot listen on \[::\]:80/);
  });
});
