/**
 * A small S3-compatible server for tests and benchmarks: a real `node:http` server on port 0
 * that keeps objects in memory and implements the REST subset the S3 driver uses — Put, Get
 * (with ranges), Head, Delete, DeleteObjects (Content-MD5 required), ListObjectsV2 (opaque
 * continuation tokens), CopyObject, multipart create/upload part/complete/abort, presigned
 * query URLs — path-style only. Every request's signature is verified by `s3-auth.ts` with
 * the AWS SDK's signer; a wrong secret gets 403 SignatureDoesNotMatch.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import {
  checkPayloadHash,
  decodeSignedChunks,
  S3Failure,
  type TestCredentials,
  verifySigV4,
} from './s3-auth.js';

interface StoredObject {
  readonly data: Buffer;
  readonly etag: string;
  readonly lastModified: Date;
  readonly contentType: string;
  readonly cacheControl: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
}

interface Upload {
  readonly key: string;
  readonly template: Omit<StoredObject, 'data' | 'etag' | 'lastModified'>;
  readonly parts: Map<number, { data: Buffer; etag: string }>;
}

/** Options of `startS3Server`. */
export interface S3ServerOptions {
  /** Buckets that exist from the start. */
  readonly buckets: readonly string[];
  /** Key pairs accepted (a session token, when given, must be sent). */
  readonly credentials: readonly TestCredentials[];
}

/** One request as the server saw it, for assertions. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly status: number;
}

/** A running test S3 server. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Every request answered so far, oldest first. */
  readonly requests: SeenRequest[];
  /** Multipart uploads created and neither completed nor aborted. */
  uploadsInProgress(): number;
  /** Adds a key pair at run time (e.g. temporary credentials handed out by a fake STS). */
  addCredentials(credentials: TestCredentials): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const MIN_PART_BYTES = 5 * 1024 * 1024;
const META = 'x-amz-meta-';

function xmlEscape(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function xmlTexts(xml: string, name: string): string[] {
  return [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) =>
    (m[1] ?? '').replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e] ?? ''),
  );
}

