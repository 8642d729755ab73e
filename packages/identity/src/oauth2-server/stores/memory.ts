import type {
  OAuth2ClientRecord,
  OAuth2GrantRecord,
  OAuth2Store,
  OAuth2TokenRecord,
} from '../oauth2-store.js';

/**
 * An `OAuth2Store` in this process's memory: for tests and single-instance servers. Everything
 * is lost on restart (issued refresh tokens stop working). Expired grants and tokens are
 * dropped when a new one is stored.
 */
export function createMemoryOAuth2Store(): OAuth2Store {
  const clients = new Map<string, OAuth2ClientRecord>();
  const grants = new Map<string, OAuth2GrantRecord>();
  const tokens = new Map<string, { token: OAuth2TokenRecord; isUsed: boolean }>();
  let writes = 0;
  function sweep(): void {
    // Amortised: a full pass every 256 writes keeps memory bounded without a timer.
    if (++writes % 256 !== 0) return;
    const now = Date.now();
    for (const [k, g] of grants) if (g.expiresAt <= now) grants.delete(k);
    for (const [k, t] of tokens) if (t.token.expiresAt <= now) tokens.delete(k);
  }
  const close = async (): Promise<void> => {
    clients.clear();
    grants.clear();
    tokens.clear();
  };
  return {
    name: 'memory',
    getClient: (id) => clients.get(id) ?? null,
    putClient(client) {
      clients.set(client.clientId, client);
    },
    getGrant: (id) => grants.get(id) ?? null,
    putGrant(grant) {
      sweep();
      if (!grants.has(grant.id)) grants.set(grant.id, grant);
    },
    revokeGrant(id, clientId, expiresAt) {
      const g = grants.get(id);
      grants.set(
        id,
        g === undefined
          ? { id, clientId, sub: '', scope: '', expiresAt, isRevoked: true }
          : { ...g, isRevoked: true },
      );
    },
    putToken(hash, token) {
      sweep();
      tokens.set(hash, { token, isUsed: false });
    },
    getToken: (hash) => tokens.get(hash) ?? null,
    useToken(hash) {
      const t = tokens.get(hash);
      if (t === undefined) return null;
      const isFirstUse = !t.isUsed;
      t.isUsed = true;
      return { token: t.token, isFirstUse };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
