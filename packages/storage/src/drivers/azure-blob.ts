/**
 * `createAzureBlobStorage(options)`: Azure Blob Storage (and Azurite) block blobs over
 * @rws/http1, authorised with Shared Key signing written here.
 *
 * @see https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Headers } from '@rws/core';
import { Agent, type ClientResponse, type RequestBodyInit } from '@rws/http1';
import type { AzureTokenProvider } from '../azure-credentials.js';
import { ERROR_CODES, StorageError } from '../errors.js';
import { type BodyPart, drainPart, type PartReader } from '../internal/body-source.js';
import { assertOpen, closedFlag } from '../internal/closed-flag.js';
import { listLimit } from '../internal/list-sorted.js';
import { contentRange, infoFromHeaders, rangeHeader } from '../internal/object-headers.js';
import { uploadParts } from '../internal/part-upload.js';
import { putBody, requireWritten } from '../internal/put-body.js';
import { copySourceMissing, isNotFound, throwResponseError } from '../internal/response-error.js';
import { xmlBlocks, xmlValue } from '../internal/xml.js';
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

/** Options of `createAzureBlobStorage`. */
export interface AzureBlobStorageOptions {
  /** The storage account name. */
  accountName: string;
  /**
   * The account key (base64), as the portal shows it: Shared Key signing and SAS URLs. Give
   * either this or `credential`.
   */
  accountKey?: string | undefined;
  /**
   * A Microsoft Entra token provider, e.g. `fromAzureManagedIdentity()`: requests carry
   * `Authorization: Bearer`. No SAS URLs then (`capabilities.signedUrl` is false).
   */
  credential?: AzureTokenProvider | undefined;
  container: string;
  /**
   * `http(s)://host[:port]` of the Blob service; default `https://<account>.blob.core.windows.net`.
   * An endpoint with a path (Azurite: `http://127.0.0.1:10000/devstoreaccount1`) is kept as the
   * base path.
   */
  endpoint?: string | undefined;
  /** Bytes per staged block. Bodies larger than one block are staged and committed. Default 8 MiB. */
  blockSize?: number | undefined;
  /** Blocks uploaded at once; the driver holds at most `blockSize * queueSize` bytes of body. Default 4. */
  queueSize?: number | undefined;
  agent?: Agent | undefined;
}

const MIB = 1024 * 1024;
const API_VERSION = '2021-08-06';
const META_PREFIX = 'x-ms-meta-';
/** Azure's limit on blocks per blob. */
const MAX_BLOCKS = 50_000;

/**
 * A `Storage` over an Azure Blob container: streaming block-blob uploads (staged blocks in
 * parallel for large bodies), ranges, server-side copy and SAS URLs.
 *
 * @example
 * ```ts
 * import { createAzureBlobStorage } from '@rws/storage/drivers/azure-blob';
 * const storage = createAzureBlobStorage({ accountName: 'acct', accountKey: 'base64key', container: 'files' });
 * ```
 */
