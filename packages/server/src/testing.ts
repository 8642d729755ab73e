/**
 * `runCertificateStoreConformance`: the behaviour every `CertificateStore` must have, as vitest
 * tests. Each store's test file calls it; a store that cannot do something lists the tests in
 * `skip` with a reason.
 */
import type { MaybePromise } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CertificateStore } from './certificate-store.js';

/** Tests a store does not run, and why. */
export interface CertificateStoreConformanceSkip {
  readonly reason: string;
  /** Test names, as printed. */
  readonly tests: readonly string[];
}

/** Options of `runCertificateStoreConformance`. */
export interface CertificateStoreConformanceOptions {
  /**
   * A store over fresh, empty storage for each test. Called twice in a test with `shared`
   * set: both stores must see the same storage (two instances of one deployment).
   */
  create: (shared: { readonly id: string }) => MaybePromise<CertificateStore>;
  skip?: readonly CertificateStoreConformanceSkip[] | undefined;
}

/**
 * Registers the conformance tests in the current vitest file.
 *
 * @example
 * ```ts
 * import { createDirectoryStore } from '@rws/server';
 * import { runCertificateStoreConformance } from '@rws/server/testing';
 * runCertificateStoreConformance({ create: ({ id }) => createDirectoryStore({ directory: `/tmp/${id}` }) });
 * ```
 */
export function runCertificateStoreConformance(options: CertificateStoreConformanceOptions): void {
  const skipped = new Set(options.skip?.flatMap((s) => s.tests) ?? []);
  let counter = 0;
  /** Two stores over the same fresh storage. */
  async function pair(): Promise<[CertificateStore, CertificateStore]> {
    const shared = { id: `rws-store-${process.pid}-${Date.now()}-${counter++}` };
    const a = await options.create(shared);
    const b = await options.create(shared);
    onTestFinished(async () => {
      await a.close();
      await b.close();
    });
    return [a, b];
  }
  const test = (name: string, fn: () => Promise<void>): void => {
    if (skipped.has(name)) it.skip(name, fn);
    else it(name, fn);
  };

  describe('CertificateStore conformance', () => {
    test('has a name', async () => {
      const [a] = await pair();
      expect(typeof a.name).toBe('string');
      expect(a.name.length).toBeGreaterThan(0);
    });

    test('the account key is null until saved, then read back by another instance', async () => {
      const [a, b] = await pair();
      expect(await a.loadAccountKey()).toBeNull();
      await a.saveAccountKey('-----BEGIN PRIVATE KEY-----\nA\n-----END PRIVATE KEY-----\n');
      expect(await b.loadAccountKey()).toContain('\nA\n');
      await b.saveAccountKey('B');
      expect(await a.loadAccountKey()).toBe('B');
    });

    test('certificates are stored by name and replaced as a pair', async () => {
      const [a, b] = await pair();
      expect(await a.loadCertificate('a.example')).toBeNull();
      await a.saveCertificate('a.example', { certPem: 'C1', keyPem: 'K1' });
      await a.saveCertificate('b.example', { certPem: 'C2', keyPem: 'K2' });
      expect(await b.loadCertificate('a.example')).toEqual({ certPem: 'C1', keyPem: 'K1' });
      expect(await b.loadCertificate('b.example')).toEqual({ certPem: 'C2', keyPem: 'K2' });
      await b.saveCertificate('a.example', { certPem: 'C3', keyPem: 'K3' });
      expect(await a.loadCertificate('a.example')).toEqual({ certPem: 'C3', keyPem: 'K3' });
    });

    test('a lock has one holder across instances until it is released', async () => {
      const [a, b] = await pair();
      const release = await a.lock('order-a.example', 60_000);
      expect(release).not.toBeNull();
      expect(await b.lock('order-a.example', 60_000)).toBeNull();
      expect(await a.lock('order-a.example', 60_000)).toBeNull();
      const other = await b.lock('order-b.example', 60_000);
      expect(other).not.toBeNull();
      await release?.();
      await release?.(); // twice is harmless
      const again = await b.lock('order-a.example', 60_000);
      expect(again).not.toBeNull();
      await again?.();
      await other?.();
    });

    test('of instances asking for a lock at the same time, exactly one gets it', async () => {
      const [a, b] = await pair();
      const name = 'order-race.example';
      const results = await Promise.all([a, b, a, b].map((store) => store.lock(name, 60_000)));
      const holders = results.filter((release) => release !== null);
      expect(holders).toHaveLength(1);
      await holders[0]?.();
      const after = await a.lock(name, 60_000);
      expect(after).not.toBeNull();
      await after?.();
    });

    test('an expired lock is taken over, and its old holder cannot release the new one', async () => {
      const [a, b] = await pair();
      const stale = await a.lock('order-a.example', 1);
      expect(stale).not.toBeNull();
      await new Promise((r) => setTimeout(r, 50));
      const fresh = await b.lock('order-a.example', 60_000);
      expect(fresh).not.toBeNull();
      await stale?.();
      expect(await a.lock('order-a.example', 60_000)).toBeNull();
      await fresh?.();
    });
  });
}
