/**
 * DNS-01 (RFC 8555 §8.4) against pebble, which resolves `_acme-challenge` TXT records through
 * pebble-challtestsrv: the test's DnsProvider publishes them over challtestsrv's management
 * API, as a real provider would over its DNS host's API. A wildcard certificate is issued and
 * served by SNI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { text } from '@rws/core';
import { HAS_PEBBLE, requireCapability, startPebble } from '@rws/test-helpers';
import { expect, it, onTestFinished } from 'vitest';
import { type AcmeCertificateInfo, AcmeManager, type DnsProvider } from '../src/index.js';
import { start } from './helpers.js';

/** A DnsProvider over pebble-challtestsrv's management API; records every call. */
function challtestsrvProvider(baseUrl: () => string): DnsProvider & { calls: string[] } {
  const calls: string[] = [];
  const post = async (path: string, body: object): Promise<void> => {
    const res = await fetch(`${baseUrl()}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`challtestsrv ${path}: HTTP ${res.status}`);
  };
  return {
    name: 'pebble-challtestsrv',
    calls,
    async setTxtRecord(fqdn, value) {
      calls.push(`set ${fqdn} ${value}`);
      await post('/set-txt', { host: `${fqdn}.`, value });
    },
    async removeTxtRecord(fqdn, value) {
      calls.push(`remove ${fqdn} ${value}`);
      await post('/clear-txt', { host: `${fqdn}.` });
    },
  };
}

function served(port: number, servername: string, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername,
      ca,
      ALPNProtocols: ['http/1.1'],
    });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

it('issues a wildcard certificate with DNS-01 and serves it by SNI', {
  timeout: 120_000,
}, async (ctx) => {
  requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
  const dir = mkdtempSync(join(tmpdir(), 'rws-dns01-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  let pebble: Awaited<ReturnType<typeof startPebble>> | null = null;
  const provider = challtestsrvProvider(() => pebble?.challtestsrvUrl ?? 'http://127.0.0.1:1');
  let issued: (info: AcmeCertificateInfo) => void = () => {};
  const certificate = new Promise<AcmeCertificateInfo>((resolve) => {
    issued = resolve;
  });
  const acme = new AcmeManager({
    domains: ['dns.rws.test', '*.dns.rws.test'],
    store: dir,
    dnsProvider: provider,
    retryMinMs: 200,
    retryMaxMs: 1000,
    get directoryUrl() {
      return pebble?.directoryUrl ?? 'https://127.0.0.1:1/dir';
    },
    get ca() {
      return pebble?.ca ?? '';
    },
    onCertificate: (info) => issued(info),
  });
  const server = await start(() => text('ok'), { acme });
  // Pebble never connects to the server for DNS-01; the ports only fill its config.
  pebble = await startPebble({ httpPort: server.address.port, tlsPort: server.address.port });
  const info = await certificate;
  expect(info.isIssued).toBe(true);
  const root = await pebble.root();
  const leaf = await served(server.address.port, 'a.dns.rws.test', root);
  expect(leaf.fingerprint256).toBe(info.fingerprint256);
  expect(leaf.subjectaltname?.split(', ').sort()).toEqual([
    'DNS:*.dns.rws.test',
    'DNS:dns.rws.test',
  ]);
  expect((await served(server.address.port, 'dns.rws.test', root)).fingerprint256).toBe(
    info.fingerprint256,
  );
  // One TXT record per authorization, each removed once validated.
  const sets = provider.calls.filter((c) => c.startsWith('set '));
  expect(sets.length).toBeGreaterThanOrEqual(2);
  for (const set of sets) {
    expect(set).toMatch(/^set _acme-challenge\.dns\.rws\.test [A-Za-z0-9_-]{43}$/);
    expect(provider.calls).toContain(set.replace(/^set/, 'remove'));
  }
});

it('refuses a wildcard without DNS-01, and dns-01 without a provider', () => {
  expect(() => new AcmeManager({ domains: ['*.x.test'], store: '/tmp/unused' })).toThrow(
    /domains\[0\]: \*\.x\.test is a wildcard, which needs dns-01 and a dnsProvider/,
  );
  expect(
    () => new AcmeManager({ domains: ['x.test'], store: '/tmp/unused', challenges: ['dns-01'] }),
  ).toThrow(/challenges: dns-01 needs a dnsProvider/);
});
