import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRwsError } from '@rws/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../src/drivers/s3.js';
import { runStorageConformance } from '../src/testing.js';

// s3rver is CommonJS without types; it checks every SigV4 signature with its own implementation
// and answers 403 SignatureDoesNotMatch to a wrong secret.
const require = createRequire(import.meta.url);
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
const S3rver = require('@20minutes/s3rver') as new (
  options: Record<string, unknown>,
) => S3rverInstance;

const BUCKET = 'rws-test';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let server: S3rverInstance;
let endpoint: string;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'rws-storage-s3rver-'));
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const address = await server.run();
  endpoint = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

const MIB = 1024 * 1024;

runStorageConformance({
  create: () =>
    createS3Storage({
      endpoint,
      bucket: BUCKET,
      region: 'us-east-1',
      credentials,
      partSize: 5 * MIB,
    }),
  // 11 MiB with 5 MiB parts: the large-object test goes through a 3-part multipart upload.
  largeObjectBytes: 11 * MIB,
  skip: [
    {
      reason:
        's3rver 5.0.0 double-escapes & < > in ListObjectsV2 XML (real S3 escapes once; s3-list-paging.test.ts checks our parsing)',
      tests: ['keys with XML metacharacters list correctly'],
    },
    {
      reason:
        "s3rver 5.0.0 encrypts continuation tokens with DES, which Node 24's OpenSSL 3 lacks (500); s3-list-paging.test.ts covers paging",
      tests: ['list pages with a cursor'],
    },
  ],
});

describe('s3 driver against s3rver', () => {
  it('a wrong secret is refused with RWS_STORAGE_ACCESS_DENIED, and the secret is not in the message', async () => {
    await using storage = createS3Storage({
      endpoint,
      bucket: BUCKET,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'not-the-secret' },
    });
    let error: unknown;
    try {
      await storage.put('denied.txt', 'x');
    } catch (err) {
      error = err;
    }
    expect(isRwsError(error, 'RWS_STORAGE_ACCESS_DENIED')).toBe(true);
    expect(String((error as Error).message)).not.toContain('not-the-secret');
    expect(String((error as Error).message)).toContain('SignatureDoesNotMatch');
  });

  it('a multipart upload whose source fails is aborted: no object, no upload left', async () => {
    await using storage = createS3Storage({
      endpoint,
      bucket: BUCKET,
      credentials,
      partSize: 5 * MIB,
    });
    async function* failing(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 7; i++) yield new Uint8Array(MIB).fill(i);
      throw new Error('source broke after 7 MiB');
    }
    await expect(storage.put('multipart/broken.bin', failing())).rejects.toThrow(
      'source broke after 7 MiB',
    );
    expect(await storage.head('multipart/broken.bin')).toBeNull();
  });

  it('a streamed PUT with contentLength sends UNSIGNED-PAYLOAD and a wrong length fails', async () => {
    await using storage = createS3Storage({
      endpoint,
      bucket: BUCKET,
      credentials,
      partSize: 5 * MIB,
    });
    async function* body(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('12345');
    }
    await storage.put('stream/known.txt', body(), { contentLength: 5 });
    expect(await new Response((await storage.get('stream/known.txt'))?.body).text()).toBe('12345');
    await expect(storage.put('stream/short.txt', body(), { contentLength: 9 })).rejects.toThrow();
  });

  it('virtual-hosted-style addressing puts the bucket in the host name', () => {
    const storage = createS3Storage({ bucket: 'b', region: 'eu-west-1', credentials });
    expect(storage.url?.('a b/c.txt')).toBe('https://b.s3.eu-west-1.amazonaws.com/a%20b/c.txt');
    const pathStyle = createS3Storage({
      endpoint: 'http://127.0.0.1:9000',
      bucket: 'b',
      credentials,
    });
    expect(pathStyle.url?.('a b/c.txt')).toBe('http://127.0.0.1:9000/b/a%20b/c.txt');
    const cdn = createS3Storage({ bucket: 'b', credentials, publicUrl: 'https://cdn.example/' });
    expect(cdn.url?.('x/y')).toBe('https://cdn.example/x/y');
  });

  it('options are validated', () => {
    expect(() => createS3Storage({ bucket: '', credentials })).toThrow(/bucket/);
    expect(() => createS3Storage({ bucket: 'b', env: {} })).toThrow(/credentials/);
    expect(() => createS3Storage({ bucket: 'b', credentials, partSize: MIB })).toThrow(/partSize/);
    expect(() => createS3Storage({ bucket: 'b', credentials, endpoint: 'ftp://x' })).toThrow(
      /http/,
    );
  });

  it('credentials come from RWS_S3_* first, then AWS_*', async () => {
    const env = {
      RWS_S3_ACCESS_KEY_ID: 'S3RVER',
      RWS_S3_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_ACCESS_KEY_ID: 'wrong',
      AWS_SECRET_ACCESS_KEY: 'wrong',
    };
    await using storage = createS3Storage({ endpoint, bucket: BUCKET, env });
    await storage.put('env/ok.txt', 'ok');
    await using aws = createS3Storage({
      endpoint,
      bucket: BUCKET,
      env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
    });
    expect(await aws.head('env/ok.txt')).not.toBeNull();
  });
});
