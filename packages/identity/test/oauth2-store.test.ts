/**
 * The OAuth2Store contract, run on every store: memory, SQLite, PostgreSQL. The atomic
 * `useToken` is what makes code replay and refresh token reuse detectable.
 */
import { isRwsError, RwsError } from '@rws/core';
import { sql } from '@rws/orm';
import { describe, expect, test } from 'vitest';
import { hashClientSecret } from '../src/oauth2-server/index.js';
import { createSqlOAuth2Store } from '../src/oauth2-server/stores/sql.js';
import { dropTables, STORE_TARGETS } from './oauth2-stores.js';

describe.each(STORE_TARGETS)('OAuth2Store conformance: $name', (target) => {
  test('clients, grants and single-use tokens', { timeout: 30_000 }, async (ctx) => {
    const opened = await target.open();
    if (opened === null) return ctx.skip(`${target.name} is not reachable`);
    const { store, db, prefix } = opened;
    try {
      expect(await store.getClient('web')).toBeNull();
      const secretHash = await hashClientSecret('web-secret-0123456789');
      const client = { clientId: 'web', secretHash, scopes: ['a'], redirectUris: ['https://x/cb'] };
      await store.putClient(client);
      await store.putClient({ ...client, scopes: ['a', 'b'] });
      expect(await store.getClient('web')).toEqual({ ...client, scopes: ['a', 'b'] });

      const expiresAt = Date.now() + 60_000;
      const grant = {
        id: 'g1',
        clientId: 'web',
        sub: 'ada',
        scope: 'a',
        expiresAt,
        isRevoked: false,
      };
      await store.putGrant(grant);
      expect(await store.getGrant('g1')).toEqual(grant);
      await store.revokeGrant('g1', 'web', expiresAt);
      expect((await store.getGrant('g1'))?.isRevoked).toBe(true);
      await store.revokeGrant('jti:x', 'web', expiresAt);
      expect(await store.getGrant('jti:x')).toMatchObject({ id: 'jti:x', isRevoked: true });
      // Revoked before stored (a code replay racing the exchange): putGrant keeps it revoked.
      await store.revokeGrant('g3', 'web', expiresAt);
      await store.putGrant({ ...grant, id: 'g3' });
      expect((await store.getGrant('g3'))?.isRevoked).toBe(true);

      const token = { kind: 'code' as const, grantId: 'g2', expiresAt, data: { sub: 'ada' } };
      await store.putToken('h1', token);
      expect(await store.getToken('h1')).toEqual({ token, isUsed: false });
      // Racing uses: exactly one wins.
      const uses = await Promise.all([1, 2, 3].map(() => store.useToken('h1')));
      expect(uses.filter((u) => u?.isFirstUse === true)).toHaveLength(1);
      expect(uses.every((u) => u?.token.grantId === 'g2')).toBe(true);
      expect((await store.getToken('h1'))?.isUsed).toBe(true);
      expect(await store.useToken('nope')).toBeNull();
      if (db !== null) {
        // At rest the secret is a PBKDF2 hash, never the secret itself.
        const rows = await sql.raw(`select data from ${prefix}clients`).execute(db.kysely);
        expect(JSON.stringify(rows.rows)).not.toContain('web-secret-0123456789');
        expect(JSON.stringify(rows.rows)).toContain('pbkdf2-sha256$');
      }
    } finally {
      await dropTables(db, prefix);
      await store.close();
    }
  });
});

test('createSqlOAuth2Store refuses a missing db or a bad prefix', () => {
  for (const options of [{}, { db: { kysely: {} }, tablePrefix: 'x; drop' }]) {
    let err: unknown;
    try {
      createSqlOAuth2Store(options as never);
    } catch (e) {
      err = e;
    }
    expect(isRwsError(err, 'RWS_IDENTITY_OAUTH2_INVALID_OPTIONS')).toBe(true);
  }
  expect(RwsError).toBeDefined();
});
