/**
 * `createS3Storage(options)`: Amazon S3 and S3-compatible stores (MinIO, R2, Backblaze B2,
 * s3rver) over @rws/http1's keep-alive client, signed with our own SigV4.
 *
 * No checksum headers are sent except the `Content-MD5` that DeleteObjects requires: the
 * AWS SDK's default CRC checksums (2025) broke R2 and MinIO users.
 */
import { createHash } from 'node:crypto';
import { Agent, type ClientResponse } from '@rws/http1';
import { type AwsCredentialProvider, defaultAwsCredentials } from '../aws-credentials.js';
import {
  type AwsCredentials,
  awsUriEncode,
  EMPTY_SHA256,
  presignAwsUrl,
  sha256Hex,
  signAwsRequest,
  UNSIGNED_PAYLOAD,
} from '../aws-sigv4.js';
import { ERROR_CODES, StorageError } from '../errors.js';
import { awsChunkedLength, STREAMING_PAYLOAD, signAwsChunks } from '../internal/aws-chunked.js';
import { assertOpen, closedFlag } from '../internal/closed-flag.js';
import { listLimit } from '../internal/list-sorted.js';
import { contentRange, infoFromHeaders, rangeHeader } from '../internal/object-headers.js';
import { putBody, requireWritten } from '../internal/put-body.js';
import { copySourceMissing, isNotFound, throwResponseError } from '../internal/response-error.js';
import { putHeaders, S3_META_PREFIX } from '../internal/s3-headers.js';
import {
  type MultipartContext,
  type S3SendInput,
  s3MultipartUpload,
} from '../internal/s3-multipart.js';
import { escapeXml, xmlBlocks, xmlValue } from '../internal/xml.js';
import type {
  GetOptions,
  IoOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  PutOptions,
  SignedUrlOptions,
  Storage,
  StorageBody,
  StorageObject,
} from '../types.js';
import { validateKey, validatePrefix } from '../validate-key.js';

