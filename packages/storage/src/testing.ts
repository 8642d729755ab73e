/**
 * `runStorageConformance`: the behaviour every `Storage` driver must have, as vitest tests.
 * Each driver's test file calls it; a driver that cannot do something lists the tests in
 * `skip` with a reason.
 */
import { createHash, randomUUID } from 'node:crypto';
import { isRwsError, type MaybePromise } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Storage } from './types.js';

/** Tests a driver does not run, and why. */
export interface ConformanceSkip {
  readonly reason: string;
  /** Test names, as printed. */
  readonly tests: readonly string[];
}

/** Options of `runStorageConformance`. */
export interface StorageConformanceOptions {
  /** A fresh storage for each test; it is closed when the test ends. */
  create: () => MaybePromise<Storage>;
  skip?: readonly ConformanceSkip[] | undefined;
  /** Size of the large streamed object. Default 3 MiB (past one S3 part with `partSize` 5 MiB use 11 MiB). */
  largeObjectBytes?: number | undefined;
}

/** The keys every driver must refuse with `RWS_STORAGE_KEY_INVALID`. */
export const INVALID_KEYS: readonly string[] = [
  '',
  '/etc/passwd',
  '../outside',
  'a/../../b',
  '..',
  'a/./b',
  'a//b',
  'a/',
  'a\\..\\b',
  'nul\u0000byte',
  'new\nline',
  'del\u007f',
  'x'.repeat(1025),
];

/**
 * Registers the conformance tests in the current vitest file.
 *
 * @example
 * ```ts
 * import { createMemoryStorage } from '@rws/storage/drivers/memory';
 * import { runStorageConformance } from '@rws/storage/testing';
 * runStorageConformance({ create: () => createMemoryStorage() });
 * ```
 */
