import type { MaybePromise } from '@rws/core';

/** Options every I/O method takes. */
export interface IoOptions {
  /** Aborts the operation; a stream already returned is errored. */
  signal?: AbortSignal | undefined;
}

/**
 * A body for `put`: bytes, a string (UTF-8), or a stream. Streams are consumed chunk by chunk;
 * no driver except `memory` holds a whole object in memory.
 */
export type StorageBody =
  | string
  | Uint8Array
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>;

/** Options of `put`. */
export interface PutOptions extends IoOptions {
  /** Stored and returned as `contentType`. Default `application/octet-stream`. */
  contentType?: string | undefined;
  /** Stored and returned as `cacheControl`. */
  cacheControl?: string | undefined;
  /** User metadata: lower-case ASCII names, string values. */
  metadata?: Readonly<Record<string, string>> | undefined;
  /**
   * The body's byte length when known in advance. Lets the S3 driver stream a single PUT
   * without buffering; a body of another length fails the upload.
   */
  contentLength?: number | undefined;
}

/** A byte range; `end` is inclusive, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  /** Inclusive; default the last byte. */
  readonly end?: number | undefined;
}

/** Options of `get`. */
export interface GetOptions extends IoOptions {
  /** Read only these bytes. */
  range?: ByteRange | undefined;
}

/** What `head` and `list` know of an object. */
export interface ObjectInfo {
  readonly key: string;
  /** Size of the whole object in bytes. */
  readonly size: number;
  readonly lastModified: Date;
  /** An opaque entity tag, quoted as in HTTP (`"…"`), when the driver has one. */
  readonly etag: string | undefined;
  /** `head`/`get` only (list results leave it undefined). */
  readonly contentType?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

/** An object read by `get`: its info and a body stream. */
export interface StorageObject extends ObjectInfo {
  /** The bytes (only the requested range when one was given). Read or cancel it. */
  readonly body: ReadableStream<Uint8Array>;
  /** The inclusive byte range `body` holds, when a range was requested. */
  readonly range: { readonly start: number; readonly end: number } | undefined;
}

/** Options of `list`. */
export interface ListOptions extends IoOptions {
  /** The `cursor` of the previous page. */
  cursor?: string | undefined;
  /** Most items per page. Default 1000 (the S3 maximum). */
  limit?: number | undefined;
}

/** One page of `list`. */
export interface ListPage {
  /** Objects whose key starts with the prefix, in ascending key order (UTF-8 bytes). */
  readonly items: readonly ObjectInfo[];
  /** Pass to the next call; null on the last page. */
  readonly cursor: string | null;
}

/** Options of `signedUrl`. */
export interface SignedUrlOptions {
  /** Default `GET`. */
  method?: 'GET' | 'PUT' | undefined;
  /** Seconds the URL stays valid. Default 900; S3 allows at most 604800 (7 days). */
  expiresIn?: number | undefined;
}

/** What a driver can do beyond the required methods. */
export interface StorageCapabilities {
  /** `signedUrl` is implemented. */
  readonly signedUrl: boolean;
  /** `copy` is done by the store (no bytes through this process). */
  readonly serverSideCopy: boolean;
  /** Large `put`s are split into parts uploaded in parallel. */
  readonly multipart: boolean;
  /** `get` honours `range`. Every built-in driver does. */
  readonly ranges: boolean;
  /** `contentType`, `cacheControl` and `metadata` survive a round trip. */
  readonly metadata: boolean;
}

/**
 * One object store. Keys are `/`-separated relative paths (see `validateKey`); every I/O
 * method takes `{ signal }`. Required: `get`, `put`, `head`, `delete`, `list`, `close`.
 *
 * @example
 * ```ts
 * import { createMemoryStorage } from '@rws/storage/drivers/memory';
 * const storage = createMemoryStorage();
 * await storage.put('notes/a.txt', 'hello', { contentType: 'text/plain' });
 * const object = await storage.get('notes/a.txt');
 * if (object) console.log(await new Response(object.body).text());
 * await storage.close();
 * ```
 */
export interface Storage {
  /** The driver name: `memory`, `local`, `s3`. */
  readonly name: string;
  readonly capabilities: StorageCapabilities;
  /** Reads an object as a stream; null when it does not exist. */
  get(key: string, options?: GetOptions): MaybePromise<StorageObject | null>;
  /** Writes an object; readers see the old or the new bytes, never a mix. */
  put(key: string, body: StorageBody, options?: PutOptions): MaybePromise<ObjectInfo>;
  /** An object's info; null when it does not exist. */
  head(key: string, options?: IoOptions): MaybePromise<ObjectInfo | null>;
  /** Deletes an object; deleting a missing key is not an error. */
  delete(key: string, options?: IoOptions): MaybePromise<void>;
  /** One page of the objects whose key starts with `prefix` (`''` for all). */
  list(prefix: string, options?: ListOptions): MaybePromise<ListPage>;
  /** Deletes several objects in as few requests as the store allows. */
  deleteMany?(keys: readonly string[], options?: IoOptions): MaybePromise<void>;
  /** Copies `from` to `to`; throws `RWS_STORAGE_NOT_FOUND` when `from` is missing. */
  copy?(from: string, to: string, options?: IoOptions): MaybePromise<void>;
  /** A time-limited URL that lets its holder GET or PUT the object without credentials. */
  signedUrl?(key: string, options?: SignedUrlOptions): MaybePromise<string>;
  /** The object's public URL (meaningful only when the store serves it publicly). */
  url?(key: string): string;
  init?(): MaybePromise<void>;
  /** Releases sockets and handles; later calls throw `RWS_STORAGE_CLOSED`. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
