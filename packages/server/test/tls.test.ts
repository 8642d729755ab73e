/**
 * serve() over TLS with certificates generated per run: keep-alive, SNI (exact, wildcard,
 * default), mTLS, the HTTP→HTTPS redirect listener, HSTS and certificate reload.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { type PeerCertificate, connect as tlsConnect } from 'node:tls';
import { isRwsError, json, text } from '@rws/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../src/index.js';
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

function cn(client: RawClient): unknown {
  return (client.tlsSocket.getPeerCertificate() as PeerCertificate).subject.CN;
}

describe('TLS', () => {
  it('serves HTTPS with ALPN http/1.1 and keeps connections alive', async () => {
    const server = await start(
      (req) =>
        json({ alpn: req.conn.tls?.alpn, sni: req.conn.tls?.sni, version: req.conn.tls?.version }),
      tlsOptions(),
    );
    expect(server.url).toBe(`https://127.0.0.1:${server.address.port}`);
    // HTTP/2 is on by default with TLS and preferred; this client offers only HTTP/1.1.
    expect(server.urls[0]!.protocols).toEqual(['h2', 'http/1.1']);
    const client = await RawClient.tls(server.address.port, {
      ca,
      servername: 'localhost',
      ALPNProtocols: ['http/1.1'],
    });
    expect(client.tlsSocket.alpnProtocol).toBe('http/1.1');
    expect(cn(client)).toBe('localhost');
    const first = await client.request('/');
    expect(JSON.parse(first.body)).toEqual({
      alpn: 'http/1.1',
      sni: 'localhost',
      version: client.tlsSocket.getProtocol(),
    });
    const second = await client.request('/again');
    expect(second.status).toBe(200);
    expect(client.isClosed).toBe(false);
  });

  it('serves clients that offer no ALPN over HTTP/1.1', async () => {
    const server = await start(() => text('no alpn'), { ...tlsOptions(), http2: false });
    expect(server.urls[0]!.protocols).toEqual(['http/1.1']);
    const client = await RawClient.tls(server.address.port, { ca, servername: 'localhost' });
    expect((await client.request('/')).body).toBe('no alpn');
    // Offering only protocols we do not serve (h2 with `http2: false`) fails the handshake
    // (RFC 7301 §3.2).
    const h2only = await RawClient.tls(server.address.port, {
      ca,
      servername: 'localhost',
      ALPNProtocols: ['h2'],
    }).catch((e: unknown) => e);
    expect((h2only as Error).message).toContain('no application protocol');
  });

  it('picks the certificate by SNI: exact, wildcard, default', async () => {
    const server = await start((req) => text(req.conn.tls?.sni ?? 'none'), {
      ...tlsOptions(),
      virtualHosts: [
        {
          domain: 'a.rws.test',
          certFile: certs.servers.a.certFile,
          keyFile: certs.servers.a.keyFile,
        },
        {
          domain: '*.wild.rws.test',
          certFile: certs.servers.wild.certFile,
          keyFile: certs.servers.wild.keyFile,
        },
      ],
    });
    const port = server.address.port;
    const a = await RawClient.tls(port, { ca, servername: 'a.rws.test' });
    expect(cn(a)).toBe('a.rws.test');
    expect((await a.request('/')).body).toBe('a.rws.test');
    const upper = await RawClient.tls(port, { ca, servername: 'A.RWS.TEST' });
    expect(cn(upper)).toBe('a.rws.test');
    const wild = await RawClient.tls(port, { ca, servername: 'x.wild.rws.test' });
    expect(cn(wild)).toBe('*.wild.rws.test');
    // A wildcard covers exactly one label.
    const deep = await RawClient.tls(port, {
      ca,
      servername: 'y.x.wild.rws.test',
      rejectUnauthorized: false,
    });
    expect(cn(deep)).toBe('localhost');
    const other = await RawClient.tls(port, {
      ca,
      servername: 'other.test',
      rejectUnauthorized: false,
    });
    expect(cn(other)).toBe('localhost');
    // No SNI at all (an IP address): the default certificate.
    const ip = await RawClient.tls(port, { ca });
    expect(cn(ip)).toBe('localhost');
    expect((await ip.request('/')).body).toBe('none');
  });

  it('fails to start on a missing or mismatched certificate, naming the file', async () => {
    const missing = await serve(() => text('x'), {
      port: 0,
      tlsCertFile: `${certs.dir}/nope.crt`,
      tlsKeyFile: certs.server.keyFile,
    }).catch((e: unknown) => e);
    expect(isRwsError(missing, 'RWS_SERVER_TLS_LOAD_FAILED')).toBe(true);
    expect((missing as Error).message).toContain('nope.crt');
    const mismatch = await serve(() => text('x'), {
      port: 0,
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.servers.a.keyFile,
    }).catch((e: unknown) => e);
    expect(isRwsError(mismatch, 'RWS_SERVER_TLS_LOAD_FAILED')).toBe(true);
  });
});

describe('mTLS', () => {
  it('requires a client certificate from the CA and shows it to the handler', async () => {
    const server = await start(
      (req) =>
        json({
          authorized: req.conn.tls?.authorized,
          cn: (req.conn.tls?.peerCertificate?.['subject'] as { CN?: string } | undefined)?.CN,
        }),
      { ...tlsOptions(), tlsClientCaFile: certs.ca.certFile },
    );
    const port = server.address.port;
    const client = await RawClient.tls(port, {
      ca,
      servername: 'localhost',
      cert: readFileSync(certs.client!.certFile),
      key: readFileSync(certs.client!.keyFile),
    });
    expect(JSON.parse((await client.request('/')).body)).toEqual({
      authorized: true,
      cn: 'rws client',
    });

    // Without a certificate, or with one from another CA, no request gets through.
    for (const extra of [
      {},
      { cert: readFileSync(certs.rogue!.certFile), key: readFileSync(certs.rogue!.keyFile) },
    ]) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = tlsConnect({
          port,
          host: '127.0.0.1',
          ca,
          servername: 'localhost',
          ...extra,
        });
        let data = '';
        socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\nhost: localhost\r\n\r\n'));
        socket.on('data', (d) => {
          data += d;
        });
        socket.on('error', (err) => resolve(`error: ${err.message}`));
        socket.on('close', () => resolve(`closed: ${data}`));
      });
      expect(outcome).not.toContain('HTTP/1.1 200');
    }
    const metrics = await client.request('/metrics');
    expect(metrics.body).toMatch(/rws_http_errors_total\{kind="tls_handshake"\} [1-9]/);
  });

  it('serves in-memory sniCertificates and swaps them on reloadCertificates() (issue #22)', async () => {
    const pem = (name: 'a' | 'wild' | 'server2') => ({
      cert: readFileSync(certs.servers[name].certFile, 'utf8'),
      key: readFileSync(certs.servers[name].keyFile, 'utf8'),
    });
    let current = [{ hosts: ['a.rws.test', '*.wild.rws.test'], ...pem('a') }];
    const server = await start(() => text('ok'), {
      ...tlsOptions(),
      sniCertificates: () => current,
    });
    const port = server.address.port;
    expect(cn(await RawClient.tls(port, { ca, servername: 'a.rws.test' }))).toBe('a.rws.test');
    expect(
      cn(
        await RawClient.tls(port, { ca, servername: 'x.wild.rws.test', rejectUnauthorized: false }),
      ),
    ).toBe('a.rws.test');
    expect(cn(await RawClient.tls(port, { ca, servername: 'localhost' }))).toBe('localhost');
    current = [{ hosts: ['a.rws.test'], ...pem('server2') }];
    await server.reloadCertificates();
    const after = cn(
      await RawClient.tls(port, { ca, servername: 'a.rws.test', rejectUnauthorized: false }),
    );
    expect(after).not.toBe('a.rws.test');
    expect(
      cn(
        await RawClient.tls(port, { ca, servername: 'x.wild.rws.test', rejectUnauthorized: false }),
      ),
    ).toBe('localhost');
    // A pair OpenSSL refuses fails the reload and keeps the contexts in force.
    current = [{ hosts: ['a.rws.test'], cert: pem('a').cert, key: pem('wild').key }];
    await expect(server.reloadCertificates()).rejects.toThrow(
      /invalid certificate\/key of a\.rws\.test/,
    );
    expect(
      cn(await RawClient.tls(port, { ca, servername: 'a.rws.test', rejectUnauthorized: false })),
    ).toBe(after);
  });

  it('keeps SNI and mTLS together: a virtual host also verifies client certificates', async () => {
    const server = await start((req) => text(String(req.conn.tls?.authorized)), {
      ...tlsOptions(),
      tlsClientCaFile: certs.ca.certFile,
      virtualHosts: [
        {
          domain: 'a.rws.test',
          certFile: certs.servers.a.certFile,
          keyFile: certs.servers.a.keyFile,
        },
      ],
    });
    const client = await RawClient.tls(server.address.port, {
      ca,
      servername: 'a.rws.test',
      cert: readFileSync(certs.client!.certFile),
      key: readFileSync(certs.client!.keyFile),
    });
    expect(cn(client)).toBe('a.rws.test');
    expect((await client.request('/')).body).toBe('true');
  });
});

describe('HTTP→HTTPS redirect listener', () => {
  it('answers 301 for GET/HEAD and 308 otherwise, to the TLS port, keeping the target', async () => {
    const server = await start(() => text('secure'), { ...tlsOptions(), httpRedirectPort: 0 });
    const redirect = server.urls.find((u) => u.isRedirect)!;
    expect(redirect.url.startsWith('http://127.0.0.1:')).toBe(true);
    const redirectPort = Number(new URL(redirect.url).port);
    const tlsPort = server.address.port;
    const client = await RawClient.plain(redirectPort);
    const get = await client.request('/a/b?c=1', { headers: 'x: y\r\n' });
    expect(get.status).toBe(301);
    expect(get.headers['location']).toBe(`https://localhost:${tlsPort}/a/b?c=1`);
    expect(get.headers['content-length']).toBe('0');
    const head = await client.request('/h', { method: 'HEAD' });
    expect(head.status).toBe(301);
    const post = await client.request('/form', {
      method: 'POST',
      headers: 'content-length: 0\r\n',
    });
    expect(post.status).toBe(308);
    expect(post.headers['location']).toBe(`https://localhost:${tlsPort}/form`);
    const v6 = await client.request('/', {
      raw: 'DELETE /x HTTP/1.1\r\nhost: [::1]:8080\r\n\r\n',
    });
    expect(v6.status).toBe(308);
    expect(v6.headers['location']).toBe(`https://[::1]:${tlsPort}/x`);
    // The redirect listener does not serve the app nor HSTS.
    expect(get.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('HSTS', () => {
  it('is not sent by default (issue #8: it would pin localhost to HTTPS)', async () => {
    const secure = await start(() => text('x'), tlsOptions());
    const c1 = await RawClient.tls(secure.address.port, { ca, servername: 'localhost' });
    const res = await c1.request('/');
    expect(res.status).toBe(200);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect((await c1.request('/healthz')).headers['strict-transport-security']).toBeUndefined();
  });

  it('is added to TLS responses when configured, never to plain ones', async () => {
    const secure = await start(() => text('x'), { ...tlsOptions(), hsts: 'max-age=31536000' });
    const c1 = await RawClient.tls(secure.address.port, { ca, servername: 'localhost' });
    expect((await c1.request('/')).headers['strict-transport-security']).toBe('max-age=31536000');
    expect((await c1.request('/healthz')).headers['strict-transport-security']).toBe(
      'max-age=31536000',
    );

    const custom = await start(
      (req) =>
        req.path === '/own'
          ? text('own', { headers: { 'strict-transport-security': 'max-age=60' } })
          : text('x'),
      { ...tlsOptions(), hsts: 'max-age=63072000; includeSubDomains; preload' },
    );
    const c2 = await RawClient.tls(custom.address.port, { ca, servername: 'localhost' });
    expect((await c2.request('/')).headers['strict-transport-security']).toBe(
      'max-age=63072000; includeSubDomains; preload',
    );
    expect((await c2.request('/own')).headers['strict-transport-security']).toBe('max-age=60');

    const off = await start(() => text('x'), { ...tlsOptions(), hsts: false });
    const c3 = await RawClient.tls(off.address.port, { ca, servername: 'localhost' });
    expect((await c3.request('/')).headers['strict-transport-security']).toBeUndefined();

    const plain = await start(() => text('x'));
    const c4 = await RawClient.plain(plain.address.port);
    expect((await c4.request('/')).headers['strict-transport-security']).toBeUndefined();
  });
});

describe('certificate reload', () => {
  it('new connections get the new certificate; an open keep-alive connection keeps working', async () => {
    const dir = certs.dir;
    const certFile = `${dir}/live.crt`;
    const keyFile = `${dir}/live.key`;
    const vhCert = `${dir}/live-a.crt`;
    const vhKey = `${dir}/live-a.key`;
    copyFileSync(certs.server.certFile, certFile);
    copyFileSync(certs.server.keyFile, keyFile);
    copyFileSync(certs.servers.a.certFile, vhCert);
    copyFileSync(certs.servers.a.keyFile, vhKey);
    const server = await start(() => text('ok'), {
      tlsCertFile: certFile,
      tlsKeyFile: keyFile,
      virtualHosts: [{ domain: 'a.rws.test', certFile: vhCert, keyFile: vhKey }],
    });
    const port = server.address.port;
    const serial = (c: RawClient): string => c.tlsSocket.getPeerCertificate().serialNumber;
    const old = await RawClient.tls(port, { ca, servername: 'localhost' });
    const oldSerial = serial(old);
    expect((await old.request('/')).body).toBe('ok');

    // Replace the files (new default cert; the SNI cert becomes the wildcard one).
    copyFileSync(certs.servers.server2.certFile, certFile);
    copyFileSync(certs.servers.server2.keyFile, keyFile);
    copyFileSync(certs.servers.wild.certFile, vhCert);
    copyFileSync(certs.servers.wild.keyFile, vhKey);
    await server.reloadCertificates();

    const fresh = await RawClient.tls(port, { ca, servername: 'localhost' });
    expect(serial(fresh)).not.toBe(oldSerial);
    expect(fresh.tlsSocket.getPeerCertificate().serialNumber).toBe(
      new (await import('node:crypto')).X509Certificate(
        readFileSync(certs.servers.server2.certFile),
      ).serialNumber,
    );
    const viaIp = await RawClient.tls(port, { ca });
    expect(serial(viaIp)).toBe(serial(fresh));
    const a = await RawClient.tls(port, {
      ca,
      servername: 'a.rws.test',
      rejectUnauthorized: false,
    });
    expect(cn(a)).toBe('*.wild.rws.test');
    // The connection opened before the reload still serves requests.
    expect((await old.request('/')).body).toBe('ok');
    expect(old.isClosed).toBe(false);
  });

  it('a bad certificate on reload is reported and the old one stays', async () => {
    const certFile = `${certs.dir}/bad.crt`;
    copyFileSync(certs.server.certFile, certFile);
    const server = await start(() => text('ok'), {
      tlsCertFile: certFile,
      tlsKeyFile: certs.server.keyFile,
    });
    writeFileSync(certFile, 'not a certificate');
    const err = await server.reloadCertificates().catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_SERVER_TLS_LOAD_FAILED')).toBe(true);
    const err2 = await server
      .reload({ port: 0, tlsCertFile: certFile, tlsKeyFile: certs.server.keyFile })
      .catch((e: unknown) => e);
    expect(isRwsError(err2, 'RWS_SERVER_TLS_LOAD_FAILED')).toBe(true);
    const client = await RawClient.tls(server.address.port, { ca, servername: 'localhost' });
    expect(cn(client)).toBe('localhost');
    expect((await client.request('/')).body).toBe('ok');
  });

  it('reload() can move to other certificate files, but not turn TLS off', async () => {
    const server = await start(() => text('v1'), tlsOptions());
    await server.reload({
      port: 0,
      tlsCertFile: certs.servers.server2.certFile,
      tlsKeyFile: certs.servers.server2.keyFile,
      handler: () => text('v2'),
    });
    const client = await RawClient.tls(server.address.port, { ca, servername: 'localhost' });
    expect((await client.request('/')).body).toBe('v2');
    const err = await server.reload({ port: 0 }).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_SERVER_RELOAD_NEEDS_RESTART')).toBe(true);
  });
});
