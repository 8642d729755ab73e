/**
 * SigV4 verification for the test S3 server, computed with `@smithy/signature-v4` (the AWS
 * SDK's signer) rather than our own, so a signing bug in `src/aws-sigv4.ts` fails the tests
 * instead of agreeing with itself. Covers the `Authorization` header form, presigned query
 * URLs, and `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` chunk signatures.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

/** A key pair the server accepts; a session token, when set, must be presented too. */
export interface TestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** Why a request was refused: an S3 error code, its status and message. */
export class S3Failure extends Error {
  readonly code: string;
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** What a verified request was signed with. */
export interface Verified {
  readonly payloadHash: string;
  /** The signature that seeds a streaming payload's chunk chain. */
  readonly seedSignature: string;
  readonly signer: SignatureV4;
  readonly signingDate: Date;
  readonly region: string;
  readonly isPresigned: boolean;
}

/** smithy's hash interface over node:crypto: an HMAC when constructed with a secret. */
export class NodeSha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#hash =
      secret === undefined ? createHash('sha256') : createHmac('sha256', toBytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(toBytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

const SKEW_MS = 15 * 60 * 1000;

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** S3's canonical URI: each segment decoded, then encoded once (as MinIO does). */
function canonicalPath(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => {
      try {
        return rfc3986(decodeURIComponent(segment));
      } catch {
        throw new S3Failure(400, 'InvalidURI', 'malformed percent-encoding in the path');
      }
    })
    .join('/');
}

function parseAmzDate(value: string | undefined): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (m === null) throw new S3Failure(403, 'AccessDenied', 'missing or malformed X-Amz-Date');
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

function queryObject(search: URLSearchParams, drop: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of search) {
    if (k === drop) continue;
    const prior = query[k];
    query[k] = prior === undefined ? v : [...(Array.isArray(prior) ? prior : [prior]), v];
  }
  return query;
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/**
 * Verifies `req`'s signature against `credentials` (looked up by access key id). Throws an
 * `S3Failure` (403 SignatureDoesNotMatch, InvalidAccessKeyId, AccessDenied for an expired URL)
 * when it does not hold.
 */
export async function verifySigV4(
  req: IncomingMessage,
  url: URL,
  credentials: ReadonlyMap<string, TestCredentials>,
  now: Date = new Date(),
): Promise<Verified> {
  const isPresigned = url.searchParams.has('X-Amz-Signature');
  let accessKeyId: string;
  let scopeDay: string;
  let region: string;
  let service: string;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string | undefined;
  if (isPresigned) {
    if (url.searchParams.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
      throw new S3Failure(400, 'AuthorizationQueryParametersError', 'unsupported X-Amz-Algorithm');
    }
    [accessKeyId = '', scopeDay = '', region = '', service = ''] = (
      url.searchParams.get('X-Amz-Credential') ?? ''
    ).split('/');
    signedHeaders = (url.searchParams.get('X-Amz-SignedHeaders') ?? '').split(';');
    signature = url.searchParams.get('X-Amz-Signature') ?? '';
    amzDate = url.searchParams.get('X-Amz-Date') ?? undefined;
  } else {
    const auth = headerValue(req, 'authorization');
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]*)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    if (m === null) throw new S3Failure(403, 'AccessDenied', 'missing or malformed Authorization');
    [, accessKeyId = '', scopeDay = '', region = '', service = ''] = m;
    signedHeaders = (m[5] ?? '').split(';');
    signature = m[6] ?? '';
    amzDate = headerValue(req, 'x-amz-date') || undefined;
  }
  const known = credentials.get(accessKeyId);
  if (known === undefined) {
    throw new S3Failure(403, 'InvalidAccessKeyId', `unknown access key ${accessKeyId}`);
  }
  const signingDate = parseAmzDate(amzDate);
  if (!amzDate?.startsWith(scopeDay)) {
    throw new S3Failure(403, 'SignatureDoesNotMatch', 'credential scope date is not X-Amz-Date');
  }
  if (!signedHeaders.includes('host')) {
    throw new S3Failure(403, 'AccessDenied', 'the host header must be signed');
  }
  if (isPresigned) {
    const expires = Number(url.searchParams.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) {
      throw new S3Failure(400, 'AuthorizationQueryParametersError', 'bad X-Amz-Expires');
    }
    if (now.getTime() > signingDate.getTime() + expires * 1000) {
      throw new S3Failure(403, 'AccessDenied', 'Request has expired');
    }
  } else if (Math.abs(now.getTime() - signingDate.getTime()) > SKEW_MS) {
    throw new S3Failure(403, 'RequestTimeTooSkewed', 'request time too far from server time');
  }
  const presentedToken = isPresigned
    ? url.searchParams.get('X-Amz-Security-Token')
    : (req.headers['x-amz-security-token'] ?? null);
  if ((known.sessionToken ?? null) !== presentedToken) {
    throw new S3Failure(403, 'InvalidToken', 'the session token is missing or wrong');
  }

