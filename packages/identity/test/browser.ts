// The cookie-keeping test browser now lives in @rws/test-helpers/oidc (shared with the
// gateway's tests in @rws/proxy); this module keeps the identity tests' imports short.
export type { FollowOptions, Page } from '@rws/test-helpers/oidc';
export { Browser } from '@rws/test-helpers/oidc';
