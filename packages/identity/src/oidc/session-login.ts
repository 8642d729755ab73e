/** What `oidcLogin()` keeps in the session: started and finished logins. */
import type { OidcClaims, OidcUser } from './types.js';

/** A finished login as kept in the session (under `sessionKey`). */
export interface StoredLogin {
  claims: OidcClaims;
  accessToken: string;
  idToken?: string | undefined;
  refreshToken?: string | undefined;
  expiresAt?: number | undefined;
  scope?: string | undefined;
}

/** A started login awaiting its callback, kept in the session keyed by its `state`. */
export interface PendingLogin {
  nonce: string;
  verifier: string;
  returnTo: string;
  redirectUri: string;
  startedAt: number;
}

/** The user handlers see for a stored login. */
export function toUser(stored: StoredLogin): OidcUser {
  return {
    sub: stored.claims.sub,
    claims: stored.claims,
    accessToken: stored.accessToken,
    idToken: stored.idToken,
    refreshToken: stored.refreshToken,
    expiresAt: stored.expiresAt,
    scope: stored.scope,
  };
}
