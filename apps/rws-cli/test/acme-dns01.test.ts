/**
 * `rws` with `[acme] dns_provider = "rfc2136"` as a real process: a wildcard certificate from
 * pebble over DNS-01, the TXT records published with TSIG-signed DNS UPDATEs in a real BIND 9
 * started by the test (Debian's bind9), the secret given as a secret reference (issue #22).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import {
  HAS_BIND,
  HAS_PEBBLE,
  requireCapability,
  reservePort,
  startBind,
  startPebble,
} from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { cleanEnv, startCli, tempDir } from './cli-process.js';

const ZONE = 'dns.rws.test';

describe('rws [acme] DNS-01 over RFC 2136 (issue #22)', () => {
  it('gets a wildcard certificate with records published in BIND, and serves it', {
    timeout: 120_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_BIND, 'BIND 9 (apt-get install bind9)');
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const bind = await startBind({ zone: ZONE });
    const port = await reservePort({ udp: true }); // rws serves HTTP/3 on it too
    const challengePort = await reservePort();
    const pebble = await startPebble({
      httpPort: challengePort,
      tlsPort: port,
      dnsServer: bind.server,
    });
    const dir = tempDir('rws-cli-acme-dns01-');
    writeFileSync(join(dir, 'pebble-ca.pem'), pebble.ca);
    writeFileSync(
      join(dir, 'rws.config.toml'),
      [
        `port = ${port}`,
        '[acme]',
        `domains = ["${ZONE}", "*.${ZONE}"]`,
        `directory = "${pebble.directoryUrl}"`,
        `challenge_port = ${challengePort}`,
        'storage_dir = "acme-state"',
        'dns_provider = "rfc2136"',
        `dns_server = "${bind.server}"`,
        `dns_zone = "${ZONE}"`,
        `dns_tsig_key_name = "${bind.keyName}"`,
        'dns_tsig_secret = "env://TSIG_SECRET"',
        '',
      ].join('\n'),
    );
    const rws = await startCli([], {
      cwd: dir,
      env: cleanEnv({
        NODE_EXTRA_CA_CERTS: join(dir, 'pebble-ca.pem'),
        TSIG_SECRET: bind.keySecret,
      }),
    });
    await rws.waitFor('stderr', `acme: certificate for ${ZONE}, *.${ZONE} in service`, {
      timeoutMs: 90_000,
    });
    const root = await pebble.root();
    const leaf = await new Promise<{ isAuthorized: boolean; san: string }>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, servername: `www.${ZONE}`, ca: root });
      socket.once('secureConnect', () => {
        resolve({
          isAuthorized: socket.authorized,
          san: socket.getPeerCertificate().subjectaltname ?? '',
        });
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(leaf.isAuthorized).toBe(true);
    expect(leaf.san.split(', ').sort()).toEqual([`DNS:*.${ZONE}`, `DNS:${ZONE}`]);
    expect(await bind.txt(`_acme-challenge.${ZONE}`)).toEqual([]);
    expect(rws.stderr).not.toContain(bind.keySecret);
    expect(rws.stderr).not.toMatch(/rws: error/);
    expect(await rws.stop()).toBe(0);
  });
});
