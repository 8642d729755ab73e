/** @module */

export type { Discovery, DiscoveryOptions } from './discovery.js';
export { createDiscovery } from './discovery.js';
export type { ForwardClaimsOptions } from './forward-claims.js';
export { forwardClaims } from './forward-claims.js';
export type { IdTokenExpectations } from './id-token.js';
export { validateIdToken } from './id-token.js';
export type { OidcLogin, OidcLoginOptions, OidcRoutes } from './oidc-login.js';
export { getOidcUser, oidcLogin } from './oidc-login.js';
export type { OidcProvider } from './presets.js';
export { auth0, github, githubClaims, google, keycloak, microsoft, okta } from './presets.js';
export type { ClientAuthMethod } from './token-client.js';
export type { FetchLike, OidcClaims, OidcProviderMetadata, OidcUser } from './types.js';
