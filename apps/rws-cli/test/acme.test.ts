/**
 * `rws` with `[acme]` against Debian's pebble, as a real process: it gets a certificate over
 * HTTP-01 on the challenge port, serves it on the TLS port and over HTTP/3, and renews it (pebble issues
 * 12-second certificates here, so renewal comes at half the lifetime) — issue #22.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { Http3Client } from '@rws/h3';
import { HAS_PEBBLE, requireCapability, reservePort, startPebble } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { cleanEnv, startCli, tempDir } from './cli-process.js';

const DOMAIN = 'acme.rws.test';

/** One HTTPS GET over a fresh TLS connection: the served leaf and the response head+body. */
function httpsGet(
  port: number,
  ca: string,
): Promise<{ cert: PeerCertificate; isAuthorized: boolean; response: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: DOMAIN,
      ca,
      ALPNProtocols: ['http/1.1'],
    });
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      response += d;
    });
    socket.once('secureConnect', () => {
      socket.write(`GET / HTTP/1.1\r\nhost: ${DOMAIN}\r\nconnection: close\r\n\r\n`);
    });
    socket.on('end', () => {
      resolve({ cert: socket.getPeerCertificate(), isAuthorized: socket.authorized, response });
    });
    socket.on('error', reject);
  });
}

/** One HTTP/3 GET on a new connection, checked against `ca`: the served leaf and the body. */
async function h3Get(port: number, ca: string): Promise<{ fingerprint256: string; body: string }> {
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port,
    serverName: DOMAIN,
    ca: [ca],
  });
  try {
    const res = await client.request({ path: '/' });
    return {
      fingerprint256: client.peerCertificate?.fingerprint256 ?? '',
      body: Buffer.from(res.body).toString(),
    };
  } finally {
    await client.close();
  }
}

describe('rws [acme] (issue #22)', () => {
  it('gets a certificate from pebble over HTTP-01, serves it, and renews it', {
    timeout: 120_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const dir = tempDir('rws-cli-acme-');
    const site = join(dir, 'site');
    mkdirSync(site);
    writeFileSync(join(site, 'index.html'), '<h1>acme site</h1>');
    // Pebble must know where to validate before rws binds: reserve two ports first.
    const port = await reservePort({ udp: true }); // rws serves HTTP/3 on it too
    const challengePort = await reservePort();
    const pebble = await startPebble({
      httpPort: challengePort,
      tlsPort: port,
      validitySeconds: 12,
    });
    const caFile = join(dir, 'pebble-ca.pem');
    writeFileSync(caFile, pebble.ca);
    writeFileSync(
      join(dir, 'rws.config.toml'),
      [
        `port = ${port}`,
        `root = "site"`,
        '[acme]',
        `domains = ["${DOMAIN}"]`,
        'email = "ops@rws.test"',
        `directory = "${pebble.directoryUrl}"`,
        `challenge_port = ${challengePort}`,
        'storage_dir = "acme-state"',
        'cert_path = "tls/cert.pem"',
        'key_path = "tls/key.pem"',
        '',
      ].join('\n'),
    );
    // The CA's directory is served with pebble's own test certificate.
    const rws = await startCli([], { cwd: dir, env: cleanEnv({ NODE_EXTRA_CA_CERTS: caFile }) });
    expect(rws.origin).toBe(`https://127.0.0.1:${port}`);
    await rws.waitFor('stderr', `acme: certificate for ${DOMAIN} in service`, {
      timeoutMs: 60_000,
    });
    const root = await pebble.root();
    const first = await httpsGet(port, root);
    expect(first.isAuthorized).toBe(true);
    expect(first.response).toMatch(/^HTTP\/1\.1 200/);
    expect(first.response).toContain('<h1>acme site</h1>');
    // HTTP/3 is on with ACME too and serves the same certificate (issue #21).
    const firstH3 = await h3Get(port, root);
    expect(firstH3.fingerprint256).toBe(first.cert.fingerprint256);
    expect(firstH3.body).toContain('<h1>acme site</h1>');
    // Written where cert_path/key_path say, the account key in the storage directory.
    const written = readFileSync(join(dir, 'tls', 'cert.pem'), 'utf8');
    expect(written).toContain('BEGIN CERTIFICATE');
    expect(readFileSync(join(dir, 'acme-state', 'account.key'), 'utf8')).toContain('PRIVATE KEY');
    // The challenge port redirects everything else to HTTPS.
    const plain = await fetch(`http://127.0.0.1:${challengePort}/page`, {
      redirect: 'manual',
      headers: { host: DOMAIN },
    });
    expect(plain.status).toBe(301);
    expect(plain.headers.get('location')).toBe(`https://${DOMAIN}:${port}/page`);
    // Renewal at half of the 12 s lifetime: a second certificate goes into service.
    const firstLine = rws.stderr.lastIndexOf('in service');
    await rws.waitFor('stderr', `acme: certificate for ${DOMAIN} in service`, {
      timeoutMs: 60_000,
      from: firstLine + 1,
    });
    const second = await httpsGet(port, root);
    expect(second.isAuthorized).toBe(true);
    expect(second.cert.fingerprint256).not.toBe(first.cert.fingerprint256);
    expect(second.cert.serialNumber).not.toBe(first.cert.serialNumber);
    expect((await h3Get(port, root)).fingerprint256).toBe(second.cert.fingerprint256);
    expect(rws.stderr).not.toMatch(/rws: error/);
    expect(await rws.stop()).toBe(0);
  });
});
