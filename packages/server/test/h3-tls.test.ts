/**
 * serve({ http3: true }) with the TLS features of HTTP/1.1 and HTTP/2 (issue #21): the
 * certificate picked by SNI from the same virtual host table (exact, wildcard, default, and
 * in-memory `sniCertificates`),
 * certificate reloads reaching new QUIC connections, and mTLS with `tlsClientCaFile`.
 * Peers: our HTTP/3 client (which checks the served certificate names the server name) and
 * ngtcp2's gtlsclient (`--sni`).
 */
import { execFile, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRwsError, json, type Request } from '@rws/core';
import { Http3Client, type Http3ClientOptions } from '@rws/h3';
import { requireCapability } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type Certs, generateCerts, start } from './helpers.js';

/** ngtcp2's HTTP/3 client (Debian package ngtcp2-client). */
const HAS_GTLSCLIENT = spawnSync('sh', ['-c', 'command -v gtlsclient']).status === 0;

let certs: Certs;
beforeAll(() => {
  certs = generateCerts();
}, 60_000);
afterAll(() => certs?.cleanup());

const whoami = (req: Request) => {
  const tls = req.conn.tls;
  const subject = tls?.peerCertificate?.['subject'] as { CN?: string } | undefined;
  return json({
    protocol: req.protocol,
    sni: tls?.sni ?? null,
    authorized: tls?.authorized ?? null,
    cn: subject?.CN ?? null,
  });
};

async function h3(port: number, options: Partial<Http3ClientOptions> = {}): Promise<Http3Client> {
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port,
    serverName: 'localhost',
    ca: [certs.ca.cert],
    maxIdleTimeoutMs: 5_000,
    ...options,
  });
  onTestFinished(() => client.close());
  return client;
}

async function ask(client: Http3Client): Promise<Record<string, unknown>> {
  // The Host check of a loopback server answers 421 for other names (DNS rebinding guard).
  const res = await client.request({ path: '/', authority: 'localhost' });
  return JSON.parse(Buffer.from(res.body).toString()) as Record<string, unknown>;
}

const serialOf = (pem: string): string => new X509Certificate(pem).serialNumber;

