/**
 * ACME against a real CA: Debian's pebble, validating HTTP-01 and TLS-ALPN-01 against the
 * server under test over real sockets, renewing a short-lived certificate, and two instances
 * sharing one store ordering once (issue #22).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { text } from '@rws/core';
import { Http3Client } from '@rws/h3';
import { createLocalStorage } from '@rws/storage/drivers/local';
import { HAS_PEBBLE, requireCapability, startPebble } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type AcmeCertificateInfo,
  AcmeError,
  AcmeManager,
  type AcmeOptions,
  createDirectoryStore,
  createObjectStorageStore,
  type RunningServer,
} from '../src/index.js';
import { start } from './helpers.js';

const DOMAIN = 'acme.rws.test';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rws-acme-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Certificates a manager put in service, and a way to wait for the nth. */
function recorder(): {
  seen: AcmeCertificateInfo[];
  next(count: number): Promise<AcmeCertificateInfo>;
  onCertificate(info: AcmeCertificateInfo): void;
} {
  const seen: AcmeCertificateInfo[] = [];
  const waiters: (() => void)[] = [];
  return {
    seen,
    onCertificate(info) {
      seen.push(info);
      for (const w of waiters.splice(0)) w();
    },
    async next(count) {
      while (seen.length < count) await new Promise<void>((r) => waiters.push(r));
      return seen[count - 1] as AcmeCertificateInfo;
    },
  };
}

