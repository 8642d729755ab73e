/** The `fetch` the login code uses for discovery, JWKS, token and userinfo requests. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The provider metadata fields the relying party uses.
 * @see OpenID Connect Discovery 1.0 §3, RFC 8414 §2
 */
export interface OidcProviderMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri?: string | undefined;
  readonly userinfo_endpoint?: string | undefined;
  readonly end_session_endpoint?: string | undefined;
  readonly id_token_signing_alg_values_supported?: readonly string[] | undefined;
  readonly code_challenge_methods_supported?: readonly string[] | undefined;
  readonly [key: string]: unknown;
}

/** Claims about the user: the ID token's, merged with userinfo's when that is fetched. */
export type OidcClaims = Readonly<Record<string, unknown>> & { readonly sub: string };

/** The logged-in user as handlers see it (`getOidcUser(req)`). */
export interface OidcUser {
  /** The subject: the provider's stable id of the user. */
  readonly sub: string;
  readonly claims: OidcClaims;
  readonly accessToken: string;
  /** The raw ID token (absent for plain OAuth 2 providers such as GitHub). */
  readonly idToken: string | undefined;
  readonly refreshToken: string | undefined;
  /** When the access token expires (ms since the epoch), when the provider said. */
  readonly expiresAt: number | undefined;
  /** The granted scope, when the provider said. */
  readonly scope: string | undefined;
}
