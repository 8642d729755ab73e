/**
 * The parsed shape of the gateway's identity keys: `[session]`, `[oidc]` and a route's
 * `forward_claims`. Secrets stay references (`env://NAME`, `file:///path`, or a literal) until
 * the gateway is built, so a reload reads them again.
 */

/** `[session]`: server-side sessions keyed by a signed cookie (`session()` of @rws/middleware). */
export interface GatewaySession {
  /** Signing secrets, newest first, as written (secret references). */
  readonly secrets: readonly string[];
  /** Null: the middleware's default (`sid`). */
  readonly cookieName: string | null;
  readonly ttlSecs: number | null;
  readonly rolling: boolean | null;
  /** `auto` (Secure over TLS), or forced on/off. */
  readonly secure: boolean | 'auto';
  /**
   * `memory` (this process), `redis` (the client handed to `createGateway`) or `sql` (the
   * SQL store handed to `createGateway`; the `rws` binary makes it from `[database] url`).
   */
  readonly store: 'memory' | 'redis' | 'sql';
  /** Key prefix in Redis; null = the store's default. */
  readonly redisPrefix: string | null;
}

/** The provider presets `[oidc] preset` names (`@rws/identity/oidc`). */
export type GatewayOidcPreset = 'google' | 'microsoft' | 'github' | 'okta' | 'auth0' | 'keycloak';

/** `[oidc]`: OpenID Connect login (relying party) for the whole gateway. */
export interface GatewayOidc {
  /** The issuer URL, when no preset is named. */
  readonly issuer: string | null;
  readonly preset: GatewayOidcPreset | null;
  /** Preset settings: `tenant` (microsoft), `domain` (okta, auth0), `base_url` + `realm` (keycloak). */
  readonly tenant: string | null;
  readonly domain: string | null;
  readonly authorizationServerId: string | null;
  readonly baseUrl: string | null;
  readonly realm: string | null;
  readonly clientId: string;
  /** A secret reference; null for a public client (PKCE only). */
  readonly clientSecret: string | null;
  readonly redirectUri: string | null;
  readonly loginPath: string | null;
  readonly callbackPath: string | null;
  readonly logoutPath: string | null;
  readonly postLogoutRedirectUri: string | null;
  readonly scopes: readonly string[] | null;
  readonly fetchUserinfo: boolean | null;
}

/** `forward_claims`: the logged-in user's claims to the upstream as a signed header. */
export interface GatewayForwardClaims {
  readonly header: string | null;
  /** HMAC secret reference, or null when `private_key_file` signs. */
  readonly secret: string | null;
  readonly privateKeyFile: string | null;
  /** Null: HS256 for a secret; required with a private key. */
  readonly algorithm: string | null;
  readonly keyId: string | null;
  readonly claims: readonly string[] | null;
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly expiresInSecs: number | null;
}
