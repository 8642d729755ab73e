/**
 * AWS Signature Version 4: the `Authorization` header form and the presigned-query form.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';

/** Credentials for SigV4. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (STS, web identity, instance roles) carry a session token. */
  readonly sessionToken?: string | undefined;
}

/** The payload hash S3 accepts when the body is not hashed (TLS protects it in transit). */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** SHA-256 of the empty string, the payload hash of a body-less request. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A request to sign. */
export interface SignAwsRequestInput {
  readonly method: string;
  readonly url: URL;
  /** Headers to sign and send (any case). `host` and `x-amz-date` are added. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Hex SHA-256 of the body, `UNSIGNED-PAYLOAD`, or a streaming marker. */
  readonly payloadHash: string;
  readonly region: string;
  /** `s3`, or another service name (the test-suite uses `service`). */
  readonly service: string;
  readonly credentials: AwsCredentials;
  /** Signing time. Default now. */
  readonly date?: Date | undefined;
  /**
   * Encode the path twice (every service except S3). Default: false for `s3`, true otherwise.
   */
  readonly doubleEncodePath?: boolean | undefined;
}

/**
 * Signs a request: returns its headers (lower-case names) with `host`, `x-amz-date`,
 * `x-amz-security-token` (with a session token), `x-amz-content-sha256` (S3 only) and
 * `authorization` added.
 *
 * @example
 * ```ts
 * import { EMPTY_SHA256, signAwsRequest } from '@rws/storage';
 * const headers = signAwsRequest({
 *   method: 'GET',
 *   url: new URL('https://bucket.s3.us-east-1.amazonaws.com/a.txt'),
 *   payloadHash: EMPTY_SHA256,
 *   region: 'us-east-1',
 *   service: 's3',
 *   credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
 * });
 * ```
 */
export function signAwsRequest(input: SignAwsRequestInput): Record<string, string> {
  const amzDate = amzDateOf(input.date ?? new Date());
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {}))
    headers[name.toLowerCase()] = value;
  headers['host'] ??= input.url.host;
  headers['x-amz-date'] = amzDate;
  if (input.credentials.sessionToken !== undefined) {
    headers['x-amz-security-token'] = input.credentials.sessionToken;
  }
  if (input.service === 's3') headers['x-amz-content-sha256'] = input.payloadHash;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonical = [
    input.method.toUpperCase(),
    canonicalUri(input.url, input.doubleEncodePath ?? input.service !== 's3'),
    canonicalQuery(input.url.searchParams),
    names.map((n) => `${n}:${canonicalHeaderValue(headers[n] as string)}\n`).join(''),
    signedHeaders,
    input.payloadHash,
  ].join('\n');
  const scope = `${amzDate.slice(0, 8)}/${input.region}/${input.service}/aws4_request`;
  const signature = sign(
    input.credentials.secretAccessKey,
    amzDate,
    input.region,
    input.service,
    canonical,
  );
  headers['authorization'] =
    `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

/** A URL to presign. */
export interface PresignAwsUrlInput {
  readonly method: string;
  readonly url: URL;
  readonly region: string;
  readonly service: string;
  readonly credentials: AwsCredentials;
  /** Seconds, 1-604800. */
  readonly expiresIn: number;
  readonly date?: Date | undefined;
  /** Extra headers the holder must send (signed); `host` is always signed. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly doubleEncodePath?: boolean | undefined;
}

/**
 * Presigns a URL (query-string authentication): anyone holding it may send `method` to it
 * until `expiresIn` seconds after `date`. The payload is `UNSIGNED-PAYLOAD`.
 */
export function presignAwsUrl(input: PresignAwsUrlInput): URL {
  const amzDate = amzDateOf(input.date ?? new Date());
  const scope = `${amzDate.slice(0, 8)}/${input.region}/${input.service}/aws4_request`;
  const headers: Record<string, string> = { host: input.url.host };
  for (const [name, value] of Object.entries(input.headers ?? {}))
    headers[name.toLowerCase()] = value;
  const names = Object.keys(headers).sort();
  const url = new URL(input.url);
  const query = url.searchParams;
  query.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA256');
  query.set('X-Amz-Credential', `${input.credentials.accessKeyId}/${scope}`);
  query.set('X-Amz-Date', amzDate);
  query.set('X-Amz-Expires', String(input.expiresIn));
  if (input.credentials.sessionToken !== undefined) {
    query.set('X-Amz-Security-Token', input.credentials.sessionToken);
  }
  query.set('X-Amz-SignedHeaders', names.join(';'));
  const canonical = [
    input.method.toUpperCase(),
    canonicalUri(url, input.doubleEncodePath ?? input.service !== 's3'),
    canonicalQuery(query),
    names.map((n) => `${n}:${canonicalHeaderValue(headers[n] as string)}\n`).join(''),
    names.join(';'),
    UNSIGNED_PAYLOAD,
  ].join('\n');
  const signature = sign(
    input.credentials.secretAccessKey,
    amzDate,
    input.region,
    input.service,
    canonical,
  );
  // URLSearchParams encodes spaces as `+`; rebuild the query with the RFC 3986 encoding that
  // was signed so the server's canonical query matches ours.
  url.search = `${canonicalQuery(query)}&X-Amz-Signature=${signature}`;
  return url;
}

/** Hex SHA-256 of `data`. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `YYYYMMDDTHHMMSSZ`. */
function amzDateOf(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

const signingKeys = new Map<string, KeyObject>();

/**
 * The derived SigV4 key for one day, region and service (cached). It is kept as a KeyObject
 * because it signs every request of the day: given raw bytes, node 24's createHmac first asks
 * "KeyObject? CryptoKey?" and each "no" builds and drops a TypeError, ~10 µs per call. The
 * steps of the derivation run once per day, so they stay raw.
 */
export function awsSigningKey(
  secret: string,
  day: string,
  region: string,
  service: string,
): KeyObject {
  const cacheKey = `${day}\n${region}\n${service}\n${secret}`;
  let key = signingKeys.get(cacheKey);
  if (key === undefined) {
    const kDate = hmac(`AWS4${secret}`, day);
    key = createSecretKey(hmac(hmac(hmac(kDate, region), service), 'aws4_request'));
    // Keys are per day: keep the cache small rather than growing it forever.
    if (signingKeys.size > 64) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return key;
}

function sign(
  secret: string,
  amzDate: string,
  region: string,
  service: string,
  canonical: string,
): string {
  const day = amzDate.slice(0, 8);
  const key = awsSigningKey(secret, day, region, service);
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    `${day}/${region}/${service}/aws4_request`,
    sha256Hex(canonical),
  ].join('\n');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/**
 * RFC 3986 percent-encoding of everything but unreserved characters, as SigV4 requires
 * (`encodeURIComponent` leaves `!'()*` alone).
 */
export function awsUriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function canonicalUri(url: URL, isDoubleEncoded: boolean): string {
  const segments = url.pathname.split('/').map((s) => awsUriEncode(safeDecode(s)));
  const path = segments.join('/') || '/';
  return isDoubleEncoded ? path.split('/').map(awsUriEncode).join('/') : path;
}

function canonicalQuery(params: URLSearchParams): string {
  const pairs: [string, string][] = [];
  for (const [k, v] of params) pairs.push([awsUriEncode(k), awsUriEncode(v)]);
  pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

function canonicalHeaderValue(value: string): string {
  return value.trim().replace(/\s+/g, ' ');
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