/** The leaf a TLS client gets for `servername` from the server's main port. */
function servedCertificate(
  server: RunningServer,
  servername: string,
  ca?: string,
): Promise<{ cert: PeerCertificate; isAuthorized: boolean; error: Error | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: server.address.port,
      servername,
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
      ...(ca === undefined ? {} : { ca }),
    });
    socket.once('secureConnect', () => {
      resolve({
        cert: socket.getPeerCertificate(),
        isAuthorized: socket.authorized,
        error: socket.authorizationError ?? null,
      });
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

function portOf(server: RunningServer, isRedirect: boolean): number {
  const url = server.urls.find((u) => u.isRedirect === isRedirect && u.isAdmin !== true);
  return Number(new URL(url?.url ?? 'http://x:0').port);
}

async function manager(
  options: Partial<AcmeOptions> & { store: AcmeOptions['store'] },
  directoryUrl: () => string,
  ca: () => string,
): Promise<AcmeManager> {
  return new AcmeManager({
    domains: [DOMAIN],
    // Pebble starts after the server (it must know the server's ports): until it answers,
    // the first attempts fail and are retried quickly.
    retryMinMs: 200,
    retryMaxMs: 1_000,
    ...options,
    get directoryUrl() {
      return directoryUrl();
    },
    get ca() {
      return ca();
    },
  } as AcmeOptions);
}

describe('ACME against pebble (issue #22)', () => {
  it('issues with HTTP-01 answered on the redirect listener and serves the certificate', {
    timeout: 90_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const dir = tempDir();
    const certs = recorder();
    let pebble: Awaited<ReturnType<typeof startPebble>> | null = null;
    const acme = await manager(
      {
        store: dir,
        email: 'ops@rws.test',
        challenges: ['http-01'],
        onCertificate: certs.onCertificate,
      },
      () => pebble?.directoryUrl ?? 'https://127.0.0.1:1/dir',
      () => pebble?.ca ?? '',
    );
    const errors: unknown[] = [];
    const server = await start(() => text('hello over acme'), {
      acme,
      httpRedirectPort: 0,
      onError: (err) => errors.push(err),
    });
    // Before issuance: the self-signed stand-in for the domain.
    const before = await servedCertificate(server, DOMAIN);
    expect(before.cert.subjectaltname).toBe(`DNS:${DOMAIN}`);
    expect(before.cert.issuer.CN).toBe(DOMAIN);
    pebble = await startPebble({ httpPort: portOf(server, true), tlsPort: server.address.port });
    const info = await certs.next(1);
    expect(info.isIssued).toBe(true);
    expect(info.domains).toEqual([DOMAIN]);
    const root = await pebble.root();
    const served = await servedCertificate(server, DOMAIN, root);
    expect(served.error).toBeNull();
    expect(served.isAuthorized).toBe(true);
    expect(served.cert.fingerprint256).toBe(info.fingerprint256);
    expect(served.cert.issuer.CN).toMatch(/Pebble/);
    // The account key and the pair were stored, the key with owner-only permissions.
    expect(readFileSync(join(dir, 'account.key'), 'utf8')).toContain('PRIVATE KEY');
    const stored = await createDirectoryStore({ directory: dir }).loadCertificate(DOMAIN);
    expect(stored?.certPem).toContain('BEGIN CERTIFICATE');
    expect(stored?.keyPem).toContain('BEGIN PRIVATE KEY');
    // Unknown tokens are 404 on the redirect listener; everything else still redirects.
    const res = await fetch(
      `http://127.0.0.1:${portOf(server, true)}/.well-known/acme-challenge/nope`,
    );
    expect(res.status).toBe(404);
    const redirect = await fetch(`http://127.0.0.1:${portOf(server, true)}/x`, {
      redirect: 'manual',
      headers: { host: DOMAIN },
    });
    expect(redirect.status).toBe(301);
    // Only "pebble is not up yet" failures were reported, none after issuance.
    for (const err of errors)
      expect(String((err as Error).message)).toMatch(/cannot reach ACME server/);
  });

  it('issues with TLS-ALPN-01 on the TLS port, retrying badNonce rejections', {
    timeout: 90_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const certs = recorder();
    let pebble: Awaited<ReturnType<typeof startPebble>> | null = null;
    const acme = await manager(
      { store: tempDir(), challenges: ['tls-alpn-01'], onCertificate: certs.onCertificate },
      () => pebble?.directoryUrl ?? 'https://127.0.0.1:1/dir',
      () => pebble?.ca ?? '',
    );
    const server = await start(() => text('alpn'), { acme });
    // No port answers HTTP-01 here: pebble's httpPort points at a closed port.
    pebble = await startPebble({
      httpPort: 1,
      tlsPort: server.address.port,
      nonceRejectPercent: 30,
    });
    const info = await certs.next(1);
    const served = await servedCertificate(server, DOMAIN, await pebble.root());
    expect(served.isAuthorized).toBe(true);
    expect(served.cert.fingerprint256).toBe(info.fingerprint256);
    // HTTPS requests reach the app with the new certificate.
    const body = await new Promise<string>((resolve, reject) => {
      const socket = connect({
        port: server.address.port,
        host: '127.0.0.1',
        servername: DOMAIN,
        rejectUnauthorized: false,
      });
      let data = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        data += d;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write(`GET / HTTP/1.1\r\nhost: ${DOMAIN}\r\nconnection: close\r\n\r\n`);
    });
    expect(body).toMatch(/^HTTP\/1\.1 200/);
    expect(body).toContain('alpn');
  });

  it('renews a short-lived certificate before it expires and serves the new one, on HTTP/3 too', {
    timeout: 90_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const certs = recorder();
    let pebble: Awaited<ReturnType<typeof startPebble>> | null = null;
    const acme = await manager(
      // 12 s certificates, renewed 6 s before expiry.
      { store: tempDir(), renewBeforeDays: 6 / 86_400, onCertificate: certs.onCertificate },
      () => pebble?.directoryUrl ?? 'https://127.0.0.1:1/dir',
      () => pebble?.ca ?? '',
    );
    const server = await start(() => text('renew'), { acme, httpRedirectPort: 0, http3: true });
    // Issue #21: a new HTTP/3 connection's leaf, checked against `ca` when given.
    const overH3 = async (ca?: string) => {
      const client = await Http3Client.connect({
        host: '127.0.0.1',
        port: server.address.port,
        serverName: DOMAIN,
        ...(ca === undefined ? { rejectUnauthorized: false } : { ca: [ca] }),
      });
      onTestFinished(() => client.close());
      expect(Buffer.from((await client.request({ path: '/' })).body).toString()).toBe('renew');
      return client.peerCertificate!;
    };
    // Before issuance: the self-signed stand-in, as on TCP.
    expect((await overH3()).issuer).toBe(`CN=${DOMAIN}`);
    pebble = await startPebble({
      httpPort: portOf(server, true),
      tlsPort: server.address.port,
      validitySeconds: 12,
    });
    const first = await certs.next(1);
    const root = await pebble.root();
    expect((await servedCertificate(server, DOMAIN, root)).cert.fingerprint256).toBe(
      first.fingerprint256,
    );
    // Verified against pebble's root and naming the domain: the issued certificate, on QUIC.
    expect((await overH3(root)).fingerprint256).toBe(first.fingerprint256);
    const second = await certs.next(2);
    expect(second.isIssued).toBe(true);
    expect(second.fingerprint256).not.toBe(first.fingerprint256);
    expect(second.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime());
    // Renewed before the first one expired, and the TLS port serves the new one.
    expect(Date.now()).toBeLessThan(first.notAfter.getTime());
    const served = await servedCertificate(server, DOMAIN, root);
    expect(served.cert.fingerprint256).toBe(second.fingerprint256);
    expect((await overH3(root)).fingerprint256).toBe(second.fingerprint256);
  });

  it('keeps serving the issued certificate while renewal fails (CA gone), retrying with back-off', {
    timeout: 90_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    const certs = recorder();
    let pebble: Awaited<ReturnType<typeof startPebble>> | null = null;
    const acme = await manager(
      // 8 s certificates: renewal is due after about 4 s.
      { store: tempDir(), onCertificate: certs.onCertificate },
      () => pebble?.directoryUrl ?? 'https://127.0.0.1:1/dir',
      () => pebble?.ca ?? '',
    );
    const failures: unknown[] = [];
    const logs: string[] = [];
    let issued = false;
    const server = await start(() => text('x'), {
      acme,
      httpRedirectPort: 0,
      onError: (err) => {
        if (issued) failures.push(err);
      },
      onLog: (line) => logs.push(line),
    });
    pebble = await startPebble({
      httpPort: portOf(server, true),
      tlsPort: server.address.port,
      validitySeconds: 8,
    });
    const first = await certs.next(1);
    issued = true;
    const root = await pebble.root();
    pebble.stop();
    // Renewal attempts fail (the CA is gone); each failure is reported and retried.
    while (failures.length < 2) await new Promise((r) => setTimeout(r, 100));
    expect(String((failures[0] as Error).message)).toMatch(/cannot reach ACME server/);
    expect(logs.some((l) => l.includes('the current certificate stays in service'))).toBe(true);
    const served = await servedCertificate(server, DOMAIN, root);
    expect(served.cert.fingerprint256).toBe(first.fingerprint256);
    expect(acme.isPlaceholder).toBe(false);
  });

  /** A store per instance over one shared place: a directory, or @rws/storage's local driver. */
  const sharedStores: Record<string, (dir: string) => AcmeOptions['store']> = {
    directory: (dir) => dir,
    '@rws/storage (local driver)': (dir) =>
      createObjectStorageStore({
        storage: createLocalStorage({ root: dir }),
        settleMs: 300,
        closeStorage: true,
      }),
  };
  for (const kind of Object.keys(sharedStores))
    it(`two instances sharing one store order once (lock): ${kind}`, {
      timeout: 90_000,
    }, async (ctx) => {
      requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
      const dir = tempDir();
      const storeFor = sharedStores[kind] as (dir: string) => AcmeOptions['store'];
      let pebble: Awaited<ReturnType<typeof startPebble>> | null = null;
      const url = (): string => pebble?.directoryUrl ?? 'https://127.0.0.1:1/dir';
      const ca = (): string => pebble?.ca ?? '';
      const a = recorder();
      const b = recorder();
      // Pebble validates HTTP-01 at A and TLS-ALPN-01 at B, so either can win the lock.
      const managerA = await manager(
        {
          store: storeFor(dir),
          challenges: ['http-01'],
          lockRetryMs: 300,
          onCertificate: a.onCertificate,
        },
        url,
        ca,
      );
      const managerB = await manager(
        {
          store: storeFor(dir),
          challenges: ['tls-alpn-01'],
          lockRetryMs: 300,
          onCertificate: b.onCertificate,
        },
        url,
        ca,
      );
      const serverA = await start(() => text('a'), { acme: managerA, httpRedirectPort: 0 });
      const serverB = await start(() => text('b'), { acme: managerB });
      pebble = await startPebble({
        httpPort: portOf(serverA, true),
        tlsPort: serverB.address.port,
      });
      const [infoA, infoB] = await Promise.all([a.next(1), b.next(1)]);
      expect(infoA.fingerprint256).toBe(infoB.fingerprint256);
      expect([infoA.isIssued, infoB.isIssued].sort()).toEqual([false, true]);
      const root = await pebble.root();
      expect((await servedCertificate(serverA, DOMAIN, root)).cert.fingerprint256).toBe(
        infoA.fingerprint256,
      );
      expect((await servedCertificate(serverB, DOMAIN, root)).cert.fingerprint256).toBe(
        infoA.fingerprint256,
      );
    });

  it('a failed validation names the domain, the challenge and the CA problem; the old certificate stays', {
    timeout: 90_000,
  }, async (ctx) => {
    requireCapability(ctx, HAS_PEBBLE, 'pebble (apt-get install pebble)');
    let pebble: Awaited<ReturnType<typeof startPebble>> | null = null;
    const errors: unknown[] = [];
    let failed: (err: AcmeError) => void = () => {};
    const failure = new Promise<AcmeError>((resolve) => {
      failed = resolve;
    });
    const acme = await manager(
      { store: tempDir(), challenges: ['http-01'], retryMinMs: 60_000 },
      () => pebble?.directoryUrl ?? 'https://127.0.0.1:1/dir',
      () => pebble?.ca ?? '',
    );
    const server = await start(() => text('x'), {
      acme,
      onError: (err) => {
        errors.push(err);
        if (err instanceof AcmeError && err.code === 'RWS_SERVER_ACME_CHALLENGE_FAILED')
          failed(err);
      },
    });
    pebble = await startPebble({ httpPort: 1, tlsPort: server.address.port });
    await acme.renewNow().catch(() => {});
    const err = await failure;
    expect(err.domain).toBe(DOMAIN);
    expect(err.challenge).toBe('http-01');
    expect(err.problem?.type).toMatch(/^urn:ietf:params:acme:error:/);
    expect(err.message).toContain(`http-01 challenge for ${DOMAIN} failed`);
    expect(err.message).toContain(err.problem?.detail ?? '');
    // Still serving: the stand-in certificate answers the handshake.
    const served = await servedCertificate(server, DOMAIN);
    expect(served.cert.issuer.CN).toBe(DOMAIN);
    expect(acme.isPlaceholder).toBe(true);
  });
});
