/**
 * The directory `CertificateStore`: atomic pairs, owner-only key files, and the order lock
 * that keeps instances sharing the directory from ordering twice (issue #22).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { createDirectoryStore } from '../src/index.js';
import { runCertificateStoreConformance } from '../src/testing.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rws-store-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

runCertificateStoreConformance({
  create: ({ id }) => {
    const directory = join(tmpdir(), id);
    onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
    return createDirectoryStore({ directory });
  },
});

it('saves and loads the account key and certificates; keys are owner-only', async () => {
  const dir = tempDir();
  const store = createDirectoryStore({ directory: dir });
  expect(await store.loadAccountKey()).toBeNull();
  expect(await store.loadCertificate('a.test')).toBeNull();
  await store.saveAccountKey('ACCOUNT');
  await store.saveCertificate('a.test', { certPem: 'CERT', keyPem: 'KEY' });
  const other = createDirectoryStore({ directory: dir });
  expect(await other.loadAccountKey()).toBe('ACCOUNT');
  expect(await other.loadCertificate('a.test')).toEqual({ certPem: 'CERT', keyPem: 'KEY' });
  expect(statSync(join(dir, 'account.key')).mode & 0o777).toBe(0o600);
  expect(statSync(join(dir, 'certificates', 'a.test', 'key.pem')).mode & 0o777).toBe(0o600);
  // Explicit file names win (rws's cert_path/key_path).
  const files = createDirectoryStore({
    directory: dir,
    certFile: join(dir, 'out.crt'),
    keyFile: join(dir, 'out.key'),
  });
  await files.saveCertificate('a.test', { certPem: 'C2', keyPem: 'K2' });
  expect(readFileSync(join(dir, 'out.crt'), 'utf8')).toBe('C2');
});

it('a torn lock file (a crash mid-write) counts as expired', async () => {
  const dir = tempDir();
  const store = createDirectoryStore({ directory: dir });
  const release = await store.lock('order-c.test', 60_000);
  await release?.();
  writeFileSync(join(dir, 'locks', 'order-c.test.lock'), '{"tok');
  expect(await store.lock('order-c.test', 60_000)).not.toBeNull();
});
