/**
 * The directory `CertificateStore`: atomic pairs, owner-only key files, and the order lock
 * that keeps instances sharing the directory from ordering twice (issue #22).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { createDirectoryStore } from '../src/index.js';

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rws-store-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

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

it('one lock holder at a time across store instances; released locks can be taken again', async () => {
  const dir = tempDir();
  const a = createDirectoryStore({ directory: dir });
  const b = createDirectoryStore({ directory: dir });
  const releaseA = await a.lock('order-a.test', 60_000);
  expect(releaseA).not.toBeNull();
  expect(await b.lock('order-a.test', 60_000)).toBeNull();
  // Different names do not block each other.
  const other = await b.lock('order-b.test', 60_000);
  expect(other).not.toBeNull();
  await releaseA?.();
  const releaseB = await b.lock('order-a.test', 60_000);
  expect(releaseB).not.toBeNull();
  await releaseB?.();
  await other?.();
});

it('an expired lock is taken over, and its old holder cannot release the new one', async () => {
  const dir = tempDir();
  const a = createDirectoryStore({ directory: dir });
  const b = createDirectoryStore({ directory: dir });
  const releaseA = await a.lock('order-a.test', 1);
  expect(releaseA).not.toBeNull();
  await new Promise((r) => setTimeout(r, 20));
  const releaseB = await b.lock('order-a.test', 60_000);
  expect(releaseB).not.toBeNull();
  await releaseA?.(); // must not remove b's lock
  expect(await a.lock('order-a.test', 60_000)).toBeNull();
  await releaseB?.();
  // A torn lock file (a crash mid-write) counts as expired.
  writeFileSync(join(dir, 'locks', 'order-c.test.lock'), '{"tok');
  expect(await a.lock('order-c.test', 60_000)).not.toBeNull();
});
