/**
 * OIDC test peers, a subpath of its own so that tests which do not log anyone in never load
 * oidc-provider: a real OpenID Provider (`startOidcPeer`) and a cookie-keeping browser that
 * follows redirects and submits the provider's forms (`Browser`).
 *
 * @module
 */
export type { FollowOptions, Page } from './browser.js';
export { Browser } from './browser.js';
export type { OidcPeer, PeerClient } from './oidc-peer.js';
export { startOidcPeer } from './oidc-peer.js';
