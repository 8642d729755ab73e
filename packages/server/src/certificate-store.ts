/**
 * Where `AcmeManager` keeps its account key and certificates, and how instances sharing that
 * storage agree who orders (a lock). `createDirectoryStore()` keeps them in files; anything
 * else (a database, object storage) implements this interface.
 */
import type { MaybePromise } from '@rws/core';

/** A certificate chain (leaf first) and its private key, both PEM. */
export interface StoredCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Gives a lock back. Safe to call twice. */
export type ReleaseLock = () => Promise<void>;

/** Storage for ACME state. `name` arguments are plain file-name-safe strings. */
export interface CertificateStore {
  /** What it is, for messages: `directory /var/lib/rws/acme`. */
  readonly name: string;
  /** The account key (PKCS#8 PEM), or null when none was saved yet. */
  loadAccountKey(): MaybePromise<string | null>;
  saveAccountKey(pem: string): MaybePromise<void>;
  /** The certificate saved under `name`, or null. */
  loadCertificate(name: string): MaybePromise<StoredCertificate | null>;
  /** Saves atomically: a reader sees the old pair or the new one, never a mix. */
  saveCertificate(name: string, certificate: StoredCertificate): MaybePromise<void>;
  /**
   * Takes the lock `name` for at most `ttlMs` (a crashed holder's lock expires), or resolves
   * null when another holder has it.
   */
  lock(name: string, ttlMs: number): Promise<ReleaseLock | null>;
  close(): Promise<void>;
}
