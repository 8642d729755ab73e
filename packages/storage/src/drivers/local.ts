/**
 * `createLocalStorage({ root })`: objects as plain files under a directory.
 *
 * Layout: the object `a/b.txt` is the file `<root>/a/b.txt`, so other tools can read the tree.
 * Content type, cache control and metadata live in a JSON sidecar,
 * `<root>/.rws-storage/meta/a/b.txt.json`; writes go to `<root>/.rws-storage/tmp/` first and are
 * renamed into place (rename is atomic within one file system), so readers see the old or the
 * new object, never a partial one. Keys whose first segment is `.rws-storage` are refused.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import {
  copyFile,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ERROR_CODES, StorageError } from '../errors.js';
import { bodyChunks } from '../internal/body-source.js';
import { assertOpen, closedFlag } from '../internal/closed-flag.js';
import { listFromSortedKeys } from '../internal/list-sorted.js';
import { checkSigningOptions, signLocalUrl } from '../internal/local-url-signature.js';
import { resolveRange } from '../internal/resolve-range.js';
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

/** Options of `createLocalStorage`. */
export interface LocalStorageOptions {
  /** The directory holding the objects; created on first write. */
  root: string;
  /**
   * Enables `signedUrl`: URLs under `baseUrl` (where `createLocalSignedUrlHandler` is mounted,
   * e.g. `https://example.com/files`) carrying an HMAC-SHA256 signature made with `secret`.
   */
  signedUrls?: LocalSignedUrlOptions | undefined;
}

/** Signing settings shared by `createLocalStorage` and `createLocalSignedUrlHandler`. */
export interface LocalSignedUrlOptions {
  /** At least 32 bytes; keep it out of the code. */
  readonly secret: string | Uint8Array;
  /** Absolute URL the handler is mounted at; the key's segments follow it. */
  readonly baseUrl: string;
}

/** The directory under `root` that holds sidecars and temporary files. */
export const LOCAL_STORAGE_DIR = '.rws-storage';

interface Sidecar {
  readonly contentType?: string | undefined;
  readonly cacheControl?: string | undefined;
  readonly metadata?: Record<string, string> | undefined;
  /** Size and mtime of the data file the sidecar belongs to: a stale sidecar is ignored. */
  readonly size: number;
}

/**
 * A `Storage` over a local directory with atomic writes and keys that cannot leave `root`
 * (validated keys, plus a check that the resolved parent directory, symlinks followed, is
 * still inside `root`). A key cannot be both an object and a prefix of another key's path
 * (`a` and `a/b`): the file system has no such thing; that `put` fails with
 * `RWS_STORAGE_KEY_INVALID`.
 *
 * @example
 * ```ts
 * import { createLocalStorage } from '@rws/storage/drivers/local';
 * await using storage = createLocalStorage({ root: './uploads' });
 * await storage.put('avatars/1.png', new Uint8Array([137, 80, 78, 71]), { contentType: 'image/png' });
 * ```
 */
