/**
 * Two `rws` processes with `[acme.storage]` on one S3 bucket (the in-repo S3 test server,
 * which verifies every SigV4 signature) against Debian's pebble: one of them orders the
 * certificate, the other takes it from the bucket, and both serve it — issue #22.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { HAS_PEBBLE, requireCapability, reservePort, startPebble } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startS3Server } from '../../../packages/storage/test/support/s3-server.js';
import { cleanEnv, startCli, tempDir } from './cli-process.js';

const DOMAIN = 'shared.rws.test';
const KEYS = { accessKeyId: 'AKIDRWSACME', secretAccessKey: 'rws-acme-test-secret' };

/** The leaf served for DOMAIN on `port`, and whether it chains to `ca`. */
function servedLeaf(
  port: number,
  ca: string,
): Promise<{ fingerprint: string; isAuthorized: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: DOMAIN,
      ca,
      ALPNProtocols: ['http/1.1'],
    });
    socket.once('secureConnect', () => {
      resolve({
        fingerprint: socket.getPeerCertificate().fingerprint256,
        isAuthorized: socket.authorized,
      });
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('rws [acme.storage] shared by two instances (issue #22)', () => {
  it('orders the certificate once into one S3 bucket, and both processes serve it', {
    timeout: 180_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const s3 = await startS3Server({ buckets: ['certs'], credentials: [KEYS] });
    onTestFinished(() => s3.close());
    const dir = tempDir('rws-cli-acme-shared-');
    // Pebble validates HTTP-01 at A's challenge port and TLS-ALPN-01 at B's TLS port; each
    // instance offers only the challenge it can answer there, so either may win the lock.
    const [portA, challengeA, portB, challengeB] = [
      await reservePort({ udp: true }),
      await reservePort(),
      await reservePort({ udp: true }),
      await reservePort(),
    ];
    const pebble = await startPebble({ httpPort: challengeA, tlsPort: portB });
    const caFile = join(dir, 'pebble-ca.pem');
    writeFileSync(caFile, pebble.ca);
    const instance = (name: string, port: number, challengePort: number, challenge: string) => {
      const home = join(dir, name);
      mkdirSync(join(home, 'site'), { recursive: true });
      writeFileSync(join(home, 'site', 'index.html'), `<h1>${name}</h1>`);
      writeFileSync(
        join(home, 'rws.config.toml'),
        [
          `port = ${port}`,
          'root = "site"',
          '[acme]',
          `domains = ["${DOMAIN}"]`,
          `directory = "${pebble.directoryUrl}"`,
          `challenge_port = ${challengePort}`,
          `challenges = ["${challenge}"]`,
          '[acme.storage]',
          'driver = "s3"',
          'bucket = "certs"',
          `endpoint = "${s3.endpoint}"`,
          'prefix = "rws/acme"',
          'access_key_id = "env://ACME_S3_KEY_ID"',
          'secret_access_key = "file:///' + join(dir, 's3-secret').slice(1) + '"',
          '',
        ].join('\n'),
      );
      return startCli([], {
        cwd: home,
        env: cleanEnv({ NODE_EXTRA_CA_CERTS: caFile, ACME_S3_KEY_ID: KEYS.accessKeyId }),
      });
    };
    writeFileSync(join(dir, 's3-secret'), `${KEYS.secretAccessKey}\n`);
    const [a, b] = await Promise.all([
      instance('a', portA, challengeA, 'http-01'),
      instance('b', portB, challengeB, 'tls-alpn-01'),
    ]);
    onTestFinished(async () => {
      await Promise.all([a.stop(), b.stop()]);
    });
    const inService = `acme: certificate for ${DOMAIN} in service`;
    await Promise.all([
      a.waitFor('stderr', inService, { timeoutMs: 120_000 }),
      b.waitFor('stderr', inService, { timeoutMs: 120_000 }),
    ]);
    const root = await pebble.root();
    const [leafA, leafB] = [await servedLeaf(portA, root), await servedLeaf(portB, root)];
    expect(leafA.isAuthorized).toBe(true);
    expect(leafB.isAuthorized).toBe(true);
    expect(leafA.fingerprint).toBe(leafB.fingerprint);
    // Ordered once: the certificate object was written to the bucket by one instance only.
    const certPuts = s3.requests.filter(
      (r) =>
        r.method === 'PUT' && r.url.startsWith(`/certs/rws/acme/certificates/`) && r.status === 200,
    );
    expect(certPuts).toHaveLength(1);
    const accountPuts = s3.requests.filter(
      (r) => r.method === 'PUT' && r.url === '/certs/rws/acme/account.key',
    );
    expect(accountPuts.length).toBeGreaterThanOrEqual(1);
    expect(a.stderr + b.stderr).not.toMatch(/rws: error/);
    expect(a.stderr + b.stderr).not.toContain(KEYS.secretAccessKey);
  });
});
