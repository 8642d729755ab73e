import { describe, expect, it } from 'vitest';
import {
  EMPTY_SHA256,
  presignAwsUrl,
  sha256Hex,
  signAwsRequest,
  UNSIGNED_PAYLOAD,
} from '../src/aws-sigv4.js';

// Vectors from the AWS documentation: the SigV4 test suite's `get-vanilla` case and the worked
// examples of the Amazon S3 API reference ("Signature Calculations for the Authorization Header"
// and "Authenticating Requests: Using Query Parameters"). Each expected signature is AWS's.
const suiteCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const s3Credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const s3Date = new Date('2013-05-24T00:00:00Z');

function signatureOf(authorization: string | undefined): string | undefined {
  return /Signature=([0-9a-f]{64})$/.exec(authorization ?? '')?.[1];
}

describe('SigV4 (AWS documented vectors)', () => {
  it('test suite get-vanilla', () => {
    const headers = signAwsRequest({
      method: 'GET',
      url: new URL('https://example.amazonaws.com/'),
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      service: 'service',
      credentials: suiteCredentials,
      date: new Date('2015-08-30T12:36:00Z'),
    });
    expect(headers['authorization']).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('S3 GET Object with a Range header', () => {
    const headers = signAwsRequest({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      headers: { Range: 'bytes=0-9' },
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      service: 's3',
      credentials: s3Credentials,
      date: s3Date,
    });
    expect(headers['authorization']).toContain(
      'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date',
    );
    expect(signatureOf(headers['authorization'])).toBe(
      'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('S3 PUT Object with a signed payload', () => {
    const body = 'Welcome to Amazon S3.';
    expect(sha256Hex(body)).toBe(
      '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    );
    const headers = signAwsRequest({
      method: 'PUT',
      url: new URL('https://examplebucket.s3.amazonaws.com/test$file.text'),
      headers: {
        Date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      },
      payloadHash: sha256Hex(body),
      region: 'us-east-1',
      service: 's3',
      credentials: s3Credentials,
      date: s3Date,
    });
    expect(signatureOf(headers['authorization'])).toBe(
      '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
  });

  it('S3 GET Bucket lifecycle (a subresource with an empty value)', () => {
    const headers = signAwsRequest({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/?lifecycle'),
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      service: 's3',
      credentials: s3Credentials,
      date: s3Date,
    });
    expect(signatureOf(headers['authorization'])).toBe(
      'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
    );
  });

  it('S3 list objects (sorted query parameters)', () => {
    const headers = signAwsRequest({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J'),
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      service: 's3',
      credentials: s3Credentials,
      date: s3Date,
    });
    expect(signatureOf(headers['authorization'])).toBe(
      '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    );
  });

  it('S3 presigned GET URL', () => {
    const url = presignAwsUrl({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/test.txt'),
      region: 'us-east-1',
      service: 's3',
      credentials: s3Credentials,
      expiresIn: 86400,
      date: s3Date,
    });
    expect(url.href).toBe(
      'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    );
  });

  it('a session token is signed and sent', () => {
    const headers = signAwsRequest({
      method: 'GET',
      url: new URL('https://examplebucket.s3.amazonaws.com/a'),
      payloadHash: EMPTY_SHA256,
      region: 'us-east-1',
      service: 's3',
      credentials: { ...s3Credentials, sessionToken: 'token/with+chars' },
      date: s3Date,
    });
    expect(headers['x-amz-security-token']).toBe('token/with+chars');
    expect(headers['authorization']).toContain('x-amz-security-token');
  });
});

// Our signer against the AWS SDK's (@smithy/signature-v4) on seeded random S3 requests: paths
// and query strings with reserved, unicode and space characters, metadata headers with runs of
// spaces, hashed and unsigned payloads, session tokens; header and presigned forms.
describe('SigV4 byte for byte against @smithy/signature-v4 on random requests', () => {
  const ALPHABET = [
    'a',
    'Z',
    '0',
    '-',
    '_',
    '.',
    '~',
    ' ',
    '+',
    '%',
    '=',
    '&',
    '!',
    "'",
    '(',
    '*',
    'é',
    '😀',
    '/',
  ];
  let seed = 0x5eed;
  const random = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    return seed / 0x80000000;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const word = (max: number): string =>
    Array.from({ length: 1 + Math.floor(random() * max) }, () => pick(ALPHABET)).join('');
  const rfc3986 = (v: string): string =>
    encodeURIComponent(v).replace(
      /[!'()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );

  it('200 header-signed and 50 presigned requests give the same signatures', async () => {
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { NodeSha256 } = await import('./support/s3-auth.js');
    for (let i = 0; i < 250; i++) {
      const credentials = {
        accessKeyId: 'AKID',
        secretAccessKey: word(30),
        ...(random() < 0.3 ? { sessionToken: word(20) } : {}),
      };
      const region = pick(['us-east-1', 'eu-central-1', 'auto']);
      const date = new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 3e10));
      // `.` and `..` segments are not valid keys (and URL parsing removes them).
      const key = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        word(8).replace(/\//g, 'x'),
      ).map((s) => (s === '.' || s === '..' ? `${s}x` : s));
      const path = `/bucket/${key.map(rfc3986).join('/')}`;
      const url = new URL(`https://s3.example.com${path}`);
      const query: Record<string, string> = {};
      for (let q = Math.floor(random() * 3); q > 0; q--)
        query[word(5)] = random() < 0.2 ? '' : word(8);
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      const signer = new SignatureV4({
        credentials,
        region,
        service: 's3',
        sha256: NodeSha256,
        uriEscapePath: false,
        applyChecksum: false,
      });
      const request = {
        method: pick(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']),
        protocol: 'https:',
        hostname: url.host,
        path,
        query: Object.fromEntries(url.searchParams),
      };
      if (i < 200) {
        const headers: Record<string, string> = {
          'content-type': pick(['text/plain', 'a/b; c=d']),
        };
        headers[`x-amz-meta-${pick(['a', 'owner', 'x-y'])}`] = `  ${word(6)}   ${word(4)} `;
        const payloadHash = random() < 0.5 ? UNSIGNED_PAYLOAD : sha256Hex(word(20));
        const ours = signAwsRequest({
          method: request.method,
          url,
          headers,
          payloadHash,
          region,
          service: 's3',
          credentials,
          date,
        });
        const theirs = await signer.sign(
          {
            ...request,
            headers: { ...headers, host: url.host, 'x-amz-content-sha256': payloadHash },
          },
          { signingDate: date },
        );
        expect(ours['authorization'], `case ${i}: ${request.method} ${url.href}`).toBe(
          theirs.headers['authorization'],
        );
      } else {
        const expiresIn = 1 + Math.floor(random() * 604_799);
        const ours = presignAwsUrl({
          method: request.method,
          url,
          region,
          service: 's3',
          credentials,
          expiresIn,
          date,
        });
        const theirs = await signer.presign(
          { ...request, headers: { host: url.host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD } },
          {
            signingDate: date,
            expiresIn,
            unsignableHeaders: new Set(['x-amz-content-sha256']),
            unhoistableHeaders: new Set(['x-amz-content-sha256']),
          },
        );
        expect(ours.searchParams.get('X-Amz-Signature'), `case ${i}: ${url.href}`).toBe(
          theirs.query?.['X-Amz-Signature'],
        );
      }
    }
  });
});