export function createLocalStorage(options: LocalStorageOptions): Storage {
  if (typeof options?.root !== 'string' || options.root === '') {
    throw new StorageError(ERROR_CODES.INVALID_OPTIONS, 'local storage needs a root directory');
  }
  const root = path.resolve(options.root);
  const tmpDir = path.join(root, LOCAL_STORAGE_DIR, 'tmp');
  const metaDir = path.join(root, LOCAL_STORAGE_DIR, 'meta');
  const state = closedFlag();
  const signing =
    options.signedUrls === undefined ? undefined : checkSigningOptions(options.signedUrls);

  function check(key: string): void {
    assertOpen(state, 'local');
    validateKey(key);
    if (key.split('/', 1)[0] === LOCAL_STORAGE_DIR) {
      throw new StorageError(
        ERROR_CODES.KEY_INVALID,
        `object key ${JSON.stringify(key)} is reserved by the local driver`,
        { status: 400 },
      );
    }
  }

  /** The data file of `key`, after checking that its directory resolves inside root. */
  async function fileOf(key: string): Promise<string> {
    const file = path.join(root, ...key.split('/'));
    const realRoot = await realpath(root).catch(() => root);
    const parent = await realpath(path.dirname(file)).catch(() => null);
    // A missing parent cannot point outside; an existing one must resolve under root
    // (a symlinked directory inside root could otherwise lead anywhere).
    if (parent !== null && parent !== realRoot && !parent.startsWith(realRoot + path.sep)) {
      throw new StorageError(
        ERROR_CODES.KEY_INVALID,
        `object key ${JSON.stringify(key)} resolves outside the storage root`,
        { status: 400 },
      );
    }
    return file;
  }

  function sidecarOf(key: string): string {
    return `${path.join(metaDir, ...key.split('/'))}.json`;
  }

  async function readSidecar(key: string, size: number): Promise<Sidecar | null> {
    try {
      const sidecar = JSON.parse(await readFile(sidecarOf(key), 'utf8')) as Sidecar;
      return sidecar.size === size ? sidecar : null;
    } catch {
      return null;
    }
  }

  function infoOf(key: string, size: number, mtime: Date, sidecar: Sidecar | null): ObjectInfo {
    return {
      key,
      size,
      lastModified: mtime,
      etag: `"${size.toString(16)}-${Math.trunc(mtime.getTime() * 1000).toString(16)}"`,
      contentType: sidecar?.contentType ?? 'application/octet-stream',
      cacheControl: sidecar?.cacheControl,
      metadata: { ...sidecar?.metadata },
    };
  }

  async function placeFile(tmp: string, file: string, key: string): Promise<void> {
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await rename(tmp, file);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') {
        throw new StorageError(
          ERROR_CODES.KEY_INVALID,
          `object key ${JSON.stringify(key)} conflicts with an existing object or prefix on disk`,
          { status: 400, cause: err },
        );
      }
      throw err;
    }
  }

  async function writeSidecar(key: string, sidecar: Sidecar): Promise<void> {
    const tmp = path.join(tmpDir, `${randomUUID()}.json`);
    await writeFile(tmp, JSON.stringify(sidecar));
    const target = sidecarOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    await rename(tmp, target);
  }

  const storage: Storage = {
    name: 'local',
    capabilities: {
      signedUrl: signing !== undefined,
      serverSideCopy: true,
      multipart: false,
      ranges: true,
      metadata: true,
    },

    ...(signing === undefined
      ? {}
      : {
          signedUrl(key: string, urlOptions: SignedUrlOptions = {}): string {
            check(key);
            return signLocalUrl(signing, key, urlOptions);
          },
        }),

    async put(key: string, body: StorageBody, putOptions: PutOptions = {}): Promise<ObjectInfo> {
      check(key);
      const file = await fileOf(key);
      await mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, randomUUID());
      try {
        await pipeline(Readable.from(bodyChunks(body, putOptions.signal)), createWriteStream(tmp), {
          signal: putOptions.signal,
        });
      } catch (err) {
        await unlink(tmp).catch(() => {});
        throw err;
      }
      const { size } = await stat(tmp);
      if (putOptions.contentLength !== undefined && putOptions.contentLength !== size) {
        await unlink(tmp).catch(() => {});
        throw new StorageError(
          ERROR_CODES.INVALID_OPTIONS,
          `put ${JSON.stringify(key)}: contentLength ${putOptions.contentLength} but the body had ${size} bytes`,
        );
      }
      // The sidecar goes first: a crash between the renames leaves a sidecar whose size does
      // not match the old file, which readSidecar ignores.
      await writeSidecar(key, {
        contentType: putOptions.contentType,
        cacheControl: putOptions.cacheControl,
        metadata: { ...putOptions.metadata },
        size,
      });
      try {
        await placeFile(tmp, file, key);
      } catch (err) {
        // The sidecar went first; without its file it must not describe a later object.
        await rm(sidecarOf(key), { force: true });
        throw err;
      }
      const placed = await stat(file);
      return infoOf(key, size, placed.mtime, {
        contentType: putOptions.contentType,
        cacheControl: putOptions.cacheControl,
        metadata: { ...putOptions.metadata },
        size,
      });
    },

    async get(key: string, getOptions: GetOptions = {}): Promise<StorageObject | null> {
      check(key);
      getOptions.signal?.throwIfAborted();
      const file = await fileOf(key);
      let handle: Awaited<ReturnType<typeof open>>;
      try {
        handle = await open(file, 'r');
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
      try {
        // Stat the open handle, not the path: a concurrent put renames a new file into place,
        // and this read keeps the old one consistently.
        const stats = await handle.stat();
        if (!stats.isFile()) {
          await handle.close();
          return null;
        }
        const range =
          getOptions.range === undefined ? undefined : resolveRange(getOptions.range, stats.size);
        const sidecar = await readSidecar(key, stats.size);
        const nodeStream =
          stats.size === 0
            ? Readable.from([])
            : handle.createReadStream({
                start: range?.start ?? 0,
                end: range?.end ?? stats.size - 1,
                autoClose: true,
              });
        if (stats.size === 0) await handle.close();
        const signal = getOptions.signal;
        if (signal !== undefined) {
          const onAbort = (): void => void nodeStream.destroy(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
          nodeStream.once('close', () => signal.removeEventListener('abort', onAbort));
        }
        return {
          ...infoOf(key, stats.size, stats.mtime, sidecar),
          range,
          body: Readable.toWeb(nodeStream) as ReadableStream<Uint8Array>,
        };
      } catch (err) {
        await handle.close().catch(() => {});
        throw err;
      }
    },

    async head(key: string, ioOptions: IoOptions = {}): Promise<ObjectInfo | null> {
      check(key);
      ioOptions.signal?.throwIfAborted();
      const file = await fileOf(key);
      try {
        const stats = await stat(file);
        if (!stats.isFile()) return null;
        return infoOf(key, stats.size, stats.mtime, await readSidecar(key, stats.size));
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    },

    async delete(key: string, ioOptions: IoOptions = {}): Promise<void> {
      check(key);
      ioOptions.signal?.throwIfAborted();
      const file = await fileOf(key);
      try {
        const stats = await lstat(file);
        if (!stats.isFile()) return;
        await unlink(file);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      await rm(sidecarOf(key), { force: true });
    },

    async deleteMany(keys: readonly string[], ioOptions: IoOptions = {}): Promise<void> {
      for (const key of keys) check(key);
      for (const key of keys) await storage.delete(key, ioOptions);
    },

    async copy(from: string, to: string, ioOptions: IoOptions = {}): Promise<void> {
      check(from);
      check(to);
      ioOptions.signal?.throwIfAborted();
      const source = await fileOf(from);
      const target = await fileOf(to);
      await mkdir(tmpDir, { recursive: true });
      const tmp = path.join(tmpDir, randomUUID());
      try {
        await copyFile(source, tmp);
      } catch (err) {
        if (isMissing(err)) {
          throw new StorageError(ERROR_CODES.NOT_FOUND, `copy: no object ${JSON.stringify(from)}`, {
            status: 404,
          });
        }
        throw err;
      }
      const { size } = await stat(tmp);
      const sidecar = await readSidecar(from, size);
      await writeSidecar(to, { ...sidecar, size });
      await placeFile(tmp, target, to);
    },

    async list(prefix: string, listOptions: ListOptions = {}): Promise<ListPage> {
      assertOpen(state, 'local');
      validatePrefix(prefix);
      listOptions.signal?.throwIfAborted();
      // Walk only the directory the prefix names, not the whole tree.
      const slash = prefix.lastIndexOf('/');
      const base = slash === -1 ? '' : prefix.slice(0, slash);
      const found = new Map<string, { size: number; mtime: Date }>();
      await walk(
        path.join(root, ...base.split('/').filter(Boolean)),
        base,
        prefix,
        found,
        listOptions.signal,
      );
      return listFromSortedKeys([...found.keys()], listOptions, (key) => {
        const entry = found.get(key) as { size: number; mtime: Date };
        return {
          key,
          size: entry.size,
          lastModified: entry.mtime,
          etag: `"${entry.size.toString(16)}-${Math.trunc(entry.mtime.getTime() * 1000).toString(16)}"`,
        };
      });
    },

    async close(): Promise<void> {
      state.isClosed = true;
    },
    [Symbol.asyncDispose](): Promise<void> {
      return storage.close();
    },
  };
  return storage;
}

async function walk(
  dir: string,
  keyBase: string,
  prefix: string,
  found: Map<string, { size: number; mtime: Date }>,
  signal: AbortSignal | undefined,
): Promise<void> {
  signal?.throwIfAborted();
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw err;
  }
  for (const entry of entries) {
    const key = keyBase === '' ? entry.name : `${keyBase}/${entry.name}`;
    if (keyBase === '' && entry.name === LOCAL_STORAGE_DIR) continue;
    if (entry.isDirectory()) {
      // Descend only where keys under this directory can still match the prefix.
      if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) {
        await walk(path.join(dir, entry.name), key, prefix, found, signal);
      }
    } else if (entry.isFile() && key.startsWith(prefix)) {
      const stats = await stat(path.join(dir, entry.name));
      found.set(key, { size: stats.size, mtime: stats.mtime });
    }
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export type { LocalSignedUrlHandlerOptions } from '../local-signed-url-handler.js';
export { createLocalSignedUrlHandler } from '../local-signed-url-handler.js';
