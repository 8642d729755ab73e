/**
 * The RFC 2136 DNS-01 provider against a real BIND 9 (`named`, Debian's bind9), started by
 * the test as the primary of the zone with a TSIG key: records are added and removed one by
 * one, a wrong key is refused, and pebble (resolving through that BIND) issues a wildcard
 * certificate over DNS-01 (issue #22).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { isRwsError, text } from '@rws/core';
import { HAS_BIND, HAS_PEBBLE, requireCapability, startBind, startPebble } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type AcmeCertificateInfo, AcmeManager, createRfc2136Provider } from '../src/index.js';
import { start } from './helpers.js';

const ZONE = 'dns.rws.test';
const NAME = `_acme-challenge.${ZONE}`;

describe('createRfc2136Provider against BIND (issue #22)', () => {
  it('adds and removes TXT records with TSIG-signed UPDATEs; a wrong key is refused', {
    timeout: 60_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_BIND, 'BIND 9 (apt-get install bind9)');
    const bind = await startBind({ zone: ZONE });
    const provider = createRfc2136Provider({
      server: bind.server,
      zone: ZONE,
      keyName: bind.keyName,
      keySecret: bind.keySecret,
    });
    expect(provider.name).toBe(`rfc2136:127.0.0.1:${bind.port}`);
    await provider.setTxtRecord(NAME, 'first-token');
    await provider.setTxtRecord(NAME, 'second-token');
    expect((await bind.txt(NAME)).sort()).toEqual(['first-token', 'second-token']);
    await provider.removeTxtRecord(NAME, 'first-token');
    expect(await bind.txt(NAME)).toEqual(['second-token']);
    await provider.removeTxtRecord(NAME, 'second-token');
    expect(await bind.txt(NAME)).toEqual([]);

    const wrongKey = createRfc2136Provider({
      server: bind.server,
      zone: ZONE,
      keyName: bind.keyName,
      keySecret: Buffer.alloc(32, 7).toString('base64'),
    });
    const refused = await wrongKey.setTxtRecord(NAME, 'x').catch((e: unknown) => e);
    expect(isRwsError(refused, 'RWS_SERVER_ACME_CHALLENGE_FAILED')).toBe(true);
    expect((refused as Error).message).toMatch(
      /cannot add the TXT record _acme-challenge\.dns\.rws\.test in zone dns\.rws\.test: the server answered NOTAUTH \(TSIG BADSIG/,
    );
    expect(await bind.txt(NAME)).toEqual([]);
    await expect(provider.setTxtRecord('_acme-challenge.other.test', 'x')).rejects.toThrow(
      /the name is not in the zone/,
    );
    expect(() =>
      createRfc2136Provider({ server: bind.server, zone: ZONE, keyName: 'k', keySecret: '' }),
    ).toThrow(/keySecret is empty or not base64/);
  });

  it('gets a wildcard certificate from pebble over DNS-01 published in BIND', {
    timeout: 120_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_BIND, 'BIND 9 (apt-get install bind9)');
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const bind = await startBind({ zone: ZONE });
    const dir = mkdtempSync(join(tmpdir(), 'rws-rfc2136-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    let pebble: Awaited<ReturnType<typeof startPebble>> | null = null;
    let issued: (info: AcmeCertificateInfo) => void = () => {};
    const certificate = new Promise<AcmeCertificateInfo>((resolve) => {
      issued = resolve;
    });
    const acme = new AcmeManager({
      domains: [ZONE, `*.${ZONE}`],
      store: dir,
      dnsProvider: createRfc2136Provider({
        server: bind.server,
        zone: ZONE,
        keyName: bind.keyName,
        keySecret: bind.keySecret,
      }),
      retryMinMs: 500,
      retryMaxMs: 2000,
      get directoryUrl() {
        return pebble?.directoryUrl ?? 'https://127.0.0.1:1/dir';
      },
      get ca() {
        return pebble?.ca ?? '';
      },
      onCertificate: (info) => issued(info),
    });
    const server = await start(() => text('ok'), { acme });
    // Pebble never connects to the server for DNS-01; it asks BIND for the TXT records.
    pebble = await startPebble({
      httpPort: server.address.port,
      tlsPort: server.address.port,
      dnsServer: bind.server,
    });
    const info = await certificate;
    expect(info.isIssued).toBe(true);
    const root = await pebble.root();
    const leaf = await new Promise<string>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port: server.address.port,
        servername: `a.${ZONE}`,
        ca: root,
      });
      socket.once('secureConnect', () => {
        resolve(socket.getPeerCertificate().fingerprint256);
        socket.destroy();
      });
      socket.once('error', reject);
    });
    expect(leaf).toBe(info.fingerprint256);
    // Each record was removed once its authorization was validated.
    expect(await bind.txt(NAME)).toEqual([]);
  });
});
