/**
 * A `CertificateStore` over an object store — any @rws/storage `Storage` (local disk, S3,
 * Azure Blob, memory) — so instances on several hosts share one account and one certificate.
 * A certificate and its key are one JSON object (replaced in one `put`, so a reader never sees
 * a mix). Object stores have no create-if-absent here, so the lock is optimistic: write a lock
 * object with a random token, wait `settleMs`, read it back, and hold it only if the token is
 * still ours; of instances racing for it, the last writer wins and the others back off.
 */
import { randomBytes } from 'node:crypto';
import type { MaybePromise } from '@rws/core';
import { AcmeError } from '../acme-error.js';
import type { CertificateStore, ReleaseLock, StoredCertificate } from '../certificate-store.js';
import { ERROR_CODES } from '../errors.js';

/**
 * The part of @rws/storage's `Storage` this store uses (a `Storage` fits as is); declared here
 * so @rws/server does not depend on @rws/storage.
 */
export interface ObjectStorageLike {
  readonly name: string;
  get(key: string): MaybePromise<{ readonly body: ReadableStream<Uint8Array> } | null>;
  put(
    key: string,
    body: string,
    options?: { contentType?: string | undefined },
  ): MaybePromise<unknown>;
  delete(key: string): MaybePromise<void>;
  close(): Promise<void>;
}

/** Options of `createObjectStorageStore`. */
export interface ObjectStorageStoreOptions {
  storage: ObjectStorageLike;
  /** Key prefix of every object. Default `acme/`. */
  prefix?: string | undefined;
  /**
   * How long a lock writer waits before reading its lock back. Must exceed the time between
   * another instance's read of the lock and its write (one round trip). Default 1000 ms.
   */
  settleMs?: number | undefined;
  /** Close `storage` when the store closes. Default false (the storage is usually shared). */
  closeStorage?: boolean | undefined;
}

/** A `CertificateStore` kept in an object store, shareable across hosts. */
export function createObjectStorageStore(options: ObjectStorageStoreOptions): CertificateStore {
  const { storage } = options;
  const prefix = options.prefix ?? 'acme/';
  const settleMs = options.settleMs ?? 1000;
  const fail = (action: string, key: string, err: unknown): AcmeError =>
    new AcmeError(
      ERROR_CODES.ACME_STORE_FAILED,
      `cannot ${action} ${key} in storage ${storage.name}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );

  async function read(key: string): Promise<string | null> {
    try {
      const object = await storage.get(prefix + key);
      return object === null ? null : await new Response(object.body).text();
    } catch (err) {
      throw fail('read', prefix + key, err);
    }
  }

  async function write(key: string, body: string, contentType: string): Promise<void> {
    try {
      await storage.put(prefix + key, body, { contentType });
    } catch (err) {
      throw fail('write', prefix + key, err);
    }
  }

  /** The lock's token and expiry, or null when there is none (or it is unreadable). */
  async function readLock(key: string): Promise<{ token: string; expiresAt: number } | null> {
    const text = await read(key);
    if (text === null) return null;
    try {
      const parsed = JSON.parse(text) as { token?: unknown; expiresAt?: unknown };
      return { token: String(parsed.token), expiresAt: Number(parsed.expiresAt) || 0 };
    } catch {
      return null; // A torn or foreign object counts as no lock.
    }
  }

  return {
    name: `storage ${storage.name} ${prefix}`,
    loadAccountKey: () => read('account.key'),
    saveAccountKey: (pem) => write('account.key', pem, 'application/x-pem-file'),
    async loadCertificate(name) {
      const text = await read(`certificates/${name}.json`);
      if (text === null) return null;
      try {
        const { certPem, keyPem } = JSON.parse(text) as Partial<StoredCertificate>;
        if (typeof certPem === 'string' && typeof keyPem === 'string') return { certPem, keyPem };
      } catch {
        // Unreadable: treated as missing, so the manager orders a new one.
      }
      return null;
    },
    saveCertificate: (name, certificate) =>
      write(
        `certificates/${name}.json`,
        JSON.stringify({ certPem: certificate.certPem, keyPem: certificate.keyPem }),
        'application/json',
      ),
    async lock(name, ttlMs): Promise<ReleaseLock | null> {
      const key = `locks/${name}.json`;
      const held = await readLock(key);
      if (held !== null && Date.now() < held.expiresAt) return null;
      const token = randomBytes(12).toString('hex');
      await write(
        key,
        JSON.stringify({ token, expiresAt: Date.now() + ttlMs }),
        'application/json',
      );
      // Another instance that read "free" at the same time writes within one round trip.
      await new Promise((resolve) => setTimeout(resolve, settleMs));
      if ((await readLock(key))?.token !== token) return null;
      let isReleased = false;
      return async () => {
        if (isReleased) return;
        isReleased = true;
        // Delete only our own lock: after an expiry another instance may hold it now.
        if ((await readLock(key))?.token !== token) return;
        try {
          await storage.delete(prefix + key);
        } catch (err) {
          throw fail('delete', prefix + key, err);
        }
      };
    },
    close: () => (options.closeStorage === true ? storage.close() : Promise.resolve()),
  };
}