export function runStorageConformance(options: StorageConformanceOptions): void {
  const skipped = new Set(options.skip?.flatMap((s) => s.tests) ?? []);
  const large = options.largeObjectBytes ?? 3 * 1024 * 1024;

  /** A storage plus a key prefix unique to the test, so drivers over a shared bucket can run. */
  async function setup(): Promise<{ storage: Storage; p: string }> {
    const storage = await options.create();
    onTestFinished(() => storage.close());
    await storage.init?.();
    return { storage, p: `conformance-${randomUUID().slice(0, 8)}/` };
  }

  function test(name: string, fn: () => Promise<void>): void {
    (skipped.has(name) ? it.skip : it)(name, fn, 60_000);
  }

  describe('storage conformance', () => {
    test('put then get returns the bytes, content type, cache control and metadata', async () => {
      const { storage, p } = await setup();
      const info = await storage.put(`${p}a.txt`, 'hello world', {
        contentType: 'text/plain; charset=utf-8',
        cacheControl: 'max-age=60',
        metadata: { owner: 'ada', purpose: 'test' },
      });
      expect(info.key).toBe(`${p}a.txt`);
      expect(info.size).toBe(11);
      const object = await storage.get(`${p}a.txt`);
      expect(object).not.toBeNull();
      expect(await text(object?.body)).toBe('hello world');
      expect(object?.size).toBe(11);
      expect(object?.range).toBeUndefined();
      if (storage.capabilities.metadata) {
        expect(object?.contentType).toBe('text/plain; charset=utf-8');
        expect(object?.cacheControl).toBe('max-age=60');
        expect(object?.metadata).toEqual({ owner: 'ada', purpose: 'test' });
      }
    });

    test('a missing object: get and head return null, delete succeeds', async () => {
      const { storage, p } = await setup();
      expect(await storage.get(`${p}missing`)).toBeNull();
      expect(await storage.head(`${p}missing`)).toBeNull();
      await storage.delete(`${p}missing`);
    });

    test('head reports size, last modified and an etag that changes with the content', async () => {
      const { storage, p } = await setup();
      const before = Date.now();
      await storage.put(`${p}h.bin`, new Uint8Array([1, 2, 3]), {
        contentType: 'application/x-test',
      });
      const head = await storage.head(`${p}h.bin`);
      expect(head?.size).toBe(3);
      expect(head?.contentType).toBe(
        storage.capabilities.metadata ? 'application/x-test' : head?.contentType,
      );
      expect(head?.lastModified.getTime()).toBeGreaterThan(before - 5 * 60_000);
      expect(head?.etag).toMatch(/^(W\/)?".+"$/);
      await storage.put(`${p}h.bin`, new Uint8Array([1, 2, 3, 4]));
      const after = await storage.head(`${p}h.bin`);
      expect(after?.size).toBe(4);
      expect(after?.etag).not.toBe(head?.etag);
    });

    test('overwrite replaces the object and its metadata', async () => {
      const { storage, p } = await setup();
      await storage.put(`${p}o`, 'first', { metadata: { v: '1' } });
      await storage.put(`${p}o`, 'second');
      const object = await storage.get(`${p}o`);
      expect(await text(object?.body)).toBe('second');
      if (storage.capabilities.metadata) expect(object?.metadata).toEqual({});
    });

    test('an empty object round-trips', async () => {
      const { storage, p } = await setup();
      await storage.put(`${p}empty`, new Uint8Array(0));
      const object = await storage.get(`${p}empty`);
      expect(object?.size).toBe(0);
      expect((await bytes(object?.body)).byteLength).toBe(0);
    });

    test('a large body streams in from a ReadableStream and out again intact', async () => {
      const { storage, p } = await setup();
      const { stream, digest } = patternStream(large, 64 * 1024);
      await storage.put(`${p}large.bin`, stream, { contentType: 'application/octet-stream' });
      expect((await storage.head(`${p}large.bin`))?.size).toBe(large);
      const object = await storage.get(`${p}large.bin`);
      expect(await sha256OfStream(object?.body)).toBe(digest);
    });

    test('an AsyncIterable body with a known contentLength', async () => {
      const { storage, p } = await setup();
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 10; i++) yield new TextEncoder().encode(`chunk-${i};`);
      }
      const expected = Array.from({ length: 10 }, (_, i) => `chunk-${i};`).join('');
      await storage.put(`${p}iter`, chunks(), { contentLength: expected.length });
      expect(await text((await storage.get(`${p}iter`))?.body)).toBe(expected);
    });

    test('get with a range returns those bytes and the range', async () => {
      const { storage, p } = await setup();
      await storage.put(`${p}r`, '0123456789');
      const mid = await storage.get(`${p}r`, { range: { start: 2, end: 5 } });
      expect(await text(mid?.body)).toBe('2345');
      expect(mid?.range).toEqual({ start: 2, end: 5 });
      expect(mid?.size).toBe(10);
      const tail = await storage.get(`${p}r`, { range: { start: 7 } });
      expect(await text(tail?.body)).toBe('789');
      const clamped = await storage.get(`${p}r`, { range: { start: 8, end: 100 } });
      expect(await text(clamped?.body)).toBe('89');
      expect(clamped?.range).toEqual({ start: 8, end: 9 });
    });

    test('an unsatisfiable range throws RWS_STORAGE_INVALID_RANGE', async () => {
      const { storage, p } = await setup();
      await storage.put(`${p}r`, '0123456789');
      await expectCode(
        call(() => storage.get(`${p}r`, { range: { start: 10 } })),
        'RWS_STORAGE_INVALID_RANGE',
      );
      await expectCode(
        call(() => storage.get(`${p}r`, { range: { start: 5, end: 2 } })),
        'RWS_STORAGE_INVALID_RANGE',
      );
      await expectCode(
        call(() => storage.get(`${p}r`, { range: { start: -1 } })),
        'RWS_STORAGE_INVALID_RANGE',
      );
    });

    test('invalid keys are refused with RWS_STORAGE_KEY_INVALID by every method', async () => {
      const { storage } = await setup();
      for (const key of INVALID_KEYS) {
        await expectCode(
          call(() => storage.put(key, 'x')),
          'RWS_STORAGE_KEY_INVALID',
          key,
        );
        await expectCode(
          call(() => storage.get(key)),
          'RWS_STORAGE_KEY_INVALID',
          key,
        );
        await expectCode(
          call(() => storage.head(key)),
          'RWS_STORAGE_KEY_INVALID',
          key,
        );
        await expectCode(
          call(() => storage.delete(key)),
          'RWS_STORAGE_KEY_INVALID',
          key,
        );
      }
      await expectCode(
        call(() => storage.list('../')),
        'RWS_STORAGE_KEY_INVALID',
      );
    });

    test('keys with spaces, unicode and URL metacharacters round-trip', async () => {
      const { storage, p } = await setup();
      const keys = [`${p}dir/ünï cödé.txt`, `${p}a+b=c;d?e#f.txt`, `${p}100%.txt`, `${p}emoji-😀`];
      for (const key of keys) await storage.put(key, key);
      for (const key of keys) expect(await text((await storage.get(key))?.body)).toBe(key);
      const listed = (await storage.list(p)).items.map((i) => i.key);
      expect(listed.sort()).toEqual([...keys].sort());
    });

    test('keys with XML metacharacters list correctly', async () => {
      const { storage, p } = await setup();
      const keys = [`${p}a&b.txt`, `${p}<tag>.txt`, `${p}it's "quoted".txt`];
      for (const key of keys) await storage.put(key, key);
      for (const key of keys) expect(await text((await storage.get(key))?.body)).toBe(key);
      const listed = (await storage.list(p)).items.map((i) => i.key);
      expect(listed.sort()).toEqual([...keys].sort());
    });

    test('list filters by prefix in key order', async () => {
      const { storage, p } = await setup();
      const keys = ['a/1', 'a/2', 'a/sub/4', 'ab', 'b/5'].map((k) => `${p}${k}`);
      for (const key of keys) await storage.put(key, 'x');
      const under = (await storage.list(`${p}a/`)).items.map((i) => i.key);
      expect(under).toEqual([`${p}a/1`, `${p}a/2`, `${p}a/sub/4`]);
      expect((await storage.list(p)).items.map((i) => i.key)).toEqual(keys);
      const first = (await storage.list(`${p}b/`)).items[0];
      expect(first?.size).toBe(1);
      expect(first?.lastModified).toBeInstanceOf(Date);
      expect((await storage.list(`${p}none/`)).items).toEqual([]);
      expect((await storage.list(`${p}none/`)).cursor).toBeNull();
    });

    test('list pages with a cursor', async () => {
      const { storage, p } = await setup();
      const keys = ['a/1', 'a/2', 'a/3', 'a/sub/4', 'ab', 'b/5'].map((k) => `${p}${k}`);
      for (const key of keys) await storage.put(key, 'x');
      const all: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await storage.list(p, {
          limit: 2,
          ...(cursor === undefined ? {} : { cursor }),
        });
        expect(page.items.length).toBeLessThanOrEqual(2);
        all.push(...page.items.map((i) => i.key));
        cursor = page.cursor ?? undefined;
        pages += 1;
      } while (cursor !== undefined && pages < 10);
      expect(all).toEqual(keys);
      expect(pages).toBe(3);
    });

    test('delete removes the object', async () => {
      const { storage, p } = await setup();
      await storage.put(`${p}d`, 'x');
      await storage.delete(`${p}d`);
      expect(await storage.head(`${p}d`)).toBeNull();
      expect((await storage.list(p)).items).toEqual([]);
    });

    test('deleteMany removes every listed object', async () => {
      const { storage, p } = await setup();
      if (storage.deleteMany === undefined) return;
      for (const k of ['x', 'y', 'z']) await storage.put(`${p}${k}`, k);
      await storage.deleteMany([`${p}x`, `${p}z`, `${p}never`]);
      expect((await storage.list(p)).items.map((i) => i.key)).toEqual([`${p}y`]);
    });

    test('copy duplicates bytes and metadata; a missing source is RWS_STORAGE_NOT_FOUND', async () => {
      const { storage, p } = await setup();
      if (storage.copy === undefined) return;
      await storage.put(`${p}src`, 'copied', { contentType: 'text/x-copy', metadata: { k: 'v' } });
      await storage.copy(`${p}src`, `${p}dst/copy`);
      const object = await storage.get(`${p}dst/copy`);
      expect(await text(object?.body)).toBe('copied');
      if (storage.capabilities.metadata) {
        expect(object?.contentType).toBe('text/x-copy');
        expect(object?.metadata).toEqual({ k: 'v' });
      }
      expect(await storage.head(`${p}src`)).not.toBeNull();
      await expectCode(
        call(() => storage.copy?.(`${p}nope`, `${p}x`)),
        'RWS_STORAGE_NOT_FOUND',
      );
    });

    test('an aborted signal stops put and get', async () => {
      const { storage, p } = await setup();
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(
        call(() => storage.put(`${p}ab`, 'x', { signal: controller.signal })),
      ).rejects.toThrow();
      expect(await storage.head(`${p}ab`)).toBeNull();
      await storage.put(`${p}ab2`, 'x');
      await expect(
        call(() => storage.get(`${p}ab2`, { signal: controller.signal })),
      ).rejects.toThrow();
    });

    test('a put whose body stream fails leaves no object behind', async () => {
      const { storage, p } = await setup();
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield new Uint8Array(1024);
        throw new Error('source failed');
      }
      await expect(call(() => storage.put(`${p}fail`, failing()))).rejects.toThrow('source failed');
      expect(await storage.head(`${p}fail`)).toBeNull();
    });

    test('signed GET and PUT URLs work without credentials and refuse tampering', async () => {
      const { storage, p } = await setup();
      if (!storage.capabilities.signedUrl || storage.signedUrl === undefined) return;
      await storage.put(`${p}signed.txt`, 'signed body', { contentType: 'text/plain' });
      const getUrl = await storage.signedUrl(`${p}signed.txt`, { expiresIn: 60 });
      const res = await fetch(getUrl);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('signed body');
      // The same signature presented for another object (any signing scheme covers the path).
      await storage.put(`${p}other.txt`, 'other');
      const tampered = getUrl.replace('signed.txt', 'other.txt');
      expect(tampered).not.toBe(getUrl);
      expect((await fetch(tampered)).status).toBe(403);
      const putUrl = await storage.signedUrl(`${p}up.txt`, { method: 'PUT', expiresIn: 60 });
      // Azure Blob requires x-ms-blob-type on a PUT; other stores ignore the unsigned header.
      const put = await fetch(putUrl, {
        method: 'PUT',
        body: 'uploaded',
        headers: { 'x-ms-blob-type': 'BlockBlob' },
      });
      expect([200, 201]).toContain(put.status);
      expect(await text((await storage.get(`${p}up.txt`))?.body)).toBe('uploaded');
    });

    test('after close every method throws RWS_STORAGE_CLOSED', async () => {
      const storage = await options.create();
      await storage.close();
      await expectCode(
        call(() => storage.get('a')),
        'RWS_STORAGE_CLOSED',
      );
      await expectCode(
        call(() => storage.put('a', 'x')),
        'RWS_STORAGE_CLOSED',
      );
      await expectCode(
        call(() => storage.list('')),
        'RWS_STORAGE_CLOSED',
      );
    });
  });
}

