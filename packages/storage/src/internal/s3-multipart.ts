/**
 * S3 multipart upload of a long body: parts read one at a time, up to `queueSize` in flight
 * (`uploadParts`), and on any failure the upload is aborted so the parts stop costing storage.
 * Parts go out as `UNSIGNED-PAYLOAD`, or hashed chunk by chunk when payloads are signed.
 */
import { createHash } from 'node:crypto';
import type { ClientResponse, RequestBodyInit } from '@rws/http1';
import { EMPTY_SHA256, sha256Hex, UNSIGNED_PAYLOAD } from '../aws-sigv4.js';
import { ERROR_CODES, StorageError } from '../errors.js';
import type { PutOptions } from '../types.js';
import { type BodyPart, drainPart, type PartReader } from './body-source.js';
import { uploadParts } from './part-upload.js';
import { putHeaders } from './s3-headers.js';
import { escapeXml, xmlValue } from './xml.js';

const MAX_PARTS = 10_000;

/** One signed request of the S3 driver. */
export interface S3SendInput {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Record<string, string> | undefined;
  readonly body?: RequestBodyInit | undefined;
  readonly payloadHash: string;
  /** A body of known length to send chunk-signed. */
  readonly chunked?: { source: AsyncIterable<Uint8Array>; length: number } | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What the upload needs from the driver. */
export interface MultipartContext {
  readonly send: (input: S3SendInput) => Promise<ClientResponse>;
  readonly objectUrl: (key: string, query?: Record<string, string>) => URL;
  readonly fail: (res: ClientResponse, operation: string, key: string) => Promise<never>;
  readonly partSize: number;
  readonly queueSize: number;
  readonly isPayloadSigned: boolean;
}

/** Uploads `first` and the rest of `reader` as one object. */
export async function s3MultipartUpload(
  ctx: MultipartContext,
  key: string,
  first: BodyPart,
  reader: PartReader,
  putOptions: PutOptions,
): Promise<void> {
  const created = await ctx.send({
    method: 'POST',
    url: ctx.objectUrl(key, { uploads: '' }),
    headers: putHeaders(putOptions),
    payloadHash: EMPTY_SHA256,
    signal: putOptions.signal,
  });
  if (created.status !== 200) await ctx.fail(created, 'CreateMultipartUpload', key);
  const uploadId = xmlValue(await created.body.text(), 'UploadId');
  if (uploadId === undefined) {
    throw new StorageError(
      ERROR_CODES.REQUEST_FAILED,
      `S3 CreateMultipartUpload ${JSON.stringify(key)}: no UploadId in the answer`,
      { status: 502 },
    );
  }
  const etags: string[] = [];
  const uploadPart = async (index: number, part: BodyPart, signal: AbortSignal): Promise<void> => {
    const partNumber = index + 1;
    // The hash needs every byte before the head goes out; the part is in memory anyway.
    const payloadHash = ctx.isPayloadSigned ? sha256OfChunks(part.chunks) : UNSIGNED_PAYLOAD;
    const res = await ctx.send({
      method: 'PUT',
      url: ctx.objectUrl(key, { partNumber: String(partNumber), uploadId }),
      headers: { 'content-length': String(part.byteLength) },
      body: drainPart(part),
      payloadHash,
      signal,
    });
    if (res.status !== 200) await ctx.fail(res, `UploadPart ${partNumber}`, key);
    await res.body.bytes();
    const etag = res.headers.get('etag');
    if (etag === null) {
      throw new StorageError(
        ERROR_CODES.REQUEST_FAILED,
        `S3 UploadPart ${partNumber} ${JSON.stringify(key)}: no ETag`,
        { status: 502 },
      );
    }
    etags[index] = etag;
  };
  try {
    await uploadParts({
      first,
      reader,
      partSize: ctx.partSize,
      queueSize: ctx.queueSize,
      maxParts: MAX_PARTS,
      label: `put ${JSON.stringify(key)}`,
      signal: putOptions.signal,
      uploadPart,
    });
    const xml = `<CompleteMultipartUpload>${etags.map((etag, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(etag)}</ETag></Part>`).join('')}</CompleteMultipartUpload>`;
    const done = await ctx.send({
      method: 'POST',
      url: ctx.objectUrl(key, { uploadId }),
      headers: { 'content-type': 'application/xml' },
      body: xml,
      payloadHash: sha256Hex(xml),
      signal: putOptions.signal,
    });
    if (done.status !== 200) await ctx.fail(done, 'CompleteMultipartUpload', key);
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
    // Abort so the parts stop costing storage; a failure here must not hide the cause.
    await ctx
      .send({ method: 'DELETE', url: ctx.objectUrl(key, { uploadId }), payloadHash: EMPTY_SHA256 })
      .then((res) => res.body.bytes())
      .catch(() => {});
    throw err;
  }
}

function sha256OfChunks(chunks: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}