  const signer = new SignatureV4({
    credentials: {
      accessKeyId: known.accessKeyId,
      secretAccessKey: known.secretAccessKey,
      ...(known.sessionToken === undefined ? {} : { sessionToken: known.sessionToken }),
    },
    region,
    service,
    sha256: NodeSha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) headers[name] = headerValue(req, name);
  const request = {
    method: req.method ?? 'GET',
    protocol: 'http:',
    hostname: headerValue(req, 'host'),
    path: canonicalPath(url.pathname),
    query: queryObject(url.searchParams, 'X-Amz-Signature'),
    headers,
  };
  const signable = new Set(signedHeaders);
  let expected: string;
  let payloadHash: string;
  if (isPresigned) {
    payloadHash = 'UNSIGNED-PAYLOAD';
    const { 'x-amz-security-token': _token, ...rest } = headers;
    const presigned = await signer.presign(
      { ...request, headers: { ...rest, 'x-amz-content-sha256': payloadHash } },
      {
        signingDate,
        expiresIn: Number(url.searchParams.get('X-Amz-Expires')),
        signableHeaders: signable,
        unsignableHeaders: new Set(['x-amz-content-sha256']),
        unhoistableHeaders: new Set(['x-amz-content-sha256']),
      },
    );
    expected = String(presigned.query?.['X-Amz-Signature'] ?? '');
  } else {
    payloadHash = headerValue(req, 'x-amz-content-sha256');
    if (payloadHash === '') {
      throw new S3Failure(400, 'InvalidRequest', 'missing x-amz-content-sha256');
    }
    // smithy regenerates x-amz-date from signingDate and the token from the credentials.
    const signed = await signer.sign(
      { ...request, headers: { ...headers, 'x-amz-content-sha256': payloadHash } },
      { signingDate, signableHeaders: signable },
    );
    expected = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers['authorization']))?.[1] ?? '';
  }
  if (expected !== signature) {
    throw new S3Failure(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided',
    );
  }
  return { payloadHash, seedSignature: signature, signer, signingDate, region, isPresigned };
}

/** Checks a hex SHA-256 payload hash against the body received. */
export function checkPayloadHash(verified: Verified, body: Uint8Array): void {
  const { payloadHash } = verified;
  if (!/^[0-9a-f]{64}$/.test(payloadHash)) return;
  if (createHash('sha256').update(body).digest('hex') !== payloadHash) {
    throw new S3Failure(400, 'XAmzContentSHA256Mismatch', 'the body does not match its hash');
  }
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');

/**
 * Decodes an `aws-chunked` body signed with `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`, checking
 * each chunk's signature (chained from the request's) with smithy's string signer.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-streaming.html
 */
export async function decodeSignedChunks(
  verified: Verified,
  encoded: Uint8Array,
  decodedLength: number,
): Promise<Uint8Array> {
  const buf = Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
  const parts: Buffer[] = [];
  let offset = 0;
  let previous = verified.seedSignature;
  const longDate = `${verified.signingDate.toISOString().replace(/[-:]|\.\d{3}/g, '')}`;
  const scope = `${longDate.slice(0, 8)}/${verified.region}/s3/aws4_request`;
  const bad = (why: string): S3Failure => new S3Failure(400, 'IncompleteBody', why);
  for (;;) {
    const eol = buf.indexOf('\r\n', offset);
    if (eol < 0) throw bad('a chunk header is not terminated');
    const m = /^([0-9a-f]+);chunk-signature=([0-9a-f]{64})$/.exec(
      buf.subarray(offset, eol).toString('latin1'),
    );
    if (m === null) throw bad('malformed chunk header');
    const size = Number.parseInt(m[1] ?? '', 16);
    const data = buf.subarray(eol + 2, eol + 2 + size);
    if (data.length !== size || buf.toString('latin1', eol + 2 + size, eol + 4 + size) !== '\r\n') {
      throw bad('a chunk is shorter than its header says');
    }
    const stringToSign = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      longDate,
      scope,
      previous,
      EMPTY_SHA256,
      createHash('sha256').update(data).digest('hex'),
    ].join('\n');
    const expected = await verified.signer.sign(stringToSign, {
      signingDate: verified.signingDate,
      signingRegion: verified.region,
    });
    if (expected !== m[2]) {
      throw new S3Failure(403, 'SignatureDoesNotMatch', 'a chunk signature does not match');
    }
    previous = expected;
    offset = eol + 4 + size;
    if (size === 0) break;
    parts.push(data);
  }
  if (offset !== buf.length) throw bad('bytes after the final chunk');
  const body = Buffer.concat(parts);
  if (body.length !== decodedLength) {
    throw bad(`x-amz-decoded-content-length ${decodedLength}, received ${body.length}`);
  }
  return body;
}