export function createAzureBlobStorage(options: AzureBlobStorageOptions): Storage {
  for (const name of ['accountName', 'container'] as const) {
    if (typeof options?.[name] !== 'string' || options[name] === '') {
      throw new StorageError(ERROR_CODES.INVALID_OPTIONS, `Azure Blob storage needs ${name}`);
    }
  }
  const { credential } = options;
  const hasKey = typeof options.accountKey === 'string' && options.accountKey !== '';
  if (hasKey === (credential !== undefined)) {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      'Azure Blob storage needs exactly one of accountKey and credential (e.g. fromAzureManagedIdentity())',
    );
  }
  // A KeyObject made once: createHmac with raw bytes builds and drops two TypeErrors per call.
  const key = hasKey ? createSecretKey(options.accountKey as string, 'base64') : null;
  const base = new URL(options.endpoint ?? `https://${options.accountName}.blob.core.windows.net`);
  const basePath = base.pathname.replace(/\/+$/, '');
  const blockSize = options.blockSize ?? 8 * MIB;
  const queueSize = options.queueSize ?? 4;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 4000 * MIB) {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      `Azure blockSize must be 1 byte to 4000 MiB, got ${blockSize}`,
    );
  }
  if (!Number.isInteger(queueSize) || queueSize < 1) {
    throw new StorageError(
      ERROR_CODES.INVALID_OPTIONS,
      `Azure queueSize must be a positive integer, got ${queueSize}`,
    );
  }
  const ownsAgent = options.agent === undefined;
  const agent = options.agent ?? new Agent();
  const state = closedFlag();
  const containerPath = `${basePath}/${encodeURIComponent(options.container)}`;

  function blobPath(k: string): string {
    return `${containerPath}/${k.split('/').map(encodeURIComponent).join('/')}`;
  }

  interface SendInput {
    readonly method: string;
    readonly path: string;
    readonly query?: Record<string, string> | undefined;
    readonly headers?: Record<string, string> | undefined;
    readonly body?: RequestBodyInit | undefined;
    /** Needed for the signature; -1 when there is no body. */
    readonly contentLength?: number | undefined;
    readonly signal?: AbortSignal | undefined;
  }

  async function send(input: SendInput): Promise<ClientResponse> {
    assertOpen(state, 'azure-blob');
    const headers: Record<string, string> = {
      'x-ms-date': new Date().toUTCString(),
      'x-ms-version': API_VERSION,
    };
    for (const [n, v] of Object.entries(input.headers ?? {})) headers[n.toLowerCase()] = v;
    if (input.contentLength !== undefined && input.contentLength > 0) {
      headers['content-length'] = String(input.contentLength);
    }
    const query = input.query ?? {};
    headers['authorization'] =
      key === null
        ? `Bearer ${(await (credential as AzureTokenProvider)({ agent, signal: input.signal })).token}`
        : `SharedKey ${options.accountName}:${sharedKeySignature(key, input.method, input.path, query, headers)}`;
    assertOpen(state, 'azure-blob');
    const search = Object.entries(query)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    try {
      return await agent.request({
        origin: base.origin,
        path: input.path + (search === '' ? '' : `?${search}`),
        method: input.method,
        headers,
        body: input.body,
        signal: input.signal,
      });
    } catch (cause) {
      if (input.signal?.aborted) throw cause;
      throw new StorageError(
        ERROR_CODES.REQUEST_FAILED,
        `Azure ${input.method} ${input.path} failed: ${(cause as Error).message}`,
        { cause, status: 502 },
      );
    }
  }

  /** @see https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key#blob-queue-and-file-services-shared-key-authorization */
  function sharedKeySignature(
    accountKey: KeyObject,
    method: string,
    path: string,
    query: Record<string, string>,
    headers: Record<string, string>,
  ): string {
    const h = (n: string): string => headers[n] ?? '';
    const msHeaders = Object.keys(headers)
      .filter((n) => n.startsWith('x-ms-'))
      .sort()
      .map((n) => `${n}:${(headers[n] as string).trim()}\n`)
      .join('');
    let resource = `/${options.accountName}${path}`;
    for (const name of Object.keys(query)
      .map((q) => q.toLowerCase())
      .sort()) {
      resource += `\n${name}:${query[name]}`;
    }
    const stringToSign = [
      method,
      h('content-encoding'),
      h('content-language'),
      h('content-length') === '0' ? '' : h('content-length'),
      h('content-md5'),
      h('content-type'),
      '',
      h('if-modified-since'),
      h('if-match'),
      h('if-none-match'),
      h('if-unmodified-since'),
      h('range'),
      `${msHeaders}${resource}`,
    ].join('\n');
    return createHmac('sha256', accountKey).update(stringToSign, 'utf8').digest('base64');
  }

  function fail(res: ClientResponse, operation: string, k: string): Promise<never> {
    return throwResponseError('Azure', res, operation, k, res.headers.get('x-ms-error-code'));
  }

  function blobInfo(k: string, headers: Headers, size: number): ObjectInfo {
    const info = infoFromHeaders(k, headers, size, META_PREFIX);
    return { ...info, etag: quoteEtag(info.etag) };
  }

  function blobHeaders(putOptions: PutOptions, prefix: 'x-ms-blob-' | ''): Record<string, string> {
    const headers: Record<string, string> = {
      [prefix === '' ? 'content-type' : 'x-ms-blob-content-type']:
        putOptions.contentType ?? 'application/octet-stream',
    };
    if (putOptions.cacheControl !== undefined)
      headers['x-ms-blob-cache-control'] = putOptions.cacheControl;
    for (const [name, value] of Object.entries(putOptions.metadata ?? {})) {
      headers[`${META_PREFIX}${name.toLowerCase()}`] = value;
    }
    return headers;
  }

  async function putBlob(
    k: string,
    body: RequestBodyInit,
    length: number,
    putOptions: PutOptions,
  ): Promise<void> {
    const res = await send({
      method: 'PUT',
      path: blobPath(k),
      headers: { ...blobHeaders(putOptions, ''), 'x-ms-blob-type': 'BlockBlob' },
      body,
      contentLength: length,
      signal: putOptions.signal,
    });
    if (res.status !== 201) await fail(res, 'Put Blob', k);
    await res.body.bytes();
  }

  async function putBlocks(
    k: string,
    first: BodyPart,
    reader: PartReader,
    putOptions: PutOptions,
  ): Promise<void> {
    // Block ids of one blob must all have the same length. Uncommitted blocks of a failed
    // upload are discarded by the service after a week: there is nothing to abort.
    const blockId = (index: number): string =>
      Buffer.from(`block-${String(index).padStart(6, '0')}`).toString('base64');
    const count = await uploadParts({
      first,
      reader,
      partSize: blockSize,
      queueSize,
      maxParts: MAX_BLOCKS,
      label: `put ${JSON.stringify(k)}`,
      signal: putOptions.signal,
      uploadPart: async (index, part, signal) => {
        const res = await send({
          method: 'PUT',
          path: blobPath(k),
          query: { comp: 'block', blockid: blockId(index) },
          body: drainPart(part),
          contentLength: part.byteLength,
          signal,
        });
        if (res.status !== 201) await fail(res, 'Put Block', k);
        await res.body.bytes();
      },
    });
    const ids = Array.from({ length: count }, (_, i) => `<Latest>${blockId(i)}</Latest>`);
    const bytes = Buffer.from(
      `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids.join('')}</BlockList>`,
    );
    const res = await send({
      method: 'PUT',
      path: blobPath(k),
      query: { comp: 'blocklist' },
      headers: { ...blobHeaders(putOptions, 'x-ms-blob-'), 'content-type': 'application/xml' },
      body: bytes,
      contentLength: bytes.byteLength,
      signal: putOptions.signal,
    });
    if (res.status !== 201) await fail(res, 'Put Block List', k);
    await res.body.bytes();
  }

  const storage: Storage = {
    name: 'azure-blob',
    capabilities: {
      signedUrl: key !== null,
      serverSideCopy: true,
      multipart: true,
      ranges: true,
      metadata: true,
    },

    async put(k: string, body: StorageBody, putOptions: PutOptions = {}): Promise<ObjectInfo> {
      assertOpen(state, 'azure-blob');
      validateKey(k);
      await putBody(body, putOptions, {
        partSize: blockSize,
        putStream: (source, length) => putBlob(k, source, length, putOptions),
        putBytes: (bytes) => putBlob(k, bytes, bytes.byteLength, putOptions),
        putParts: (first, reader) => putBlocks(k, first, reader, putOptions),
      });
      return requireWritten(
        await storage.head(k, putOptions),
        `Azure Put Blob ${JSON.stringify(k)}`,
      );
    },

    async get(k: string, getOptions: GetOptions = {}): Promise<StorageObject | null> {
      assertOpen(state, 'azure-blob');
      validateKey(k);
      const headers: Record<string, string> = {};
      if (getOptions.range !== undefined) headers['x-ms-range'] = rangeHeader(getOptions.range);
      const res = await send({
        method: 'GET',
        path: blobPath(k),
        headers,
        signal: getOptions.signal,
      });
      if (await isNotFound(res)) return null;
      if (res.status !== 200 && res.status !== 206) await fail(res, 'Get Blob', k);
      const reported = contentRange(res.headers);
      const size = reported?.size ?? Number(res.headers.get('content-length') ?? 0);
      let range: { start: number; end: number } | undefined;
      if (getOptions.range !== undefined) {
        if (getOptions.range.start >= size) {
          // Azurite answers a range past the end with the whole blob; Azure says 416.
          res.body.cancel();
          throw new StorageError(
            ERROR_CODES.INVALID_RANGE,
            `Azure Get Blob ${JSON.stringify(k)}: range starts past the end (${size} bytes)`,
            { status: 416 },
          );
        }
        range =
          reported === null
            ? { start: 0, end: size - 1 }
            : { start: reported.start, end: reported.end };
      }
      return { ...blobInfo(k, res.headers, size), range, body: res.body.stream() };
    },

    async head(k: string, ioOptions: IoOptions = {}): Promise<ObjectInfo | null> {
      assertOpen(state, 'azure-blob');
      validateKey(k);
      const res = await send({ method: 'HEAD', path: blobPath(k), signal: ioOptions.signal });
      await res.body.bytes().catch(() => {});
      if (res.status === 404) return null;
      if (res.status !== 200) await fail(res, 'Get Blob Properties', k);
      return blobInfo(k, res.headers, Number(res.headers.get('content-length') ?? 0));
    },

    async delete(k: string, ioOptions: IoOptions = {}): Promise<void> {
      assertOpen(state, 'azure-blob');
      validateKey(k);
      const res = await send({ method: 'DELETE', path: blobPath(k), signal: ioOptions.signal });
      if (res.status !== 202 && res.status !== 404) await fail(res, 'Delete Blob', k);
      await res.body.bytes();
    },

    async deleteMany(keys: readonly string[], ioOptions: IoOptions = {}): Promise<void> {
      for (const k of keys) validateKey(k);
      for (const k of keys) await storage.delete(k, ioOptions);
    },

    async copy(from: string, to: string, ioOptions: IoOptions = {}): Promise<void> {
      assertOpen(state, 'azure-blob');
      validateKey(from);
      validateKey(to);
      const res = await send({
        method: 'PUT',
        path: blobPath(to),
        headers: { 'x-ms-copy-source': `${base.origin}${blobPath(from)}` },
        signal: ioOptions.signal,
      });
      if (await isNotFound(res)) throw copySourceMissing(from);
      if (res.status !== 202 && res.status !== 201) await fail(res, 'Copy Blob', to);
      await res.body.bytes();
      if (res.headers.get('x-ms-copy-status') !== 'success') {
        throw new StorageError(
          ERROR_CODES.REQUEST_FAILED,
          `Azure Copy Blob ${JSON.stringify(to)}: copy status ${res.headers.get('x-ms-copy-status')}`,
          { status: 502 },
        );
      }
    },

    async list(prefix: string, listOptions: ListOptions = {}): Promise<ListPage> {
      assertOpen(state, 'azure-blob');
      validatePrefix(prefix);
      const query: Record<string, string> = {
        comp: 'list',
        maxresults: String(listLimit(listOptions.limit)),
        restype: 'container',
      };
      if (prefix !== '') query['prefix'] = prefix;
      if (listOptions.cursor !== undefined) query['marker'] = listOptions.cursor;
      const res = await send({
        method: 'GET',
        path: containerPath,
        query,
        signal: listOptions.signal,
      });
      if (res.status !== 200) await fail(res, 'List Blobs', prefix);
      const text = await res.body.text();
      const items = xmlBlocks(text, 'Blob').map(
        (block): ObjectInfo => ({
          key: xmlValue(block, 'Name') ?? '',
          size: Number(xmlValue(block, 'Content-Length') ?? 0),
          lastModified: new Date(xmlValue(block, 'Last-Modified') ?? 0),
          etag: quoteEtag(xmlValue(block, 'Etag')),
        }),
      );
      const next = xmlValue(text, 'NextMarker');
      return { items, cursor: next === undefined || next === '' ? null : next };
    },

    signedUrl(k: string, urlOptions: SignedUrlOptions = {}): string {
      assertOpen(state, 'azure-blob');
      validateKey(k);
      if (key === null) {
        throw new StorageError(
          ERROR_CODES.INVALID_OPTIONS,
          'Azure SAS URLs need accountKey; with a token credential they are not available (user delegation SAS is not supported yet)',
        );
      }
      const expiresIn = urlOptions.expiresIn ?? 900;
      if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604_800) {
        throw new StorageError(
          ERROR_CODES.INVALID_OPTIONS,
          `signedUrl expiresIn must be 1-604800 seconds, got ${expiresIn}`,
        );
      }
      const permissions = urlOptions.method === 'PUT' ? 'cw' : 'r';
      const expiry = new Date(Date.now() + expiresIn * 1000)
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z');
      const path = blobPath(k);
      // Service SAS, version 2020-12-06 and later: 16 fields, resource without the base path.
      // @see https://learn.microsoft.com/rest/api/storageservices/create-service-sas
      const resource = `/blob/${options.accountName}/${options.container}/${k}`;
      const stringToSign = [
        permissions,
        '',
        expiry,
        resource,
        '',
        '',
        '',
        API_VERSION,
        'b',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
      ].join('\n');
      const sig = createHmac('sha256', key).update(stringToSign, 'utf8').digest('base64');
      const query = new URLSearchParams({
        sv: API_VERSION,
        sp: permissions,
        se: expiry,
        sr: 'b',
        sig,
      });
      return `${base.origin}${path}?${query.toString().replace(/\+/g, '%20')}`;
    },

    url(k: string): string {
      validateKey(k);
      return `${base.origin}${blobPath(k)}`;
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

function quoteEtag(etag: string | undefined): string | undefined {
  if (etag === undefined) return undefined;
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

export type {
  AzureAccessToken,
  AzureManagedIdentityOptions,
  AzureTokenProvider,
} from '../azure-credentials.js';
export { fromAzureManagedIdentity } from '../azure-credentials.js';
