import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignAwsUrl, sha256Hex, signAwsRequest } from '../src/aws-sigv4.js';
import { awsChunkedLength, STREAMING_PAYLOAD, signAwsChunks } from '../src/internal/aws-chunked.js';
import { type S3Server, startS3Server } from './support/s3-server.js';

// The test S3 server is what the S3 driver's tests trust, so its verifier is tested on its own:
// signed requests pass, and every kind of tampering is refused.
const credentials = { accessKeyId: 'AKIDSERVER', secretAccessKey: 'server-secret' };
let server: S3Server;

beforeAll(async () => {
  server = await startS3Server({ buckets: ['b'], credentials: [credentials] });
});
afterAll(() => server.close());

function send(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body?: string | Uint8Array,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function signed(method: string, path: string, body = '', extra: Record<string, string> = {}) {
  const url = new URL(path, server.endpoint);
  const headers = signAwsRequest({
    method,
    url,
    headers: extra,
    payloadHash: sha256Hex(body),
    region: 'us-east-1',
    service: 's3',
    credentials,
  });
  return { url, headers };
}

describe('test S3 server verifies SigV4 independently', () => {
  it('accepts a signed PUT and GET, and refuses a changed signed header', async () => {
    const put = signed('PUT', '/b/k.txt', 'hello', { 'content-type': 'text/plain' });
    expect((await send('PUT', put.url, put.headers, 'hello')).status).toBe(200);
    const get = signed('GET', '/b/k.txt');
    expect(await send('GET', get.url, get.headers)).toEqual({ status: 200, text: 'hello' });
    const tampered = signed('PUT', '/b/k.txt', 'hello', { 'content-type': 'text/plain' });
    const res = await send(
      'PUT',
      tampered.url,
      { ...tampered.headers, 'content-type': 'text/html' },
      'hello',
    );
    expect(res.status).toBe(403);
    expect(res.text).toContain('SignatureDoesNotMatch');
  });

  it('refuses a body that does not match its signed hash', async () => {
    const put = signed('PUT', '/b/k2.txt', 'hello');
    const res = await send('PUT', put.url, put.headers, 'HELLO');
    expect(res.status).toBe(400);
    expect(res.text).toContain('XAmzContentSHA256Mismatch');
  });

  it('refuses an unknown key, a stale date and an expired presigned URL', async () => {
    const get = signed('GET', '/b/k.txt');
    const unknown = get.headers['authorization']?.replace('AKIDSERVER', 'AKIDOTHER') ?? '';
    expect((await send('GET', get.url, { ...get.headers, authorization: unknown })).text).toContain(
      'InvalidAccessKeyId',
    );
    const old = signAwsRequest({
      method: 'GET',
      url: get.url,
      payloadHash: sha256Hex(''),
      region: 'us-east-1',
      service: 's3',
      credentials,
      date: new Date(Date.now() - 3_600_000),
    });
    expect((await send('GET', get.url, old)).text).toContain('RequestTimeTooSkewed');
    const expired = presignAwsUrl({
      method: 'GET',
      url: get.url,
      region: 'us-east-1',
      service: 's3',
      credentials,
      expiresIn: 60,
      date: new Date(Date.now() - 120_000),
    });
    const res = await send('GET', expired, {});
    expect(res.status).toBe(403);
    expect(res.text).toContain('Request has expired');
    const fresh = presignAwsUrl({
      method: 'GET',
      url: get.url,
      region: 'us-east-1',
      service: 's3',
      credentials,
      expiresIn: 60,
    });
    expect((await send('GET', fresh, {})).status).toBe(200);
    fresh.searchParams.set('X-Amz-Expires', '61');
    expect((await send('GET', fresh, {})).status).toBe(403);
  });

  it('checks every chunk signature of a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body', async () => {
    const data = new Uint8Array(70_000).fill(7);
    async function encode(flip: boolean): Promise<{ status: number; text: string }> {
      const url = new URL('/b/chunked.bin', server.endpoint);
      const headers = signAwsRequest({
        method: 'PUT',
        url,
        headers: {
          'content-encoding': 'aws-chunked',
          'x-amz-decoded-content-length': String(data.length),
          'content-length': String(awsChunkedLength(data.length)),
        },
        payloadHash: STREAMING_PAYLOAD,
        region: 'us-east-1',
        service: 's3',
        credentials,
      });
      const chunks: Uint8Array[] = [];
      for await (const chunk of signAwsChunks(
        (async function* () {
          yield data;
        })(),
        data.length,
        {
          credentials,
          region: 'us-east-1',
          service: 's3',
          amzDate: headers['x-amz-date'] as string,
          authorization: headers['authorization'] as string,
        },
      ))
        chunks.push(chunk);
      const body = Buffer.concat(chunks);
      expect(body.length).toBe(awsChunkedLength(data.length));
      // A byte changed in the second chunk's data: its signature no longer matches.
      if (flip) body.writeUInt8(body.readUInt8(body.length - 200) ^ 1, body.length - 200);
      return send('PUT', url, headers, body);
    }
    expect((await encode(false)).status).toBe(200);
    const tampered = await encode(true);
    expect(tampered.status).toBe(403);
    expect(tampered.text).toContain('SignatureDoesNotMatch');
  });

  it('the AWS SDK v3 (another client) works against it: put, ranged get, list, copy, delete many', async () => {
    const sdk = await import('@aws-sdk/client-s3');
    const client = new sdk.S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    try {
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: 'b',
          Key: 'sdk/a b+c.txt',
          Body: 'from the sdk',
          ContentType: 'text/plain',
        }),
      );
      const got = await client.send(
        new sdk.GetObjectCommand({ Bucket: 'b', Key: 'sdk/a b+c.txt', Range: 'bytes=5-7' }),
      );
      expect(got.ContentRange).toBe('bytes 5-7/12');
      expect(await got.Body?.transformToString()).toBe('the');
      await client.send(
        new sdk.CopyObjectCommand({
          Bucket: 'b',
          Key: 'sdk/copy.txt',
          CopySource: 'b/sdk/a%20b%2Bc.txt',
        }),
      );
      const listed = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: 'b', Prefix: 'sdk/', MaxKeys: 1 }),
      );
      expect(listed.Contents?.map((c) => c.Key)).toEqual(['sdk/a b+c.txt']);
      const rest = await client.send(
        new sdk.ListObjectsV2Command({
          Bucket: 'b',
          Prefix: 'sdk/',
          ContinuationToken: listed.NextContinuationToken,
        }),
      );
      expect(rest.Contents?.map((c) => c.Key)).toEqual(['sdk/copy.txt']);
      await client.send(
        new sdk.DeleteObjectsCommand({
          Bucket: 'b',
          Delete: { Objects: [{ Key: 'sdk/a b+c.txt' }, { Key: 'sdk/copy.txt' }] },
        }),
      );
      const empty = await client.send(
        new sdk.ListObjectsV2Command({ Bucket: 'b', Prefix: 'sdk/' }),
      );
      expect(empty.KeyCount).toBe(0);
    } finally {
      client.destroy();
    }
  }, 30_000);
});
