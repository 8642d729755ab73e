import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureBlobStorage } from '../src/drivers/azure-blob.js';
import { runStorageConformance } from '../src/testing.js';

// Azurite, Microsoft's emulator, checks every Shared Key and SAS signature itself.
const require = createRequire(import.meta.url);
interface BlobServerInstance {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}
const { BlobServer, BlobConfiguration } = {
  BlobServer: require('azurite/dist/src/blob/BlobServer.js').default,
  BlobConfiguration: require('azurite/dist/src/blob/BlobConfiguration.js').default,
} as {
  BlobServer: new (config: unknown) => BlobServerInstance;
  BlobConfiguration: new (...args: unknown[]) => unknown;
};

const ACCOUNT = 'devstoreaccount1';
const KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const CONTAINER = 'rws-test';
const MIB = 1024 * 1024;
let server: BlobServerInstance;
let endpoint: string;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'rws-storage-azurite-'));
  const config = new BlobConfiguration(
    '127.0.0.1',
    0,
    5000,
    path.join(directory, 'meta.json'),
    path.join(directory, 'extent.json'),
    [{ locationId: 'default', locationPath: directory, maxConcurrency: 10 }],
    false,
    undefined,
    false,
    undefined,
    false,
    true,
  );
  server = new BlobServer(config);
  await server.start();
  endpoint = `http://${server.getHttpServerAddress().replace(/^http:\/\//, '')}/${ACCOUNT}`;
  await createContainer();
}, 60_000);

afterAll(async () => {
  await server?.close();
  await server?.clean().catch(() => {});
  await rm(directory, { recursive: true, force: true });
});

/** Create Container, signed here by hand: the driver works inside one existing container. */
async function createContainer(): Promise<void> {
  const { createHmac } = await import('node:crypto');
  const date = new Date().toUTCString();
  const version = '2021-08-06';
  const url = new URL(`${endpoint}/${CONTAINER}?restype=container`);
  const stringToSign = `PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:${date}\nx-ms-version:${version}\n/${ACCOUNT}${url.pathname}\nrestype:container`;
  const sig = createHmac('sha256', Buffer.from(KEY, 'base64'))
    .update(stringToSign)
    .digest('base64');
  const res = await fetch(url, {
    method: 'PUT',
    headers: {
      'x-ms-date': date,
      'x-ms-version': version,
      authorization: `SharedKey ${ACCOUNT}:${sig}`,
    },
  });
  if (res.status !== 201 && res.status !== 409)
    throw new Error(`create container: ${res.status} ${await res.text()}`);
}

runStorageConformance({
  create: () =>
    createAzureBlobStorage({
      accountName: ACCOUNT,
      accountKey: KEY,
      container: CONTAINER,
      endpoint,
      blockSize: 4 * MIB,
    }),
  // 11 MiB in 4 MiB blocks: the large-object test stages three blocks and commits them.
  largeObjectBytes: 11 * MIB,
});

describe('azure blob driver against azurite', () => {
  it('a wrong account key is refused with RWS_STORAGE_ACCESS_DENIED', async () => {
    await using storage = createAzureBlobStorage({
      accountName: ACCOUNT,
      accountKey: Buffer.from('not the key').toString('base64'),
      container: CONTAINER,
      endpoint,
    });
    await expect(storage.put('denied.txt', 'x')).rejects.toMatchObject({
      code: 'RWS_STORAGE_ACCESS_DENIED',
    });
  });
});