/** Runs `fn` and turns a synchronous throw into a rejection. */
async function call<T>(fn: () => MaybePromise<T>): Promise<T> {
  return await fn();
}

async function expectCode(promise: Promise<unknown>, code: string, what?: string): Promise<void> {
  let error: unknown = null;
  try {
    await promise;
  } catch (err) {
    error = err;
  }
  expect(
    isRwsError(error, code),
    `${what === undefined ? '' : `${JSON.stringify(what)}: `}expected ${code}, got ${String(error)}`,
  ).toBe(true);
}

async function bytes(body: ReadableStream<Uint8Array> | undefined): Promise<Uint8Array> {
  if (body === undefined) throw new Error('no body');
  return new Uint8Array(await new Response(body).arrayBuffer());
}

async function text(body: ReadableStream<Uint8Array> | undefined): Promise<string> {
  return new TextDecoder().decode(await bytes(body));
}

async function sha256OfStream(body: ReadableStream<Uint8Array> | undefined): Promise<string> {
  if (body === undefined) throw new Error('no body');
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

/** A stream of `size` patterned bytes in `chunkSize` chunks, and their SHA-256. */
function patternStream(
  size: number,
  chunkSize: number,
): { stream: ReadableStream<Uint8Array>; digest: string } {
  const hash = createHash('sha256');
  const chunkOf = (offset: number, length: number): Uint8Array => {
    const chunk = new Uint8Array(length);
    for (let i = 0; i < length; i++) chunk[i] = ((offset + i) * 31) & 0xff;
    return chunk;
  };
  for (let offset = 0; offset < size; offset += chunkSize)
    hash.update(chunkOf(offset, Math.min(chunkSize, size - offset)));
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= size) {
        controller.close();
        return;
      }
      const length = Math.min(chunkSize, size - offset);
      controller.enqueue(chunkOf(offset, length));
      offset += length;
    },
  });
  return { stream, digest: hash.digest('hex') };
}
