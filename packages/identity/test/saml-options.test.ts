import { isRwsError } from '@rws/core';
import { describe, expect, test } from 'vitest';
import { createMemoryReplayCache, type SamlLoginOptions, samlLogin } from '../src/saml/index.js';

const valid: SamlLoginOptions = {
  baseUrl: 'https://app.example.com',
  idp: {
    entityId: 'https://idp.example.com/metadata',
    ssoUrl: 'https://idp.example.com/sso',
    certs: 'MIIC...',
  },
};

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return isRwsError(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return undefined;
}

describe('samlLogin() options', () => {
  test.each([
    ['no baseUrl', { baseUrl: 'app.example.com' }, 'baseUrl must be an absolute URL'],
    ['a baseUrl with a path', { baseUrl: 'https://app.example.com/sub' }, 'without a path'],
    ['no idp entity ID', { idp: { ...valid.idp, entityId: '' } }, 'idp.entityId is required'],
    ['a relative SSO URL', { idp: { ...valid.idp, ssoUrl: '/sso' } }, 'idp.ssoUrl must be'],
    ['no IdP certificate', { idp: { ...valid.idp, certs: [] } }, 'idp.certs must hold'],
    ['a route that is not a path', { routes: { acs: 'acs' } }, 'routes.acs must be a path'],
    ['a negative clock tolerance', { clockToleranceSec: -1 }, 'clockToleranceSec'],
    ['a signing pair without cert', { signing: { privateKey: 'k' } as never }, 'signing must be'],
  ])('%s is refused with RWS_IDENTITY_SAML_INVALID_OPTIONS', (_name, patch, message) => {
    const got = codeOf(() => samlLogin({ ...valid, ...(patch as Partial<SamlLoginOptions>) }));
    expect(got).toContain('RWS_IDENTITY_SAML_INVALID_OPTIONS');
    expect(got).toContain(message);
  });

  test('valid options build the middleware without loading the SAML library yet', () => {
    const login = samlLogin(valid);
    expect(typeof login.handle).toBe('function');
  });
});

describe('createMemoryReplayCache()', () => {
  test('an ID is usable once until it expires', () => {
    let now = 1_000;
    const cache = createMemoryReplayCache({ now: () => now });
    expect(cache.use('_a', 2_000)).toBe(true);
    expect(cache.use('_a', 2_000)).toBe(false);
    now = 2_000;
    expect(cache.use('_a', 3_000)).toBe(true);
  });

  test('stays bounded: when full, expired IDs go first, then the ones closest to expiry', () => {
    let now = 0;
    const cache = createMemoryReplayCache({ maxEntries: 3, now: () => now });
    cache.use('_soon', 10);
    cache.use('_mid', 100);
    cache.use('_late', 1_000);
    now = 20; // _soon has expired
    expect(cache.use('_new', 500)).toBe(true);
    expect(cache.use('_mid', 100)).toBe(false);
    expect(cache.use('_late', 1_000)).toBe(false);
    // Full again with nothing expired: the ID closest to expiry (_mid) makes room.
    expect(cache.use('_newer', 2_000)).toBe(true);
    expect(cache.use('_late', 1_000)).toBe(false);
    expect(cache.use('_newer', 2_000)).toBe(false);
  });

  test('maxEntries must be a positive integer', () => {
    expect(codeOf(() => createMemoryReplayCache({ maxEntries: 0 }))).toContain(
      'RWS_IDENTITY_SAML_INVALID_OPTIONS',
    );
  });
});
