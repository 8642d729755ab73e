// The OpenID Provider peer now lives in @rws/test-helpers/oidc (the gateway's tests in
// @rws/proxy use it too); this module keeps the identity tests' imports short.
export type { OidcPeer, PeerClient } from '@rws/test-helpers/oidc';
export { startOidcPeer } from '@rws/test-helpers/oidc';