function md5(data: Uint8Array | string, encoding: 'hex' | 'base64' = 'hex'): string {
  return createHash('md5').update(data).digest(encoding);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Starts the server on 127.0.0.1, port 0. */
export async function startS3Server(options: S3ServerOptions): Promise<S3Server> {
  const buckets = new Map<string, Map<string, StoredObject>>(
    options.buckets.map((name) => [name, new Map()]),
  );
  const credentials = new Map(options.credentials.map((c) => [c.accessKeyId, c]));
  const uploads = new Map<string, Upload>();
  const requests: SeenRequest[] = [];

  function objectHeaders(object: StoredObject): Record<string, string> {
    const headers: Record<string, string> = {
      etag: object.etag,
      'last-modified': object.lastModified.toUTCString(),
      'content-type': object.contentType,
      'accept-ranges': 'bytes',
    };
    if (object.cacheControl !== undefined) headers['cache-control'] = object.cacheControl;
    for (const [name, value] of Object.entries(object.metadata)) headers[META + name] = value;
    return headers;
  }

  function templateFrom(req: IncomingMessage): Upload['template'] {
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith(META)) metadata[name.slice(META.length)] = String(value);
    }
    return {
      contentType: header(req, 'content-type') ?? 'application/octet-stream',
      cacheControl: header(req, 'cache-control'),
      metadata,
    };
  }

  /** The request body, decoded from aws-chunked and checked against its signed hash. */
  async function payload(
    req: IncomingMessage,
    verified: Awaited<ReturnType<typeof verifySigV4>>,
  ): Promise<Buffer> {
    const raw = await readBody(req);
    if (verified.payloadHash === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD') {
      const decoded = Number(header(req, 'x-amz-decoded-content-length'));
      if (!Number.isSafeInteger(decoded) || decoded < 0) {
        throw new S3Failure(411, 'MissingContentLength', 'x-amz-decoded-content-length');
      }
      return Buffer.from(await decodeSignedChunks(verified, raw, decoded));
    }
    if (verified.payloadHash.startsWith('STREAMING-')) {
      throw new S3Failure(501, 'NotImplemented', `payload ${verified.payloadHash}`);
    }
    checkPayloadHash(verified, raw);
    return raw;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const verified = await verifySigV4(req, url, credentials);
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = rest.map((s) => decodeURIComponent(s)).join('/');
    const bucket = buckets.get(decodeURIComponent(bucketName));
    if (bucket === undefined) throw new S3Failure(404, 'NoSuchBucket', 'no such bucket');
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    if (verified.isPresigned && key === '') {
      throw new S3Failure(403, 'AccessDenied', 'presigned bucket operations are not served');
    }

    if (key === '') {
      if (method === 'GET' && q.get('list-type') === '2') return listObjects(bucket, q, res);
      if (method === 'POST' && q.has('delete')) {
        const body = await payload(req, verified);
        checkIntegrity(req, body);
        for (const k of xmlTexts(body.toString('utf8'), 'Key')) bucket.delete(k);
        return sendXml(res, 200, '<DeleteResult></DeleteResult>');
      }
      throw new S3Failure(501, 'NotImplemented', `${method} on a bucket`);
    }

    if (method === 'POST' && q.has('uploads')) {
      await payload(req, verified);
      const uploadId = randomUUID();
      uploads.set(uploadId, { key, template: templateFrom(req), parts: new Map() });
      return sendXml(
        res,
        200,
        `<InitiateMultipartUploadResult><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      );
    }
    const uploadId = q.get('uploadId');
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (upload === undefined || upload.key !== key) {
        throw new S3Failure(404, 'NoSuchUpload', 'no such upload');
      }
      if (method === 'PUT') {
        const partNumber = Number(q.get('partNumber'));
        if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
          throw new S3Failure(400, 'InvalidArgument', 'partNumber must be 1-10000');
        }
        const data = await payload(req, verified);
        const etag = `"${md5(data)}"`;
        upload.parts.set(partNumber, { data, etag });
        res.writeHead(200, { etag }).end();
        return;
      }
      if (method === 'DELETE') {
        uploads.delete(uploadId);
        res.writeHead(204).end();
        return;
      }
      if (method === 'POST') {
        const xml = (await payload(req, verified)).toString('utf8');
        const numbers = xmlTexts(xml, 'PartNumber').map(Number);
        const etags = xmlTexts(xml, 'ETag');
        const parts = numbers.map((n, i) => {
          const part = upload.parts.get(n);
          if (part === undefined || part.etag !== etags[i]) {
            throw new S3Failure(400, 'InvalidPart', `part ${n} was not uploaded as listed`);
          }
          if (i > 0 && n <= (numbers[i - 1] ?? 0)) {
            throw new S3Failure(400, 'InvalidPartOrder', 'parts must be in ascending order');
          }
          if (i < numbers.length - 1 && part.data.length < MIN_PART_BYTES) {
            throw new S3Failure(400, 'EntityTooSmall', `part ${n} is under 5 MiB`);
          }
          return part;
        });
        uploads.delete(uploadId);
        const etag = `"${md5(Buffer.from(parts.map((p) => p.etag.slice(1, -1)).join(''), 'hex'))}-${parts.length}"`;
        bucket.set(key, {
          ...upload.template,
          data: Buffer.concat(parts.map((p) => p.data)),
          etag,
          lastModified: new Date(),
        });
        return sendXml(
          res,
          200,
          `<CompleteMultipartUploadResult><Key>${xmlEscape(key)}</Key><ETag>${xmlEscape(etag)}</ETag></CompleteMultipartUploadResult>`,
        );
      }
    }

    const copySource = header(req, 'x-amz-copy-source');
    if (method === 'PUT' && copySource !== undefined) {
      await payload(req, verified);
      // `bucket/key` or `/bucket/key`, URL-encoded, optionally `?versionId=…`.
      const [fromBucket = '', ...fromKey] = decodeURIComponent(copySource.split('?')[0] ?? '')
        .replace(/^\//, '')
        .split('/');
      const source = buckets.get(fromBucket)?.get(fromKey.join('/'));
      if (source === undefined) throw new S3Failure(404, 'NoSuchKey', 'no such copy source');
      const copied = { ...source, lastModified: new Date() };
      bucket.set(key, copied);
      return sendXml(
        res,
        200,
        `<CopyObjectResult><ETag>${xmlEscape(copied.etag)}</ETag><LastModified>${copied.lastModified.toISOString()}</LastModified></CopyObjectResult>`,
      );
    }
    if (method === 'PUT') {
      const data = await payload(req, verified);
      bucket.set(key, {
        ...templateFrom(req),
        data,
        etag: `"${md5(data)}"`,
        lastModified: new Date(),
      });
      res.writeHead(200, { etag: `"${md5(data)}"` }).end();
      return;
    }
    if (method === 'DELETE') {
      bucket.delete(key);
      res.writeHead(204).end();
      return;
    }
    if (method === 'GET' || method === 'HEAD') {
      const object = bucket.get(key);
      if (object === undefined) {
        if (method === 'HEAD') return void res.writeHead(404).end();
        throw new S3Failure(404, 'NoSuchKey', 'The specified key does not exist.');
      }
      const range = method === 'GET' ? parseRange(header(req, 'range'), object.data.length) : null;
      if (range === null) {
        res.writeHead(200, {
          ...objectHeaders(object),
          'content-length': String(object.data.length),
        });
        res.end(method === 'HEAD' ? undefined : object.data);
        return;
      }
      res.writeHead(206, {
        ...objectHeaders(object),
        'content-length': String(range.end - range.start + 1),
        'content-range': `bytes ${range.start}-${range.end}/${object.data.length}`,
      });
      res.end(object.data.subarray(range.start, range.end + 1));
      return;
    }
    throw new S3Failure(405, 'MethodNotAllowed', `${method} on an object`);
  }

  function listObjects(
    bucket: Map<string, StoredObject>,
    q: URLSearchParams,
    res: ServerResponse,
  ): void {
    const prefix = q.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Number(q.get('max-keys') ?? 1000));
    const token = q.get('continuation-token');
    // Tokens are opaque to the client: base64 of the last key returned, after a prefix with a
    // space, so `+`, `/`, `=` and spaces must all travel back exactly as received.
    const after = token === null ? null : Buffer.from(token.replace(/^v1 /, ''), 'base64');
    const keys = [...bucket.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((k) => Buffer.from(k))
      .sort(Buffer.compare)
      .filter((k) => after === null || Buffer.compare(k, after) > 0);
    const page = keys.slice(0, maxKeys);
    const isTruncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const name = k.toString('utf8');
        const object = bucket.get(name) as StoredObject;
        return `<Contents><Key>${xmlEscape(name)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(object.etag)}</ETag><Size>${object.data.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = isTruncated
      ? `<NextContinuationToken>v1 ${page.at(-1)?.toString('base64')}</NextContinuationToken>`
      : '';
    sendXml(
      res,
      200,
      `<ListBucketResult><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${isTruncated}</IsTruncated>${next}${contents}</ListBucketResult>`,
    );
  }

  const server = createServer((req, res) => {
    res.on('finish', () =>
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        status: res.statusCode,
      }),
    );
    handle(req, res).catch((err: unknown) => {
      const failure =
        err instanceof S3Failure ? err : new S3Failure(500, 'InternalError', String(err));
      // Drain what the client is still sending so it reads the answer, not a reset.
      req.resume();
      if (res.headersSent) return void res.destroy();
      if (req.method === 'HEAD') return void res.writeHead(failure.status).end();
      sendXml(
        res,
        failure.status,
        `<Error><Code>${failure.code}</Code><Message>${xmlEscape(failure.message)}</Message></Error>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    uploadsInProgress: () => uploads.size,
    addCredentials: (c) => void credentials.set(c.accessKeyId, c),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * DeleteObjects must carry an integrity header: `Content-MD5` (what our driver sends) or a
 * CRC32 checksum (what the 2025 AWS SDKs send). Both are checked.
 */
function checkIntegrity(req: IncomingMessage, body: Buffer): void {
  const contentMd5 = header(req, 'content-md5');
  const crc = header(req, 'x-amz-checksum-crc32');
  if (contentMd5 === undefined && crc === undefined) {
    throw new S3Failure(400, 'InvalidRequest', 'Missing required header: Content-MD5');
  }
  const crcBytes = Buffer.alloc(4);
  crcBytes.writeUInt32BE(crc32(body));
  if (
    (contentMd5 !== undefined && contentMd5 !== md5(body, 'base64')) ||
    (crc !== undefined && crc !== crcBytes.toString('base64'))
  ) {
    throw new S3Failure(400, 'BadDigest', 'the body does not match its integrity header');
  }
}

function sendXml(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

/** `bytes=a-b` / `bytes=a-`; null means the whole object. @see RFC 9110 §14.1.2 */
function parseRange(
  value: string | undefined,
  size: number,
): { start: number; end: number } | null {
  if (value === undefined) return null;
  const m = /^bytes=(\d+)-(\d*)$/.exec(value);
  if (m === null) return null;
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) {
    throw new S3Failure(416, 'InvalidRange', 'The requested range is not satisfiable');
  }
  return { start, end };
}
