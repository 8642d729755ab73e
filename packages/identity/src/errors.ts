/**
 * Every error code @rws/identity throws. docs/errors.md has one row per code; a test keeps the
 * two in step.
 */
export const ERROR_CODES = {
  OIDC_INVALID_OPTIONS: 'RWS_IDENTITY_OIDC_INVALID_OPTIONS',
  OIDC_DISCOVERY_FAILED: 'RWS_IDENTITY_OIDC_DISCOVERY_FAILED',
  OIDC_STATE_MISMATCH: 'RWS_IDENTITY_OIDC_STATE_MISMATCH',
  OIDC_PROVIDER_ERROR: 'RWS_IDENTITY_OIDC_PROVIDER_ERROR',
  OIDC_TOKEN_REQUEST_FAILED: 'RWS_IDENTITY_OIDC_TOKEN_REQUEST_FAILED',
  OIDC_ID_TOKEN_INVALID: 'RWS_IDENTITY_OIDC_ID_TOKEN_INVALID',
  OIDC_USERINFO_FAILED: 'RWS_IDENTITY_OIDC_USERINFO_FAILED',
  OIDC_NOT_AUTHENTICATED: 'RWS_IDENTITY_OIDC_NOT_AUTHENTICATED',
  OIDC_NOT_INSTALLED: 'RWS_IDENTITY_OIDC_NOT_INSTALLED',
  OIDC_CROSS_SITE_LOGOUT: 'RWS_IDENTITY_OIDC_CROSS_SITE_LOGOUT',
  OIDC_FORWARD_CLAIMS_INVALID_OPTIONS: 'RWS_IDENTITY_OIDC_FORWARD_CLAIMS_INVALID_OPTIONS',
  OAUTH2_INVALID_OPTIONS: 'RWS_IDENTITY_OAUTH2_INVALID_OPTIONS',
  OAUTH2_STORE_FAILED: 'RWS_IDENTITY_OAUTH2_STORE_FAILED',
  SAML_INVALID_OPTIONS: 'RWS_IDENTITY_SAML_INVALID_OPTIONS',
  SAML_LIBRARY_MISSING: 'RWS_IDENTITY_SAML_LIBRARY_MISSING',
  SAML_REQUEST_INVALID: 'RWS_IDENTITY_SAML_REQUEST_INVALID',
  SAML_RESPONSE_INVALID: 'RWS_IDENTITY_SAML_RESPONSE_INVALID',
  SAML_ASSERTION_REPLAYED: 'RWS_IDENTITY_SAML_ASSERTION_REPLAYED',
  SAML_LOGOUT_INVALID: 'RWS_IDENTITY_SAML_LOGOUT_INVALID',
  SAML_NOT_AUTHENTICATED: 'RWS_IDENTITY_SAML_NOT_AUTHENTICATED',
  SAML_NOT_INSTALLED: 'RWS_IDENTITY_SAML_NOT_INSTALLED',
} as const;

/** A code string of `ERROR_CODES`. */
export type IdentityErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** A one-line description of each code, keyed by the code string. */
export const ERROR_DESCRIPTIONS: Readonly<Record<string, string>> = {
  RWS_IDENTITY_OIDC_INVALID_OPTIONS:
    'oidcLogin() or a provider preset was given a missing, mistyped or out-of-range option.',
  RWS_IDENTITY_OIDC_DISCOVERY_FAILED:
    'The OpenID Provider metadata could not be fetched, is not JSON, lacks a required endpoint, or names another issuer (502).',
  RWS_IDENTITY_OIDC_STATE_MISMATCH:
    'The login callback carries no state, or one this session never sent or already used (400).',
  RWS_IDENTITY_OIDC_PROVIDER_ERROR:
    'The provider answered the authorization request with an error (access_denied…) or a wrong iss parameter (401).',
  RWS_IDENTITY_OIDC_TOKEN_REQUEST_FAILED:
    'The token endpoint refused the code or refresh token (401), or failed or answered something that is not a token response (502).',
  RWS_IDENTITY_OIDC_ID_TOKEN_INVALID:
    'The ID token failed validation: signature, algorithm, iss, aud, azp, exp, iat or nonce (401).',
  RWS_IDENTITY_OIDC_USERINFO_FAILED:
    'The userinfo endpoint failed, answered something that is not a JSON object, or named another subject (502).',
  RWS_IDENTITY_OIDC_NOT_AUTHENTICATED:
    'The request needs a logged-in user (requireUser(), refresh()) and its session has none (401).',
  RWS_IDENTITY_OIDC_NOT_INSTALLED:
    'getOidcUser() was called on a request that did not pass the oidcLogin() middleware (500).',
  RWS_IDENTITY_OIDC_CROSS_SITE_LOGOUT:
    'A POST to the logout route of oidcLogin() or samlLogin() came from another site (Sec-Fetch-Site or Origin), so it was refused (403).',
  RWS_IDENTITY_OIDC_FORWARD_CLAIMS_INVALID_OPTIONS:
    'forwardClaims() was given a bad header name, claim list, signing key, algorithm, issuer, audience or lifetime.',
  RWS_IDENTITY_OAUTH2_INVALID_OPTIONS:
    'authorizationServer() or createSqlOAuth2Store() was given a bad issuer, client, signing key, token lifetime, db or table prefix.',
  RWS_IDENTITY_OAUTH2_STORE_FAILED:
    'The SQL OAuth 2 store could not create its tables or read or write a client, grant or token (500).',
  RWS_IDENTITY_SAML_INVALID_OPTIONS:
    'samlLogin() or createMemoryReplayCache() was given a missing, mistyped or out-of-range option.',
  RWS_IDENTITY_SAML_LIBRARY_MISSING:
    'The optional peer dependencies @node-saml/node-saml and @xmldom/xmldom are not installed (500).',
  RWS_IDENTITY_SAML_REQUEST_INVALID:
    'A request to the ACS route carries no SAMLResponse, or no login is in flight in this browser and unsolicited responses are off (400).',
  RWS_IDENTITY_SAML_RESPONSE_INVALID:
    'The SAMLResponse failed validation: signature, issuer, audience, Destination, Recipient, InResponseTo, NotBefore/NotOnOrAfter or status (401).',
  RWS_IDENTITY_SAML_ASSERTION_REPLAYED:
    'The assertion of the SAMLResponse was already used for a login (401).',
  RWS_IDENTITY_SAML_LOGOUT_INVALID:
    'A LogoutRequest or LogoutResponse sent to the SLO route is unsigned, badly signed, from another issuer, failed, or answers no logout of this browser (400).',
  RWS_IDENTITY_SAML_NOT_AUTHENTICATED:
    'The request needs a SAML-logged-in user (requireUser()) and its session has none (401).',
  RWS_IDENTITY_SAML_NOT_INSTALLED:
    'getSamlUser() was called on a request that did not pass the samlLogin() middleware (500).',
};
