import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import type { OidcClaims, OidcProviderMetadata } from './types.js';

/**
 * Where and how to log in: an OpenID Provider found by discovery (`kind: 'oidc'`), or a plain
 * OAuth 2 provider with fixed endpoints whose user comes from a userinfo API (GitHub).
 */
export interface OidcProvider {
  /** `oidc` (default): ID tokens, discovery, nonce. `oauth2`: no ID token, userinfo only. */
  readonly kind?: 'oidc' | 'oauth2' | undefined;
  /** The issuer identifier (discovery URL base for `oidc`; a label for `oauth2`). */
  readonly issuer: string;
  /** The issuer the discovery document must name, when it differs (Microsoft `common`). */
  readonly discoveryIssuer?: string | undefined;
  /** Metadata given up front: skips discovery for `oidc`, required for `oauth2`. */
  readonly metadata?: OidcProviderMetadata | undefined;
  /** Scopes asked for when the app names none. */
  readonly scopes?: readonly string[] | undefined;
  /**
   * Accepts the ID token's `iss` when it is not the issuer itself (Microsoft's multi-tenant
   * endpoints, where `iss` names the user's tenant). Default: `iss` must equal `issuer`.
   */
  readonly isValidIssuer?:
    | ((iss: string, claims: Readonly<Record<string, unknown>>) => boolean)
    | undefined;
  /** Turns a userinfo answer into claims (`oauth2` providers, whose answers have no `sub`). */
  readonly mapUserinfo?: ((info: Readonly<Record<string, unknown>>) => OidcClaims) | undefined;
}

function fail(preset: string, message: string): never {
  throw new RwsError(ERROR_CODES.OIDC_INVALID_OPTIONS, `${preset}: ${message}`);
}

/** A bare DNS host name (`dev-123.okta.com`): no scheme, path, port or user info. */
function checkDomain(preset: string, domain: unknown): string {
  if (
    typeof domain !== 'string' ||
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(domain)
  ) {
    fail(preset, `domain must be a host name such as "example.com", got ${JSON.stringify(domain)}`);
  }
  return domain.toLowerCase();
}

const OIDC_SCOPES = ['openid', 'profile', 'email'] as const;

/** Google accounts. @see https://developers.google.com/identity/openid-connect/openid-connect */
export function google(): OidcProvider {
  return { issuer: 'https://accounts.google.com', scopes: OIDC_SCOPES };
}

const MS_MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);

/**
 * Microsoft Entra ID (v2.0 endpoints). `tenant` is a tenant id or domain, or `common`,
 * `organizations` or `consumers` (multi-tenant: the ID token's `iss` names the user's own tenant
 * and is checked against its `tid` claim).
 */
export function microsoft(options: { tenant?: string | undefined } = {}): OidcProvider {
  const tenant = options.tenant ?? 'common';
  if (!/^[A-Za-z0-9.-]+$/.test(tenant)) {
    fail('microsoft', `tenant must be an id, a domain or "common", got ${JSON.stringify(tenant)}`);
  }
  const issuer = `https://login.microsoftonline.com/${tenant}/v2.0`;
  if (!MS_MULTI_TENANT.has(tenant)) return { issuer, scopes: OIDC_SCOPES };
  return {
    issuer,
    discoveryIssuer: 'https://login.microsoftonline.com/{tenantid}/v2.0',
    scopes: OIDC_SCOPES,
    isValidIssuer: (iss, claims) =>
      typeof claims['tid'] === 'string' &&
      iss === `https://login.microsoftonline.com/${claims['tid']}/v2.0`,
  };
}

/**
 * GitHub: plain OAuth 2 (no ID token), the user from `GET https://api.github.com/user`; `sub`
 * is the numeric account id (stable across renames), `preferred_username` the login.
 */
export function github(): OidcProvider {
  return {
    kind: 'oauth2',
    issuer: 'https://github.com',
    metadata: {
      issuer: 'https://github.com',
      authorization_endpoint: 'https://github.com/login/oauth/authorize',
      token_endpoint: 'https://github.com/login/oauth/access_token',
      userinfo_endpoint: 'https://api.github.com/user',
    },
    scopes: ['read:user', 'user:email'],
    mapUserinfo: githubClaims,
  };
}

/** Claims from a GitHub `/user` answer. */
export function githubClaims(info: Readonly<Record<string, unknown>>): OidcClaims {
  const id = info['id'];
  if (typeof id !== 'number' && typeof id !== 'string') {
    throw new RwsError(ERROR_CODES.OIDC_USERINFO_FAILED, 'github: /user answered without an id', {
      status: 502,
    });
  }
  const claims: Record<string, unknown> = { sub: String(id) };
  const copy = (from: string, to: string): void => {
    if (typeof info[from] === 'string') claims[to] = info[from];
  };
  copy('login', 'preferred_username');
  copy('name', 'name');
  copy('email', 'email');
  copy('avatar_url', 'picture');
  copy('html_url', 'profile');
  return claims as OidcClaims;
}

/** Okta: the org server, or a custom authorization server by id (`default`…). */
export function okta(options: {
  domain: string;
  authorizationServerId?: string | undefined;
}): OidcProvider {
  const domain = checkDomain('okta', options?.domain);
  const server = options.authorizationServerId;
  if (server !== undefined && !/^[A-Za-z0-9]+$/.test(server)) {
    fail('okta', `authorizationServerId must be alphanumeric, got ${JSON.stringify(server)}`);
  }
  const issuer = server === undefined ? `https://${domain}` : `https://${domain}/oauth2/${server}`;
  return { issuer, scopes: OIDC_SCOPES };
}

/** Auth0: the tenant domain (`my-app.eu.auth0.com` or a custom domain). Its issuer ends in `/`. */
export function auth0(options: { domain: string }): OidcProvider {
  const domain = checkDomain('auth0', options?.domain);
  return { issuer: `https://${domain}/`, scopes: OIDC_SCOPES };
}

/** Keycloak: a realm on a server (`https://sso.example.com`, or with `/auth` for old versions). */
export function keycloak(options: { baseUrl: string; realm: string }): OidcProvider {
  const base = options?.baseUrl;
  if (
    typeof base !== 'string' ||
    !URL.canParse(base) ||
    !/^https?:$/.test(new URL(base).protocol)
  ) {
    fail('keycloak', `baseUrl must be an http(s) URL, got ${JSON.stringify(base)}`);
  }
  const realm = options.realm;
  if (typeof realm !== 'string' || realm.length === 0 || /[/?#\s]/.test(realm)) {
    fail('keycloak', `realm must be a realm name, got ${JSON.stringify(realm)}`);
  }
  return {
    issuer: `${base.replace(/\/+$/, '')}/realms/${encodeURIComponent(realm)}`,
    scopes: OIDC_SCOPES,
  };
}
