import { expect, it } from 'vitest';

it('exports of @rws/identity', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
    ]
  `);
});

it('exports of @rws/identity/oidc', async () => {
  expect(Object.keys(await import('../src/oidc/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "auth0",
      "createDiscovery",
      "forwardClaims",
      "getOidcUser",
      "github",
      "githubClaims",
      "google",
      "keycloak",
      "microsoft",
      "oidcLogin",
      "okta",
      "validateIdToken",
    ]
  `);
});

it('exports of @rws/identity/oauth2-server', async () => {
  expect(Object.keys(await import('../src/oauth2-server/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "authorizationServer",
      "createMemoryOAuth2Store",
      "hashClientSecret",
    ]
  `);
});

it('exports of @rws/identity/oauth2-server/sql', async () => {
  expect(
    Object.keys(await import('../src/oauth2-server/stores/sql.js')).sort(),
  ).toMatchInlineSnapshot(`
    [
      "createSqlOAuth2Store",
    ]
  `);
});

it('exports of @rws/identity/saml', async () => {
  expect(Object.keys(await import('../src/saml/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "createMemoryReplayCache",
      "getSamlUser",
      "samlLogin",
    ]
  `);
});
