import { isRwsError } from '@rws/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../src/drivers/s3.js';
import { runStorageConformance } from '../src/testing.js';
import { type S3Server, startS3Server } from './support/s3-server.js';

// The in-repo S3 server verifies every SigV4 signature with the AWS SDK's signer
// (@smithy/signature-v4), not ours, and answers 403 SignatureDoesNotMatch to a wrong secret.
const BUCKET = 'rws-test';
const credentials = { accessKeyId: 'AKIDRWSTEST', secretAccessKey: 'test/secret+key' };
let server: S3Server;
let endpoint: string;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET], credentials: [credentials] });
  endpoint = server.endpoint;
});

afterAll(async () => {
  await server?.close();
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
});

describe('payloadSigning: signed (chunk-signed streams, hashed parts)', () => {
  runStorageConformance({
    create: () =>
      createS3Storage({
        endpoint,
        bucket: BUCKET,
        credentials,
        partSize: 5 * MIB,
        payloadSigning: 'signed',
      }),
    largeObjectBytes: 11 * MIB,
  });

  it('a stream of known length goes out as STREAMING-AWS4-HMAC-SHA256-PAYLOAD and parts are hashed', async () => {
    await using storage = createS3Storage({
      endpoint,
      bucket: BUCKET,
      credentials,
      partSize: 5 * MIB,
      payloadSigning: 'signed',
    });
    const size = 200 * 1024 + 17;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let sent = 0; sent < size; sent += 1000)
        yield new Uint8Array(Math.min(1000, size - sent)).fill(65);
    }
    const before = server.requests.length;
    await storage.put('chunked/a.bin', body(), { contentLength: size });
    const put = server.requests.slice(before).find((r) => r.method === 'PUT');
    expect(put?.headers['x-amz-content-sha256']).toBe('STREAMING-AWS4-HMAC-SHA256-PAYLOAD');
    expect(put?.headers['x-amz-decoded-content-length']).toBe(String(size));
    expect(put?.status).toBe(200);
    expect((await storage.head('chunked/a.bin'))?.size).toBe(size);
    await expect(
      storage.put('chunked/short.bin', body(), { contentLength: size + 1 }),
    ).rejects.toThrow(/contentLength/);
    const parts = server.requests.slice(before);
    await storage.put('chunked/big.bin', new Uint8Array(6 * MIB));
    const part = server.requests
      .slice(before + parts.length)
      .find((r) => r.url.includes('partNumber='));
    expect(part?.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an unknown payloadSigning is refused', () => {
    expect(() =>
      createS3Storage({ bucket: 'b', credentials, payloadSigning: 'maybe' as 'signed' }),
    ).toThrow(/payloadSigning/);
  });
});

describe('s3 driver against the test S3 server', () => {
  it('a wrong secret is refused with RWS_STORAGE_ACCESS_DENIED, and the secret is not in the message', async () => {
    await using storage = createS3Storage({
      endpoint,
      bucket: BUCKET,
      credentials: { ...credentials, secretAccessKey: 'not-the-secret' },
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
    expect(server.uploadsInProgress()).toBe(0);
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
      RWS_S3_ACCESS_KEY_ID: credentials.accessKeyId,
      RWS_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ACCESS_KEY_ID: 'wrong',
      AWS_SECRET_ACCESS_KEY: 'wrong',
    };
    await using storage = createS3Storage({ endpoint, bucket: BUCKET, env });
    await storage.put('env/ok.txt', 'ok');
    await using aws = createS3Storage({
      endpoint,
      bucket: BUCKET,
      env: {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      },
    });
    expect(await aws.head('env/ok.txt')).not.toBeNull();
  });
});
