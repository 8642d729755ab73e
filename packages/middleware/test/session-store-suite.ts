import type { SessionStore } from '@rws/middleware/session';
import { expect, it } from 'vitest';

/**
 * The contract every `SessionStore` keeps (see session-store.ts). A new store (the planned
 * database one) calls this from its own test.
 */
export function runSessionStoreConformance(create: () => Promise<SessionStore | null>): void {
  const withStore = async (
    ctx: { skip(): void },
    body: (store: SessionStore) => Promise<void>,
  ): Promise<void> => {
    const store = await create();
    if (store === null) return ctx.skip();
    try {
      await body(store);
    } finally {
      await store.close?.();
    }
  };

  it('set then get returns the data; unknown ids are null', async (ctx) => {
    await withStore(ctx, async (store) => {
      await store.set('conf-a', { user: 'ada', roles: ['admin'], n: 1 }, 60_000);
      expect(await store.get('conf-a')).toEqual({ user: 'ada', roles: ['admin'], n: 1 });
      expect(await store.get('conf-missing')).toBeNull();
      await store.destroy('conf-a');
    });
  });

  it('get returns a copy', async (ctx) => {
    await withStore(ctx, async (store) => {
      await store.set('conf-b', { list: [1] }, 60_000);
      const first = await store.get('conf-b');
      (first!['list'] as number[]).push(2);
      expect(await store.get('conf-b')).toEqual({ list: [1] });
      await store.destroy('conf-b');
    });
  });

  it('a record expires after its TTL; touch extends it', async (ctx) => {
    await withStore(ctx, async (store) => {
      await store.set('conf-c', { a: 1 }, 150);
      await store.set('conf-d', { a: 2 }, 400);
      // Touched at once, then checked after both first TTLs: a slow machine only waits
      // longer (a stall of 400 ms between two awaits is the one way to lose the record).
      await store.touch?.('conf-d', 60_000);
      await new Promise((r) => setTimeout(r, 500));
      expect(await store.get('conf-c')).toBeNull();
      expect(await store.get('conf-d')).toEqual(store.touch ? { a: 2 } : null);
      await store.destroy('conf-d');
    });
  });

  it('destroy removes; destroying an unknown id is fine', async (ctx) => {
    await withStore(ctx, async (store) => {
      await store.set('conf-e', { a: 1 }, 60_000);
      await store.destroy('conf-e');
      expect(await store.get('conf-e')).toBeNull();
      await store.destroy('conf-never');
    });
  });
}
