/** @module */

export type {
  AuthorizationServerClient,
  AuthorizationServerOptions,
} from './authorization-server.js';
export { authorizationServer } from './authorization-server.js';
export type { AuthenticateHook, AuthorizationRequestDetails } from './authorize-endpoint.js';
export { hashClientSecret } from './client-secret.js';
export type {
  OAuth2ClientRecord,
  OAuth2GrantRecord,
  OAuth2Store,
  OAuth2StoreCallOptions,
  OAuth2TokenRecord,
} from './oauth2-store.js';
export { createMemoryOAuth2Store } from './stores/memory.js';