/** Options of `createS3Storage`. */
export interface S3StorageOptions {
  bucket: string;
  /**
   * `http(s)://host[:port]` of the store. Default `https://s3.<region>.amazonaws.com`.
   * R2: `https://<account>.r2.cloudflarestorage.com`; MinIO: its address.
   */
  endpoint?: string | undefined;
  /** Default `RWS_S3_REGION`, `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1` (R2: `auto`). */
  region?: string | undefined;
  /**
   * Keys, or a provider (`fromWebIdentity()`, `fromContainerCredentials()`,
   * `fromInstanceMetadata()`). Default: `RWS_S3_*` keys, then `AWS_*` keys, then web identity
   * or the container endpoint when their variables are set (`defaultAwsCredentials`).
   */
  credentials?: AwsCredentials | AwsCredentialProvider | undefined;
  /**
   * Address the bucket in the path (`endpoint/bucket/key`) rather than the host name
   * (`bucket.endpoint/key`). Default true when `endpoint` is given (MinIO, R2, B2 and
   * emulators expect it), false for AWS.
   */
  forcePathStyle?: boolean | undefined;
  /** Bytes per multipart part, 5 MiB to 5 GiB. Bodies larger than one part use multipart upload. Default 8 MiB. */
  partSize?: number | undefined;
  /** Parts uploaded at once; the driver holds at most `partSize * queueSize` bytes of body. Default 4. */
  queueSize?: number | undefined;
  /** Base of `url(key)`, e.g. a CDN. Default the object's endpoint URL. */
  publicUrl?: string | undefined;
  /** The @rws/http1 agent to send through. Default a private one, closed by `close()`. */
  agent?: Agent | undefined;
  /**
   * How upload bodies are signed. `'unsigned'` (default) sends streams and multipart parts as
   * `UNSIGNED-PAYLOAD` (TLS protects them; what R2 and most stores expect). `'signed'` signs
   * every byte: parts with their SHA-256, streams of known length with
   * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` chunk signatures (for plain-HTTP endpoints).
   */
  payloadSigning?: 'unsigned' | 'signed' | undefined;
  /** Environment to read credentials and region from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

const MIB = 1024 * 1024;
/** S3's smallest part (except the last one). */
export const S3_MIN_PART_SIZE: number = 5 * MIB;

/**
 * A `Storage` over an S3-compatible bucket: streaming `get` and `put`, multipart upload of
 * large bodies (parts in parallel, aborted on failure), ranges, server-side copy, batched
 * delete and presigned GET/PUT URLs.
 *
 * @example
 * ```ts
 * import { createS3Storage } from '@rws/storage/drivers/s3';
 * const storage = createS3Storage({
 *   endpoint: 'http://127.0.0.1:9000',
 *   bucket: 'uploads',
 *   credentials: { accessKeyId: 'minio', secretAccessKey: 'minio-secret' },
 * });
 * const url = await storage.signedUrl?.('report.pdf', { expiresIn: 600 });
 * ```
 */
export function createS3Storage(options: S3StorageOptions): Storage {
  const env = options.env ?? process.env;
  if (typeof options?.bucket !== 'string' || options.bucket === '') {
    throw invalidOption('S3 storage needs a bucket');
  }
  const region =
    options.region ??
    env['RWS_S3_REGION'] ??
    env['AWS_REGION'] ??
    env['AWS_DEFAULT_REGION'] ??
    'us-east-1';
  const credentialSource = options.credentials ?? defaultAwsCredentials(env);
  if (credentialSource === null) {
    throw invalidOption(
      'S3 storage needs credentials: options.credentials (keys or a provider such as fromInstanceMetadata()), RWS_S3_ACCESS_KEY_ID/RWS_S3_SECRET_ACCESS_KEY, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN, or AWS_CONTAINER_CREDENTIALS_*_URI',
    );
  }
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint ?? `https://s3.${region}.amazonaws.com`);
  } catch (cause) {
    throw new StorageError(ERROR_CODES.INVALID_OPTIONS, 'S3 endpoint is not a URL', { cause });
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw invalidOption(`S3 endpoint must be http: or https:, got ${endpoint.protocol}`);
  }
  const isPathStyle = options.forcePathStyle ?? options.endpoint !== undefined;
  const partSize = options.partSize ?? 8 * MIB;
  if (!Number.isInteger(partSize) || partSize < S3_MIN_PART_SIZE || partSize > 5 * 1024 * MIB) {
    throw invalidOption(`S3 partSize must be an integer from 5 MiB to 5 GiB, got ${partSize}`);
  }
  const queueSize = options.queueSize ?? 4;
  if (!Number.isInteger(queueSize) || queueSize < 1) {
    throw invalidOption(`S3 queueSize must be a positive integer, got ${queueSize}`);
  }
  const payloadSigning = options.payloadSigning ?? 'unsigned';
  if (payloadSigning !== 'unsigned' && payloadSigning !== 'signed') {
    throw invalidOption(
      `S3 payloadSigning must be 'unsigned' or 'signed', got ${String(payloadSigning)}`,
    );
  }
  const isPayloadSigned = payloadSigning === 'signed';
  const bucket = options.bucket;
  const ownsAgent = options.agent === undefined;
  const agent = options.agent ?? new Agent();
  const state = closedFlag();

  const origin = isPathStyle ? endpoint.origin : `${endpoint.protocol}//${bucket}.${endpoint.host}`;
  const basePath = isPathStyle ? `/${awsUriEncode(bucket)}` : '';

  function objectUrl(key: string, query?: Record<string, string>): URL {
    const url = new URL(`${origin}${basePath}/${key.split('/').map(awsUriEncode).join('/')}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    return url;
  }

  function bucketUrl(query: Record<string, string>): URL {
    // Path style addresses the bucket as `/bucket` (no trailing slash), as the AWS SDKs do.
    const url = new URL(`${origin}${basePath === '' ? '/' : basePath}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  async function currentCredentials(signal?: AbortSignal): Promise<AwsCredentials> {
    if (typeof credentialSource !== 'function') return credentialSource as AwsCredentials;
    return await credentialSource({ agent, signal });
  }

  async function send(input: S3SendInput): Promise<ClientResponse> {
    assertOpen(state, 's3');
    const { chunked } = input;
    const credentials = await currentCredentials(input.signal);
    assertOpen(state, 's3');
    const headers = signAwsRequest({
      method: input.method,
      url: input.url,
      headers:
        chunked === undefined
          ? input.headers
          : {
              ...input.headers,
              'content-encoding': 'aws-chunked',
              'x-amz-decoded-content-length': String(chunked.length),
              'content-length': String(awsChunkedLength(chunked.length)),
            },
      payloadHash: chunked === undefined ? input.payloadHash : STREAMING_PAYLOAD,
      region,
      service: 's3',
      credentials,
    });
    const body =
      chunked === undefined
        ? input.body
        : signAwsChunks(chunked.source, chunked.length, {
            credentials,
            region,
            service: 's3',
            amzDate: headers['x-amz-date'] as string,
            authorization: headers['authorization'] as string,
          });
    // The signed query must go out exactly as signed: URLSearchParams encodes spaces as `+`,
    // which S3 decodes differently from `%20`.
    const query = [...input.url.searchParams]
      .map(([k, v]) => `${awsUriEncode(k)}=${awsUriEncode(v)}`)
      .join('&');
    try {
      return await agent.request({
        origin: input.url.origin,
        path: input.url.pathname + (query === '' ? '' : `?${query}`),
        method: input.method,
        headers,
        body,
        signal: input.signal,
      });
    } catch (cause) {
      if (input.signal?.aborted) throw cause;
      throw new StorageError(
        ERROR_CODES.REQUEST_FAILED,
        `S3 ${input.method} ${input.url.pathname} failed: ${(cause as Error).message}`,
        { cause, status: 502 },
      );
    }
  }

  /** Reads the error body and throws a StorageError naming the operation and S3's code. */
  function fail(res: ClientResponse, operation: string, key: string): Promise<never> {
    return throwResponseError('S3', res, operation, key);
  }

  async function putSingle(key: string, bytes: Uint8Array, putOptions: PutOptions): Promise<void> {
    const res = await send({
      method: 'PUT',
      url: objectUrl(key),
      headers: putHeaders(putOptions),
      body: bytes,
      payloadHash: sha256Hex(bytes),
      signal: putOptions.signal,
    });
    if (res.status !== 200) await fail(res, 'PUT', key);
    await res.body.bytes();
  }

  const multipart: MultipartContext = {
    send,
    objectUrl,
    fail,
    partSize,
    queueSize,
    isPayloadSigned,
  };

  const storage: Storage = {
    name: 's3',
    capabilities: {
      signedUrl: true,
      serverSideCopy: true,
      multipart: true,
      ranges: true,
      metadata: true,
    },

    async put(key: string, body: StorageBody, putOptions: PutOptions = {}): Promise<ObjectInfo> {
      assertOpen(state, 's3');
      validateKey(key);
      await putBody(body, putOptions, {
        partSize,
        // Known length: one PUT straight through, nothing buffered; chunk-signed or unsigned.
        putStream: async (source, length) => {
          const res = await send({
            method: 'PUT',
            url: objectUrl(key),
            headers: isPayloadSigned
              ? putHeaders(putOptions)
              : { ...putHeaders(putOptions), 'content-length': String(length) },
            body: source,
            payloadHash: UNSIGNED_PAYLOAD,
            chunked: isPayloadSigned ? { source, length } : undefined,
            signal: putOptions.signal,
          });
          if (res.status !== 200) await fail(res, 'PUT', key);
          await res.body.bytes();
        },
        putBytes: (bytes) => putSingle(key, bytes, putOptions),
        putParts: (first, reader) => s3MultipartUpload(multipart, key, first, reader, putOptions),
      });
      return requireWritten(await storage.head(key, putOptions), `S3 PUT ${JSON.stringify(key)}`);
    },

    async get(key: string, getOptions: GetOptions = {}): Promise<StorageObject | null> {
      assertOpen(state, 's3');
      validateKey(key);
      const headers: Record<string, string> = {};
      if (getOptions.range !== undefined) headers['range'] = rangeHeader(getOptions.range);
      const res = await send({
        method: 'GET',
        url: objectUrl(key),
        headers,
        payloadHash: EMPTY_SHA256,
        signal: getOptions.signal,
      });
      if (await isNotFound(res)) return null;
      if (res.status !== 200 && res.status !== 206) await fail(res, 'GET', key);
      const reported = contentRange(res.headers);
      const size = reported?.size ?? Number(res.headers.get('content-length') ?? 0);
      // A 200 to a range request: the whole object came back.
      const range =
        getOptions.range === undefined ? undefined : (reported ?? { start: 0, end: size - 1 });
      return {
        ...infoFromHeaders(key, res.headers, size, S3_META_PREFIX),
        range: range === undefined ? undefined : { start: range.start, end: range.end },
        body: res.body.stream(),
      };
    },

    async head(key: string, ioOptions: IoOptions = {}): Promise<ObjectInfo | null> {
      assertOpen(state, 's3');
      validateKey(key);
      const res = await send({
        method: 'HEAD',
        url: objectUrl(key),
        payloadHash: EMPTY_SHA256,
        signal: ioOptions.signal,
      });
      await res.body.bytes().catch(() => {});
      if (res.status === 404) return null;
      if (res.status !== 200) await fail(res, 'HEAD', key);
      return infoFromHeaders(
        key,
        res.headers,
        Number(res.headers.get('content-length') ?? 0),
        S3_META_PREFIX,
      );
    },

    async delete(key: string, ioOptions: IoOptions = {}): Promise<void> {
      assertOpen(state, 's3');
      validateKey(key);
      const res = await send({
        method: 'DELETE',
        url: objectUrl(key),
        payloadHash: EMPTY_SHA256,
        signal: ioOptions.signal,
      });
      if (res.status !== 204 && res.status !== 200 && res.status !== 404)
        await fail(res, 'DELETE', key);
      await res.body.bytes();
    },

    async deleteMany(keys: readonly string[], ioOptions: IoOptions = {}): Promise<void> {
      assertOpen(state, 's3');
      for (const key of keys) validateKey(key);
      for (let i = 0; i < keys.length; i += 1000) {
        const batch = keys.slice(i, i + 1000);
        const xml = `<Delete><Quiet>true</Quiet>${batch.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join('')}</Delete>`;
        const res = await send({
          method: 'POST',
          url: bucketUrl({ delete: '' }),
          // DeleteObjects is the one call S3 refuses without an integrity header.
          headers: {
            'content-type': 'application/xml',
            'content-md5': createHash('md5').update(xml).digest('base64'),
          },
          body: xml,
          payloadHash: sha256Hex(xml),
          signal: ioOptions.signal,
        });
        if (res.status !== 200) await fail(res, 'DeleteObjects', batch[0] ?? '');
        const text = await res.body.text();
        const errors = xmlBlocks(text, 'Error');
        if (errors.length > 0) {
          throw new StorageError(
            ERROR_CODES.REQUEST_FAILED,
            `S3 DeleteObjects: ${errors.length} keys failed, first ${JSON.stringify(xmlValue(errors[0] ?? '', 'Key'))}`,
            { status: 502 },
          );
        }
      }
    },

    async copy(from: string, to: string, ioOptions: IoOptions = {}): Promise<void> {
      assertOpen(state, 's3');
      validateKey(from);
      validateKey(to);
      const res = await send({
        method: 'PUT',
        url: objectUrl(to),
        headers: {
          'x-amz-copy-source': `/${awsUriEncode(bucket)}/${from.split('/').map(awsUriEncode).join('/')}`,
        },
        payloadHash: EMPTY_SHA256,
        signal: ioOptions.signal,
      });
      if (await isNotFound(res)) throw copySourceMissing(from);
      if (res.status !== 200) await fail(res, 'CopyObject', to);
      const text = await res.body.text();
      if (text.includes('<Error>')) {
        throw new StorageError(
          ERROR_CODES.REQUEST_FAILED,
          `S3 CopyObject ${JSON.stringify(to)}: ${xmlValue(text, 'Code') ?? 'error'}`,
          { status: 502 },
        );
      }
    },

    async list(prefix: string, listOptions: ListOptions = {}): Promise<ListPage> {
      assertOpen(state, 's3');
      validatePrefix(prefix);
      const query: Record<string, string> = {
        'list-type': '2',
        'max-keys': String(listLimit(listOptions.limit)),
      };
      if (prefix !== '') query['prefix'] = prefix;
      if (listOptions.cursor !== undefined) query['continuation-token'] = listOptions.cursor;
      const res = await send({
        method: 'GET',
        url: bucketUrl(query),
        payloadHash: EMPTY_SHA256,
        signal: listOptions.signal,
      });
      if (res.status !== 200) await fail(res, 'ListObjectsV2', prefix);
      const text = await res.body.text();
      const items = xmlBlocks(text, 'Contents').map(
        (block): ObjectInfo => ({
          key: xmlValue(block, 'Key') ?? '',
          size: Number(xmlValue(block, 'Size') ?? 0),
          lastModified: new Date(xmlValue(block, 'LastModified') ?? 0),
          etag: xmlValue(block, 'ETag'),
        }),
      );
      const isTruncated = xmlValue(text, 'IsTruncated') === 'true';
      return {
        items,
        cursor: isTruncated ? (xmlValue(text, 'NextContinuationToken') ?? null) : null,
      };
    },

    async signedUrl(key: string, urlOptions: SignedUrlOptions = {}): Promise<string> {
      assertOpen(state, 's3');
      validateKey(key);
      const expiresIn = urlOptions.expiresIn ?? 900;
      if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800) {
        throw invalidOption(`signedUrl expiresIn must be 1-604800 seconds, got ${expiresIn}`);
      }
      const credentials = await currentCredentials();
      return presignAwsUrl({
        method: urlOptions.method ?? 'GET',
        url: objectUrl(key),
        region,
        service: 's3',
        credentials,
        expiresIn,
      }).href;
    },

    url(key: string): string {
      validateKey(key);
      if (options.publicUrl !== undefined) {
        return `${options.publicUrl.replace(/\/+$/, '')}/${key.split('/').map(awsUriEncode).join('/')}`;
      }
      return objectUrl(key).href;
    },

    async close(): Promise<void> {
      if (state.isClosed) return;
      state.isClosed = true;
      if (ownsAgent) await agent.close();
    },
    [Symbol.asyncDispose](): Promise<void> {
      return storage.close();
    },
  };
  return storage;
}

function invalidOption(message: string): StorageError {
  return new StorageError(ERROR_CODES.INVALID_OPTIONS, message);
}

export type {
  AwsCredentialProvider,
  AwsProviderOptions,
  AwsTemporaryCredentials,
  ContainerCredentialsOptions,
  CredentialContext,
  InstanceMetadataOptions,
  WebIdentityOptions,
} from '../aws-credentials.js';
export {
  credentialsFromEnv,
  defaultAwsCredentials,
  fromContainerCredentials,
  fromInstanceMetadata,
  fromWebIdentity,
} from '../aws-credentials.js';
