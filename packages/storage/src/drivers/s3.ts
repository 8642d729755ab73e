/**
 * `createS3Storage(options)`: Amazon S3 and S3-compatible stores (MinIO, R2, Backblaze B2,
 * s3rver) over @rws/http1's keep-alive client, signed with our own SigV4.
 *
 * No checksum headers are sent except the `Content-MD5` that DeleteObjects requires: the
 * AWS SDK's default CRC checksums (2025) broke R2 and MinIO users.
 */
import { createHash } from 'node:crypto';
import type { Headers } from '@rws/core';
import { Agent, type ClientResponse, type RequestBodyInit } from '@rws/http1';
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
import { bodyChunks, PartReader } from '../internal/body-source.js';
import { assertOpen, closedFlag } from '../internal/closed-flag.js';
import { listLimit } from '../internal/list-sorted.js';
import { throwResponseError } from '../internal/response-error.js';
import { escapeXml, xmlBlocks, xmlValue } from '../internal/xml.js';
import type {
  ByteRange,
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
  /** Default `RWS_S3_ACCESS_KEY_ID`/`RWS_S3_SECRET_ACCESS_KEY`/`RWS_S3_SESSION_TOKEN`, then the `AWS_*` ones. */
  credentials?: AwsCredentials | undefined;
  /**
   * Address the bucket in the path (`endpoint/bucket/key`) rather than the host name
   * (`bucket.endpoint/key`). Default true when `endpoint` is given (MinIO, R2, B2 and
   * emulators expect it), false for AWS.
   */
  forcePathStyle?: boolean | undefined;
  /** Bytes per multipart part, 5 MiB to 5 GiB. Bodies larger than one part use multipart upload. Default 8 MiB. */
  partSize?: number | undefined;
  /** Parts uploaded at once. Memory is at most `partSize * (queueSize + 1)`. Default 4. */
  queueSize?: number | undefined;
  /** Base of `url(key)`, e.g. a CDN. Default the object's endpoint URL. */
  publicUrl?: string | undefined;
  /** The @rws/http1 agent to send through. Default a private one, closed by `close()`. */
  agent?: Agent | undefined;
  /** Environment to read credentials and region from. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
}

const MIB = 1024 * 1024;
/** S3's smallest part (except the last one). */
export const S3_MIN_PART_SIZE: number = 5 * MIB;
const MAX_PARTS = 10_000;
const META_PREFIX = 'x-amz-meta-';

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
  const credentials = options.credentials ?? credentialsFromEnv(env);
  if (credentials === null) {
    throw invalidOption(
      'S3 storage needs credentials: options.credentials, RWS_S3_ACCESS_KEY_ID/RWS_S3_SECRET_ACCESS_KEY or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
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

  interface SendInput {
    readonly method: string;
    readonly url: URL;
    readonly headers?: Record<string, string> | undefined;
    readonly body?: RequestBodyInit | undefined;
    readonly payloadHash: string;
    readonly signal?: AbortSignal | undefined;
  }

  async function send(input: SendInput): Promise<ClientResponse> {
    assertOpen(state, 's3');
    const headers = signAwsRequest({
      method: input.method,
      url: input.url,
      headers: input.headers,
      payloadHash: input.payloadHash,
      region,
      service: 's3',
      credentials: credentials as AwsCredentials,
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
        body: input.body,
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

  function infoFromHeaders(key: string, headers: Headers, size: number): ObjectInfo {
    const metadata: Record<string, string> = {};
    for (const [name, value] of headers) {
      if (name.startsWith(META_PREFIX)) metadata[name.slice(META_PREFIX.length)] = value;
    }
    const lastModified = headers.get('last-modified');
    return {
      key,
      size,
      lastModified: lastModified === null ? new Date() : new Date(lastModified),
      etag: headers.get('etag') ?? undefined,
      contentType: headers.get('content-type') ?? 'application/octet-stream',
      cacheControl: headers.get('cache-control') ?? undefined,
      metadata,
    };
  }

  function putHeaders(putOptions: PutOptions): Record<string, string> {
    const headers: Record<string, string> = {
      'content-type': putOptions.contentType ?? 'application/octet-stream',
    };
    if (putOptions.cacheControl !== undefined) headers['cache-control'] = putOptions.cacheControl;
    for (const [name, value] of Object.entries(putOptions.metadata ?? {})) {
      headers[`${META_PREFIX}${name.toLowerCase()}`] = value;
    }
    return headers;
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

  async function putMultipart(
    key: string,
    first: Uint8Array,
    reader: PartReader,
    putOptions: PutOptions,
  ): Promise<void> {
    const created = await send({
      method: 'POST',
      url: objectUrl(key, { uploads: '' }),
      headers: putHeaders(putOptions),
      payloadHash: EMPTY_SHA256,
      signal: putOptions.signal,
    });
    if (created.status !== 200) await fail(created, 'CreateMultipartUpload', key);
    const uploadId = xmlValue(await created.body.text(), 'UploadId');
    if (uploadId === undefined) {
      throw new StorageError(
        ERROR_CODES.REQUEST_FAILED,
        `S3 CreateMultipartUpload ${JSON.stringify(key)}: no UploadId in the answer`,
        { status: 502 },
      );
    }
    // One controller stops every part in flight when one fails or the caller aborts.
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(putOptions.signal?.reason);
    putOptions.signal?.addEventListener('abort', onAbort, { once: true });
    const etags: string[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown = null;
    const uploadPart = async (partNumber: number, bytes: Uint8Array): Promise<void> => {
      const res = await send({
        method: 'PUT',
        url: objectUrl(key, { partNumber: String(partNumber), uploadId }),
        body: bytes,
        payloadHash: UNSIGNED_PAYLOAD,
        signal: controller.signal,
      });
      if (res.status !== 200) await fail(res, `UploadPart ${partNumber}`, key);
      await res.body.bytes();
      const etag = res.headers.get('etag');
      if (etag === null) {
        throw new StorageError(
          ERROR_CODES.REQUEST_FAILED,
          `S3 UploadPart ${partNumber} ${JSON.stringify(key)}: no ETag`,
          { status: 502 },
        );
      }
      etags[partNumber - 1] = etag;
    };
    try {
      let partNumber = 0;
      let part: Uint8Array = first;
      while (part.byteLength > 0) {
        partNumber += 1;
        if (partNumber > MAX_PARTS) {
          throw invalidOption(
            `put ${JSON.stringify(key)}: more than ${MAX_PARTS} parts; raise partSize`,
          );
        }
        const task = uploadPart(partNumber, part).catch((err: unknown) => {
          failure ??= err;
          controller.abort(err);
        });
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
        // Bounded memory: wait for a slot before reading the next part from the source.
        while (inFlight.size >= queueSize) await Promise.race(inFlight);
        if (failure !== null) break;
        part = await reader.read(partSize);
      }
      await Promise.all(inFlight);
      if (failure !== null) throw failure;
      putOptions.signal?.throwIfAborted();
      const xml = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
      const done = await send({
        method: 'POST',
        url: objectUrl(key, { uploadId }),
        headers: { 'content-type': 'application/xml' },
        body: xml,
        payloadHash: sha256Hex(xml),
        signal: putOptions.signal,
      });
      if (done.status !== 200) await fail(done, 'CompleteMultipartUpload', key);
      // S3 may answer 200 and report the failure in the body.
      const text = await done.body.text();
      if (text.includes('<Error>')) {
        throw new StorageError(
          ERROR_CODES.REQUEST_FAILED,
          `S3 CompleteMultipartUpload ${JSON.stringify(key)}: ${xmlValue(text, 'Code') ?? 'error'}`,
          { status: 502 },
        );
      }
    } catch (err) {
      controller.abort(err);
      await Promise.allSettled(inFlight);
      await reader.cancel().catch(() => {});
      // Abort so the parts stop costing storage; a failure here must not hide the cause.
      await send({ method: 'DELETE', url: objectUrl(key, { uploadId }), payloadHash: EMPTY_SHA256 })
        .then((res) => res.body.bytes())
        .catch(() => {});
      throw err;
    } finally {
      putOptions.signal?.removeEventListener('abort', onAbort);
    }
  }

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
      const { contentLength } = putOptions;
      const isStream = typeof body !== 'string' && !(body instanceof Uint8Array);
      if (isStream && contentLength !== undefined && contentLength <= partSize) {
        // Known length: stream one PUT straight through, unsigned payload, nothing buffered.
        const res = await send({
          method: 'PUT',
          url: objectUrl(key),
          headers: { ...putHeaders(putOptions), 'content-length': String(contentLength) },
          body: bodyChunks(body, putOptions.signal),
          payloadHash: UNSIGNED_PAYLOAD,
          signal: putOptions.signal,
        });
        if (res.status !== 200) await fail(res, 'PUT', key);
        await res.body.bytes();
      } else {
        const reader = new PartReader(bodyChunks(body, putOptions.signal));
        const first = await reader.read(partSize);
        if (first.byteLength < partSize) await putSingle(key, first, putOptions);
        else await putMultipart(key, first, reader, putOptions);
      }
      const info = await storage.head(key, putOptions);
      if (info === null) {
        throw new StorageError(
          ERROR_CODES.REQUEST_FAILED,
          `S3 PUT ${JSON.stringify(key)}: the object is missing right after the upload`,
          { status: 502 },
        );
      }
      return info;
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
      if (res.status === 404) {
        await res.body.bytes().catch(() => {});
        return null;
      }
      if (res.status !== 200 && res.status !== 206) await fail(res, 'GET', key);
      let size = Number(res.headers.get('content-length') ?? 0);
      let range: { start: number; end: number } | undefined;
      const contentRange = res.headers.get('content-range');
      if (getOptions.range !== undefined) {
        const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? '');
        if (match !== null) {
          range = { start: Number(match[1]), end: Number(match[2]) };
          size = Number(match[3]);
        } else {
          // A 200 to a range request: the whole object came back.
          range = { start: 0, end: size - 1 };
        }
      }
      return { ...infoFromHeaders(key, res.headers, size), range, body: res.body.stream() };
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
      return infoFromHeaders(key, res.headers, Number(res.headers.get('content-length') ?? 0));
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
      if (res.status === 404) {
        await res.body.bytes().catch(() => {});
        throw new StorageError(ERROR_CODES.NOT_FOUND, `copy: no object ${JSON.stringify(from)}`, {
          status: 404,
        });
      }
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

    signedUrl(key: string, urlOptions: SignedUrlOptions = {}): string {
      assertOpen(state, 's3');
      validateKey(key);
      const expiresIn = urlOptions.expiresIn ?? 900;
      if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800) {
        throw invalidOption(`signedUrl expiresIn must be 1-604800 seconds, got ${expiresIn}`);
      }
      return presignAwsUrl({
        method: urlOptions.method ?? 'GET',
        url: objectUrl(key),
        region,
        service: 's3',
        credentials: credentials as AwsCredentials,
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

/** Credentials from `RWS_S3_*`, then `AWS_*`; null when neither pair is set. */
export function credentialsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): AwsCredentials | null {
  for (const prefix of ['RWS_S3_', 'AWS_']) {
    const accessKeyId = env[`${prefix}ACCESS_KEY_ID`];
    const secretAccessKey = env[`${prefix}SECRET_ACCESS_KEY`];
    if (accessKeyId && secretAccessKey) {
      const sessionToken = env[`${prefix}SESSION_TOKEN`];
      return sessionToken
        ? { accessKeyId, secretAccessKey, sessionToken }
        : { accessKeyId, secretAccessKey };
    }
  }
  return null;
}

function rangeHeader(range: ByteRange): string {
  const { start, end } = range;
  if (
    !Number.isSafeInteger(start) ||
    start < 0 ||
    (end !== undefined && (!Number.isSafeInteger(end) || end < start))
  ) {
    throw new StorageError(ERROR_CODES.INVALID_RANGE, `invalid byte range ${start}-${end ?? ''}`, {
      status: 416,
    });
  }
  return `bytes=${start}-${end ?? ''}`;
}

function invalidOption(message: string): StorageError {
  return new StorageError(ERROR_CODES.INVALID_OPTIONS, message);
}
