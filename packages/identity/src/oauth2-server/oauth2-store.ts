/** A registered client as stored: the secret only as a `hashClientSecret()` hash. */
export interface OAuth2ClientRecord {
  readonly clientId: string;
  /** `hashClientSecret()` of the secret; null for a public client (PKCE, no secret). */
  readonly secretHash: string | null;
  readonly scopes: readonly string[];
  /** Exact redirect URIs for the authorization code grant; none: no code grant. */
  readonly redirectUris: readonly string[];
}

/**
 * One authorization (a user's consent to a client, or one client_credentials token): every
 * code, refresh token and access token issued from it names it, so revoking it ends them all.
 */
export interface OAuth2GrantRecord {
  readonly id: string;
  readonly clientId: string;
  readonly sub: string;
  readonly scope: string;
  /** Unix ms after which the grant (and its refresh tokens) is dead. */
  readonly expiresAt: number;
  readonly isRevoked: boolean;
}

/** What a single-use token (authorization code, refresh token) carries. */
export interface OAuth2TokenRecord {
  readonly kind: 'code' | 'refresh';
  readonly grantId: string;
  /** Unix ms. */
  readonly expiresAt: number;
  /** Code only: the request it answers (client, redirect URI, PKCE challenge, scope, sub). */
  readonly data?: Readonly<Record<string, string>> | undefined;
}

/** Options every store call takes. */
export interface OAuth2StoreCallOptions {
  signal?: AbortSignal | undefined;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * Where the authorization server keeps clients, grants, authorization codes and refresh
 * tokens. Codes and refresh tokens are keyed by their SHA-256 hash, never the token itself.
 * `createMemoryOAuth2Store()` (one process) and `createSqlOAuth2Store()` from
 * `@rws/identity/oauth2-server/sql` (@rws/orm) implement it.
 */
export interface OAuth2Store {
  readonly name: string;
  getClient(
    clientId: string,
    options?: OAuth2StoreCallOptions,
  ): MaybePromise<OAuth2ClientRecord | null>;
  /** Inserts or replaces a client. */
  putClient(client: OAuth2ClientRecord, options?: OAuth2StoreCallOptions): MaybePromise<void>;
  getGrant(id: string, options?: OAuth2StoreCallOptions): MaybePromise<OAuth2GrantRecord | null>;
  /** Inserts a grant; an existing grant of that id (one revoked meanwhile) is kept as it is. */
  putGrant(grant: OAuth2GrantRecord, options?: OAuth2StoreCallOptions): MaybePromise<void>;
  /** Marks a grant revoked, recording it when unknown (until `expiresAt`, Unix ms). */
  revokeGrant(
    id: string,
    clientId: string,
    expiresAt: number,
    options?: OAuth2StoreCallOptions,
  ): MaybePromise<void>;
  putToken(
    hash: string,
    token: OAuth2TokenRecord,
    options?: OAuth2StoreCallOptions,
  ): MaybePromise<void>;
  /** Reads a token without using it. */
  getToken(
    hash: string,
    options?: OAuth2StoreCallOptions,
  ): MaybePromise<{ token: OAuth2TokenRecord; isUsed: boolean } | null>;
  /**
   * Marks a token used, atomically: exactly one caller sees `isFirstUse: true`; the others
   * (a replay) see false and the server revokes the grant.
   */
  useToken(
    hash: string,
    options?: OAuth2StoreCallOptions,
  ): MaybePromise<{ token: OAuth2TokenRecord; isFirstUse: boolean } | null>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}
