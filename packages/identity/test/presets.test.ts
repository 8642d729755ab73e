import { isRwsError } from '@rws/core';
import { describe, expect, test } from 'vitest';
import { safeReturnTo } from '../src/internal/return-to.js';
import {
  auth0,
  github,
  githubClaims,
  google,
  keycloak,
  microsoft,
  oidcLogin,
  okta,
} from '../src/oidc/index.js';

describe('provider presets', () => {
  test('issuers', () => {
    expect(google().issuer).toBe('https://accounts.google.com');
    expect(microsoft({ tenant: 'contoso.onmicrosoft.com' }).issuer).toBe(
      'https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0',
    );
    expect(okta({ domain: 'dev-1.okta.com' }).issuer).toBe('https://dev-1.okta.com');
    expect(okta({ domain: 'dev-1.okta.com', authorizationServerId: 'default' }).issuer).toBe(
      'https://dev-1.okta.com/oauth2/default',
    );
    expect(auth0({ domain: 'acme.eu.auth0.com' }).issuer).toBe('https://acme.eu.auth0.com/');
    expect(keycloak({ baseUrl: 'https://sso.example.com/', realm: 'staff' }).issuer).toBe(
      'https://sso.example.com/realms/staff',
    );
    expect(github()).toMatchObject({
      kind: 'oauth2',
      metadata: { token_endpoint: 'https://github.com/login/oauth/access_token' },
    });
  });

  test("Microsoft multi-tenant: iss must name the token's own tenant", () => {
    const ms = microsoft();
    expect(ms.discoveryIssuer).toBe('https://login.microsoftonline.com/{tenantid}/v2.0');
    const tid = '9188040d-6c67-4c5b-b112-36a304b66dad';
    expect(ms.isValidIssuer?.(`https://login.microsoftonline.com/${tid}/v2.0`, { tid })).toBe(true);
    expect(
      ms.isValidIssuer?.(`https://login.microsoftonline.com/${tid}/v2.0`, { tid: 'other' }),
    ).toBe(false);
    expect(ms.isValidIssuer?.('https://evil.example/v2.0', {})).toBe(false);
  });

  test('bad preset options are RWS_IDENTITY_OIDC_INVALID_OPTIONS naming the option', () => {
    const cases: [() => unknown, string][] = [
      [() => okta({ domain: 'https://dev-1.okta.com' }), 'domain'],
      [() => auth0({ domain: 'evil.example/x' }), 'domain'],
      [() => keycloak({ baseUrl: 'ftp://x', realm: 'r' }), 'baseUrl'],
      [() => keycloak({ baseUrl: 'https://sso.example.com', realm: 'a/b' }), 'realm'],
      [() => microsoft({ tenant: 'a/b' }), 'tenant'],
    ];
    for (const [fn, word] of cases) {
      let caught: unknown;
      try {
        fn();
      } catch (err) {
        caught = err;
      }
      expect(isRwsError(caught, 'RWS_IDENTITY_OIDC_INVALID_OPTIONS'), word).toBe(true);
      expect((caught as Error).message).toContain(word);
    }
  });

  test('githubClaims maps /user to OIDC claims with the numeric id as sub', () => {
    expect(
      githubClaims({
        id: 583231,
        login: 'octocat',
        name: 'The Octocat',
        email: null,
        avatar_url: 'https://a/x.png',
      }),
    ).toEqual({
      sub: '583231',
      preferred_username: 'octocat',
      name: 'The Octocat',
      picture: 'https://a/x.png',
    });
    expect(() => githubClaims({ login: 'x' })).toThrow(/without an id/);
  });
});

describe('oidcLogin options', () => {
  test('missing or bad options fail at startup', () => {
    const base = { provider: google(), clientId: 'c', clientSecret: 's' };
    expect(() => oidcLogin({ ...base, clientId: '' })).toThrow(/clientId is required/);
    expect(() => oidcLogin({ ...base, scopes: ['email'] })).toThrow(/"openid"/);
    expect(() => oidcLogin({ ...base, redirectUri: '/cb' })).toThrow(/redirectUri/);
    expect(() => oidcLogin({ ...base, routes: { login: '//x' } })).toThrow(/routes.login/);
    expect(() =>
      oidcLogin({ ...base, clientSecret: undefined, clientAuthMethod: 'client_secret_post' }),
    ).toThrow(/clientSecret/);
    expect(() =>
      oidcLogin({ provider: { kind: 'oauth2', issuer: 'https://x.example' }, clientId: 'c' }),
    ).toThrow(/metadata/);
  });
});

describe('safeReturnTo', () => {
  test.each([
    ['/dashboard?tab=2#x', '/dashboard?tab=2#x'],
    ['/', '/'],
    ['//evil.example', '/home'],
    ['/\\evil.example', '/home'],
    ['https://evil.example/', '/home'],
    ['javascript:alert(1)', '/home'],
    ['/a\\b', '/home'],
    ['/a\r\nLocation: x', '/home'],
    ['', '/home'],
    [null, '/home'],
  ])('%j -> %j', (input, expected) => {
    expect(safeReturnTo(input, '/home')).toBe(expected);
  });
});
