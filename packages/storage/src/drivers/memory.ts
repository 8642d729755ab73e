/**
 * `createMemoryStorage()`: objects in a Map, for tests and development.
 */
import { createHash } from 'node:crypto';
import { ERROR_CODES, StorageError } from '../errors.js';
import { bodyChunks, concat } from '../internal/body-source.js';
import { assertOpen, closedFlag } from '../internal/closed-flag.js';
import { listFromSortedKeys } from '../internal/list-sorted.js';
import { resolveRange } from '../internal/resolve-range.js';
import type {
  GetOptions,
  IoOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  PutOptions,
  Storage,
  StorageBody,
  StorageObject,
} from '../types.js';
import { validateKey, validatePrefix } from '../validate-key.js';

interface Entry {
  readonly bytes: Uint8Array;
  readonly info: ObjectInfo;
}

/**
 * A `Storage` that keeps objects in memory (each object buffered whole: that is its nature).
 * No signed URLs; `copy` is a map copy.
 *
 * @example
 * ```ts
 * import { createMemoryStorage } from '@rws/storage/drivers/memory';
 * await using storage = createMemoryStorage();
 * await storage.put('a.txt', 'hi');
 * ```
 */
export function createMemoryStorage(): Storage {
  const objects = new Map<string, Entry>();
  const state = closedFlag();
  const storage: Storage = {
    name: 'memory',
    capabilities: {
      signedUrl: false,
      serverSideCopy: true,
      multipart: false,
      ranges: true,
      metadata: true,
    },
    async put(key: string, body: StorageBody, options: PutOptions = {}): Promise<ObjectInfo> {
      assertOpen(state, 'memory');
      validateKey(key);
      const chunks: Uint8Array[] = [];
      let length = 0;
      for await (const chunk of bodyChunks(body, options.signal)) {
        chunks.push(chunk.slice());
        length += chunk.byteLength;
      }
      const bytes = concat(chunks, length);
      const info: ObjectInfo = {
        key,
        size: length,
        lastModified: new Date(),
        etag: `"${createHash('md5').update(bytes).digest('hex')}"`,
        contentType: options.contentType ?? 'application/octet-stream',
        cacheControl: options.cacheControl,
        metadata: { ...options.metadata },
      };
      objects.set(key, { bytes, info });
      return info;
    },
    get(key: string, options: GetOptions = {}): StorageObject | null {
      assertOpen(state, 'memory');
      validateKey(key);
      options.signal?.throwIfAborted();
      const entry = objects.get(key);
      if (entry === undefined) return null;
      const range =
        options.range === undefined ? undefined : resolveRange(options.range, entry.info.size);
      const bytes =
        range === undefined ? entry.bytes : entry.bytes.subarray(range.start, range.end + 1);
      return {
        ...entry.info,
        range,
        body: new ReadableStream({
          type: 'bytes',
          start(controller) {
            if (bytes.byteLength > 0) controller.enqueue(bytes.slice());
            controller.close();
          },
        }),
      };
    },
    head(key: string, options: IoOptions = {}): ObjectInfo | null {
      assertOpen(state, 'memory');
      validateKey(key);
      options.signal?.throwIfAborted();
      return objects.get(key)?.info ?? null;
    },
    delete(key: string, options: IoOptions = {}): void {
      assertOpen(state, 'memory');
      validateKey(key);
      options.signal?.throwIfAborted();
      objects.delete(key);
    },
    deleteMany(keys: readonly string[], options: IoOptions = {}): void {
      assertOpen(state, 'memory');
      for (const key of keys) validateKey(key);
      options.signal?.throwIfAborted();
      for (const key of keys) objects.delete(key);
    },
    copy(from: string, to: string, options: IoOptions = {}): void {
      assertOpen(state, 'memory');
      validateKey(from);
      validateKey(to);
      options.signal?.throwIfAborted();
      const entry = objects.get(from);
      if (entry === undefined) {
        throw new StorageError(ERROR_CODES.NOT_FOUND, `copy: no object ${JSON.stringify(from)}`, {
          status: 404,
        });
      }
      objects.set(to, {
        bytes: entry.bytes,
        info: { ...entry.info, key: to, lastModified: new Date() },
      });
    },
    list(prefix: string, options: ListOptions = {}): ListPage {
      assertOpen(state, 'memory');
      validatePrefix(prefix);
      options.signal?.throwIfAborted();
      const keys = [...objects.keys()].filter((k) => k.startsWith(prefix));
      return listFromSortedKeys(keys, options, (key) => {
        const { info } = objects.get(key) as Entry;
        return { key, size: info.size, lastModified: info.lastModified, etag: info.etag };
      });
    },
    async close(): Promise<void> {
      state.isClosed = true;
      objects.clear();
    },
    [Symbol.asyncDispose](): Promise<void> {
      return storage.close();
    },
  };
  return storage;
}
