/**
 * A `CertificateStore` in a directory: `account.key`, `certificates/<name>/{cert,key}.pem`
 * and `locks/<name>.lock`. Several processes (or hosts on a shared file system) may use the
 * same directory: writes go to a temporary file renamed into place, and a lock is a file
 * created exclusively (O_EXCL), holding its expiry so a crashed holder does not block forever.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AcmeError } from '../acme-error.js';
import type { CertificateStore, ReleaseLock, StoredCertificate } from '../certificate-store.js';
import { ERROR_CODES } from '../errors.js';

/** Options of `createDirectoryStore`. */
export interface DirectoryStoreOptions {
  /** The directory; created when missing. */
  directory: string;
  /** Account key file. Default `<directory>/account.key`. */
  accountKeyFile?: string | undefined;
  /**
   * Certificate chain file for every certificate name (for a one-certificate setup whose
   * paths the TLS config names). Default `<directory>/certificates/<name>/cert.pem`.
   */
  certFile?: string | undefined;
  /** Private key file, with `certFile`. Default `<directory>/certificates/<name>/key.pem`. */
  keyFile?: string | undefined;
}

function storeError(action: string, path: string, err: unknown): AcmeError {
  const reason = err instanceof Error ? err.message : String(err);
  return new AcmeError(ERROR_CODES.ACME_STORE_FAILED, `cannot ${action} ${path}: ${reason}`, {
    cause: err,
  });
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw storeError('read', path, err);
  }
}

/** Writes to a sibling temporary file and renames it over `path` (atomic on POSIX). */
async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    await writeFile(temp, data, { mode });
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw storeError('write', path, err);
  }
}

/** A file-system `CertificateStore`. */
export function createDirectoryStore(options: DirectoryStoreOptions): CertificateStore {
  const dir = options.directory;
  const accountKeyFile = options.accountKeyFile ?? join(dir, 'account.key');
  const certPath = (name: string): string =>
    options.certFile ?? join(dir, 'certificates', name, 'cert.pem');
  const keyPath = (name: string): string =>
    options.keyFile ?? join(dir, 'certificates', name, 'key.pem');

  async function tryLock(path: string, ttlMs: number): Promise<ReleaseLock | null> {
    const token = randomBytes(12).toString('hex');
    const content = JSON.stringify({ token, pid: process.pid, expiresAt: Date.now() + ttlMs });
    try {
      await writeFile(path, content, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw storeError('create lock', path, err);
      return null;
    }
    let isReleased = false;
    return async () => {
      if (isReleased) return;
      isReleased = true;
      // Remove only our own lock: after an expiry another holder may own the file now.
      const current = await readOrNull(path);
      if (current?.includes(token) === true) await unlink(path).catch(() => {});
    };
  }

  return {
    name: `directory ${dir}`,
    loadAccountKey: () => readOrNull(accountKeyFile),
    saveAccountKey: (pem) => writeAtomic(accountKeyFile, pem, 0o600),
    async loadCertificate(name) {
      const [certPem, keyPem] = await Promise.all([
        readOrNull(certPath(name)),
        readOrNull(keyPath(name)),
      ]);
      return certPem === null || keyPem === null ? null : { certPem, keyPem };
    },
    async saveCertificate(name, certificate: StoredCertificate) {
      // Key first: a reader that sees the new chain finds its key already in place.
      await writeAtomic(keyPath(name), certificate.keyPem, 0o600);
      await writeAtomic(certPath(name), certificate.certPem, 0o644);
    },
    async lock(name, ttlMs) {
      const path = join(dir, 'locks', `${name}.lock`);
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      } catch (err) {
        throw storeError('create', dirname(path), err);
      }
      const release = await tryLock(path, ttlMs);
      if (release !== null) return release;
      const held = await readOrNull(path);
      let expiresAt = 0;
      try {
        expiresAt = Number((JSON.parse(held ?? '{}') as { expiresAt?: unknown }).expiresAt) || 0;
      } catch {
        // A torn or foreign file counts as expired.
      }
      if (Date.now() < expiresAt) return null;
      // Expired: remove it and race the other waiters for a fresh one (O_EXCL picks one).
      await unlink(path).catch(() => {});
      return tryLock(path, ttlMs);
    },
    close: () => Promise.resolve(),
  };
}
