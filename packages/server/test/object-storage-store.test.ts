/**
 * The object-storage `CertificateStore` over @rws/storage's local driver: the conformance
 * suite (two stores over one directory act as two hosts sharing a bucket), the JSON layout,
 * and store errors naming the key and the storage.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRwsError } from '@rws/core';
import { createLocalStorage } from '@rws/storage/drivers/local';
import { expect, it, onTestFinished } from 'vitest';
import { createObjectStorageStore } from '../src/index.js';
import { runCertificateStoreConformance } from '../src/testing.js';

runCertificateStoreConformance({
  create: ({ id }) => {
    const root = join(tmpdir(), id);
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    // Each store gets its own Storage instance over the same directory: two hosts, one bucket.
    return createObjectStorageStore({
      storage: createLocalStorage({ root }),
      settleMs: 300,
      closeStorage: true,
    });
  },
});

it('keeps a certificate and its key in one JSON object under the prefix', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rws-objstore-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const storage = createLocalStorage({ root });
  const store = createObjectStorageStore({ storage, prefix: 'tls/acme/' });
  expect(store.name).toBe('storage local tls/acme/');
  await store.saveCertificate('a.example', { certPem: 'C', keyPem: 'K' });
  const object = JSON.parse(
    readFileSync(join(root, 'tls/acme/certificates/a.example.json'), 'utf8'),
  );
  expect(object).toEqual({ certPem: 'C', keyPem: 'K' });
  // close() leaves a shared storage open unless closeStorage is set.
  await store.close();
  expect(await storage.head('tls/acme/certificates/a.example.json')).not.toBeNull();
  await storage.close();
});

it('reports storage failures as RWS_SERVER_ACME_STORE_FAILED naming the key', async () => {
  const root = mkdtempSync(join(tmpdir(), 'rws-objstore-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const storage = createLocalStorage({ root });
  await storage.close(); // Every later call fails with RWS_STORAGE_CLOSED.
  const store = createObjectStorageStore({ storage });
  const err = await Promise.resolve(store.loadAccountKey()).catch((e: unknown) => e);
  expect(isRwsError(err, 'RWS_SERVER_ACME_STORE_FAILED')).toBe(true);
  expect((err as Error).message).toMatch(/cannot read acme\/account\.key in storage local/);
});
