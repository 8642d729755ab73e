/**
 * The RFC 8555 client alone against pebble: accounts, badNonce retries, orders and problem
 * documents; and the DER it builds (CSR, TLS-ALPN-01 certificate) checked by openssl and
 * node:crypto (issue #22).
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HAS_PEBBLE, requireCapability, startPebble } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AcmeClient, AcmeError } from '../src/index.js';
import { clientHelloAlpn, isAcmeTlsHello } from '../src/internal/acme/client-hello.js';
import { toPem } from '../src/internal/acme/der.js';
import { createCsr, createSelfSignedCertificate } from '../src/internal/acme/x509.js';

function accountKey() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
}

describe('AcmeClient against pebble', () => {
  it('creates an account once, retries badNonce, and reads orders and authorizations', {
    timeout: 60_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    // Half of all good nonces are rejected: without retries a dozen requests cannot all pass.
    const pebble = await startPebble({ httpPort: 1, tlsPort: 1, nonceRejectPercent: 50 });
    const key = accountKey();
    const client = new AcmeClient({
      directoryUrl: pebble.directoryUrl,
      accountKey: key,
      ca: pebble.ca,
    });
    const url = await client.account({ email: 'ops@rws.test' });
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    // The same key finds the same account (RFC 8555 §7.3.1).
    const again = new AcmeClient({
      directoryUrl: pebble.directoryUrl,
      accountKey: key,
      ca: pebble.ca,
    });
    expect(await again.account()).toBe(url);
    for (let i = 0; i < 5; i++) {
      const order = await client.newOrder([`n${i}.rws.test`]);
      expect(order.status).toBe('pending');
      const authz = await client.authorization(order.authorizations[0] as string);
      expect(authz.identifier.value).toBe(`n${i}.rws.test`);
      expect(authz.challenges.map((c) => c.type)).toEqual(
        expect.arrayContaining(['http-01', 'tls-alpn-01']),
      );
    }
    expect(client.keyAuthorization('tok')).toMatch(/^tok\.[A-Za-z0-9_-]{43}$/);
  });

  it("turns the CA's problem document into an AcmeError", { timeout: 60_000 }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const pebble = await startPebble({ httpPort: 1, tlsPort: 1 });
    const client = new AcmeClient({
      directoryUrl: pebble.directoryUrl,
      accountKey: accountKey(),
      ca: pebble.ca,
    });
    await client.account();
    const err = await client.newOrder(['not a name!']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcmeError);
    const acme = err as AcmeError;
    expect(acme.code).toBe('RWS_SERVER_ACME_PROBLEM');
    expect(acme.problem?.type).toMatch(
      /^urn:ietf:params:acme:error:(rejectedIdentifier|malformed)$/,
    );
    expect(acme.message).toContain('/order-plz');
    // An unreachable CA names the URL.
    const down = new AcmeClient({
      directoryUrl: 'https://127.0.0.1:1/dir',
      accountKey: accountKey(),
    });
    await expect(down.account()).rejects.toThrow(
      /cannot reach ACME server https:\/\/127\.0\.0\.1:1\/dir/,
    );
  });
});

describe('ACME DER builders', () => {
  it('builds a PKCS#10 request that openssl verifies, with every domain in subjectAltName', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-csr-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const key of [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ]) {
      const file = join(dir, 'req.pem');
      writeFileSync(
        file,
        toPem(
          'CERTIFICATE REQUEST',
          createCsr(['a.rws.test', 'b.rws.test'], key.privateKey, key.publicKey),
        ),
      );
      const out = execFileSync('openssl', ['req', '-in', file, '-noout', '-verify', '-text'], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
      expect(out).toContain('CN = a.rws.test');
      expect(out).toContain('DNS:a.rws.test, DNS:b.rws.test');
    }
  });

  it('builds the TLS-ALPN-01 certificate with the critical acmeIdentifier extension (RFC 8737 §3)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = createSelfSignedCertificate('a.rws.test', 'token.thumb', privateKey, publicKey);
    const cert = new X509Certificate(pem);
    expect(cert.subjectAltName).toBe('DNS:a.rws.test');
    expect(cert.verify(publicKey)).toBe(true);
    const der = cert.raw;
    // extnID 1.3.6.1.5.5.7.1.31, critical TRUE, OCTET STRING { OCTET STRING (32) }
    const ext = Buffer.from('06082b06010505070' + '11f0101ff04220420', 'hex');
    const at = der.indexOf(ext);
    expect(at).toBeGreaterThan(0);
    const digest = createHash('sha256').update('token.thumb').digest();
    expect(der.subarray(at + ext.length, at + ext.length + 32)).toEqual(digest);
  });

  it('reads the ALPN list of a real ClientHello', async () => {
    const { connect } = await import('node:tls');
    const { createServer } = await import('node:net');
    for (const protocols of [['acme-tls/1'], ['h2', 'http/1.1'], ['acme-tls/1', 'http/1.1']]) {
      const hello = await new Promise<Buffer>((resolve) => {
        const server = createServer((s) => {
          s.once('data', (d: Buffer) => {
            resolve(d);
            s.destroy();
            server.close();
          });
        }).listen(0, '127.0.0.1', () => {
          const { port } = server.address() as { port: number };
          connect({
            port,
            host: '127.0.0.1',
            servername: 'a.rws.test',
            ALPNProtocols: protocols,
          }).on('error', () => {});
        });
      });
      expect(clientHelloAlpn(hello)).toEqual(protocols);
      expect(isAcmeTlsHello(hello)).toBe(protocols.length === 1);
      expect(clientHelloAlpn(hello.subarray(0, 20))).toBeNull();
    }
  });
});
