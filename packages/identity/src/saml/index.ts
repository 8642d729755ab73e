/** @module */

export type { MemoryReplayCacheOptions, SamlReplayCache } from './replay-cache.js';
export { createMemoryReplayCache } from './replay-cache.js';
export type {
  NodeSamlInstance,
  NodeSamlProfile,
  NodeSamlResult,
  SamlLibraries,
} from './saml-library.js';
export type { SamlLogin, SamlLoginOptions } from './saml-login.js';
export { getSamlUser, samlLogin } from './saml-login.js';
export type {
  SamlAttributes,
  SamlIdentityProvider,
  SamlKeyPair,
  SamlLogoutRequest,
  SamlRoutes,
  SamlUser,
} from './types.js';