describe('HTTP/3 with SNI virtual hosts', () => {
  it('picks the certificate by SNI as TCP does: exact, wildcard, default', async () => {
    const server = await start(whoami, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
      http3: true,
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
    const a = await h3(port, { serverName: 'a.rws.test' });
    expect(a.peerCertificate?.subject).toBe('CN=a.rws.test');
    expect(await ask(a)).toMatchObject({ protocol: 'h3', sni: 'a.rws.test' });
    const upper = await h3(port, { serverName: 'A.RWS.TEST' });
    expect(upper.peerCertificate?.subject).toBe('CN=a.rws.test');
    const wild = await h3(port, { serverName: 'x.wild.rws.test' });
    expect(wild.peerCertificate?.subject).toBe('CN=*.wild.rws.test');
    // A wildcard covers exactly one label; other names and no SNI get the default.
    for (const serverName of ['y.x.wild.rws.test', 'other.test', '127.0.0.1']) {
      const client = await h3(port, { serverName, rejectUnauthorized: false });
      expect(client.peerCertificate?.subject, serverName).toBe('CN=localhost');
    }
  }, 60_000);

  it("gtlsclient's server_name (GnuTLS) reaches the handler as req.conn.tls.sni", async (ctx) => {
    requireCapability(ctx, HAS_GTLSCLIENT, 'gtlsclient (apt-get install ngtcp2-client)');
    // gtlsclient names an IP address host "localhost" in SNI (its --sni did not override that
    // here), so localhost is the virtual host and a.rws.test the default.
    const server = await start(whoami, {
      tlsCertFile: certs.servers.a.certFile,
      tlsKeyFile: certs.servers.a.keyFile,
      http3: true,
      virtualHosts: [
        { domain: 'localhost', certFile: certs.server.certFile, keyFile: certs.server.keyFile },
      ],
    });
    const port = server.address.port;
    const dir = mkdtempSync(join(tmpdir(), 'rws-server-h3-sni-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const output = await new Promise<string>((resolve) => {
      execFile(
        'gtlsclient',
        [
          '--quiet',
          '--exit-on-all-streams-close',
          '--timeout=10s',
          `--download=${dir}`,
          '127.0.0.1',
          String(port),
          `https://localhost:${port}/sni`,
        ],
        { timeout: 30_000 },
        (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    expect(JSON.parse(readFileSync(join(dir, 'sni'), 'utf8')), output).toMatchObject({
      protocol: 'h3',
      sni: 'localhost',
    });
  }, 60_000);

  it('reloadCertificates() (SIGHUP) reaches new QUIC connections; open ones keep serving', async () => {
    const dir = certs.dir;
    const certFile = `${dir}/h3-live.crt`;
    const keyFile = `${dir}/h3-live.key`;
    const vhCert = `${dir}/h3-live-a.crt`;
    const vhKey = `${dir}/h3-live-a.key`;
    copyFileSync(certs.server.certFile, certFile);
    copyFileSync(certs.server.keyFile, keyFile);
    copyFileSync(certs.servers.a.certFile, vhCert);
    copyFileSync(certs.servers.a.keyFile, vhKey);
    const server = await start(whoami, {
      tlsCertFile: certFile,
      tlsKeyFile: keyFile,
      http3: true,
      virtualHosts: [{ domain: 'a.rws.test', certFile: vhCert, keyFile: vhKey }],
    });
    const port = server.address.port;
    const old = await h3(port);
    expect(old.peerCertificate?.serialNumber).toBe(serialOf(certs.server.cert));

    copyFileSync(certs.servers.server2.certFile, certFile);
    copyFileSync(certs.servers.server2.keyFile, keyFile);
    copyFileSync(certs.servers.wild.certFile, vhCert);
    copyFileSync(certs.servers.wild.keyFile, vhKey);
    await server.reloadCertificates();

    const fresh = await h3(port);
    expect(fresh.peerCertificate?.serialNumber).toBe(serialOf(certs.servers.server2.cert));
    const a = await h3(port, { serverName: 'a.rws.test', rejectUnauthorized: false });
    expect(a.peerCertificate?.subject).toBe('CN=*.wild.rws.test');
    expect((await old.request({ path: '/' })).status).toBe(200);

    // A bad file fails the reload and changes nothing, on QUIC too.
    writeFileSync(certFile, 'not a certificate');
    const err = await server.reloadCertificates().catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_SERVER_TLS_LOAD_FAILED')).toBe(true);
    const after = await h3(port);
    expect(after.peerCertificate?.serialNumber).toBe(serialOf(certs.servers.server2.cert));
  }, 60_000);
});

describe('HTTP/3 with in-memory sniCertificates (Ingress TLS Secrets)', () => {
  it('serves them by SNI on QUIC, swaps them on reloadCertificates(), and virtual hosts win', async () => {
    const pem = (name: 'a' | 'wild' | 'server2') => ({
      cert: readFileSync(certs.servers[name].certFile, 'utf8'),
      key: readFileSync(certs.servers[name].keyFile, 'utf8'),
    });
    let current = [{ hosts: ['*.wild.rws.test', 'b.rws.test'], ...pem('wild') }];
    const server = await start(whoami, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
      http3: true,
      sniCertificates: () => current,
      // The same name from a virtual host wins over the in-memory certificate.
      virtualHosts: [
        {
          domain: 'b.rws.test',
          certFile: certs.servers.a.certFile,
          keyFile: certs.servers.a.keyFile,
        },
      ],
    });
    const port = server.address.port;
    const wild = await h3(port, { serverName: 'x.wild.rws.test' });
    expect(wild.peerCertificate?.subject).toBe('CN=*.wild.rws.test');
    expect(await ask(wild)).toMatchObject({ protocol: 'h3', sni: 'x.wild.rws.test' });
    const b = await h3(port, { serverName: 'b.rws.test', rejectUnauthorized: false });
    expect(b.peerCertificate?.subject).toBe('CN=a.rws.test');

    current = [{ hosts: ['*.wild.rws.test'], ...pem('server2') }];
    await server.reloadCertificates();
    const rotated = await h3(port, { serverName: 'x.wild.rws.test', rejectUnauthorized: false });
    expect(rotated.peerCertificate?.serialNumber).toBe(serialOf(certs.servers.server2.cert));
    // A pair that does not match fails the reload and changes neither stack.
    current = [{ hosts: ['*.wild.rws.test'], cert: pem('a').cert, key: pem('wild').key }];
    await expect(server.reloadCertificates()).rejects.toThrow(/certificate\/key of \*\.wild/);
    const kept = await h3(port, { serverName: 'x.wild.rws.test', rejectUnauthorized: false });
    expect(kept.peerCertificate?.serialNumber).toBe(serialOf(certs.servers.server2.cert));
  }, 60_000);
});

describe('HTTP/3 with mTLS (tlsClientCaFile)', () => {
  it('requires a client certificate from the CA and shows it as req.conn.tls', async () => {
    const server = await start(whoami, {
      tlsCertFile: certs.server.certFile,
      tlsKeyFile: certs.server.keyFile,
      tlsClientCaFile: certs.ca.certFile,
      http3: true,
    });
    const port = server.address.port;
    const client = await h3(port, { cert: certs.client!.cert, key: certs.client!.key });
    expect(await ask(client)).toEqual({
      protocol: 'h3',
      sni: 'localhost',
      authorized: true,
      cn: 'rws client',
    });
    // Without a certificate, or with one from another CA, no request gets through.
    for (const extra of [{}, { cert: certs.rogue!.cert, key: certs.rogue!.key }]) {
      const refused = await h3(port, extra).then((c) =>
        c.request({ path: '/' }).then(
          () => 'served',
          (e: unknown) => e,
        ),
      );
      expect(isRwsError(refused, 'RWS_H3_PEER_CLOSED')).toBe(true);
    }
  }, 60_000);
});
