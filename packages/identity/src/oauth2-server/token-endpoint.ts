import type { Request, Response } from '@rws/core';
import { base64url, type CryptoKey, type JWTPayload, SignJWT } from 'jose';
import { credentialsOf, noStore, oauthError, tokenHash } from '../internal/oauth-http.js';
import { randomToken } from '../internal/random.js';
import { verifyClientSecret } from './client-secret.js';
import type { OAuth2ClientRecord, OAuth2GrantRecord, OAuth2Store } from './oauth2-store.js';

/** The key that signs access tokens. */
export interface Signer {
  key: CryptoKey | Uint8Array;
  kid: string;
  alg: string;
}

interface TokenEndpointOptions {
  issuer: string;
  audience: string;
  store: OAuth2Store;
  signer: Signer;
  ttls: { accessSec: number; codeSec: number; refreshSec: number };
  verifyAccessToken(token: string): Promise<JWTPayload | null>;
}

type Endpoint = (req: Request, form: URLSearchParams) => Promise<Response>;

// A hash no secret matches: an unknown client id still costs one PBKDF2 run, so timing does
// not tell which ids exist.
const DUMMY_HASH =
  'pbkdf2-sha256$50000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

const invalidGrant = (why: string): Response => oauthError(400, 'invalid_grant', why);

async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url.encode(new Uint8Array(digest));
}

/** The token, introspection and revocation endpoints, and the code issuer they share. */
export function createTokenEndpoint(o: TokenEndpointOptions): {
  issueCode(data: Record<string, string>): Promise<string>;
  token: Endpoint;
  introspect: Endpoint;
  revoke: Endpoint;
} {
  const { store, ttls } = o;

  /** The client of a request: confidential by secret, public by id alone; else an error answer. */
  async function clientOf(
    req: Request,
    form: URLSearchParams,
    allowPublic: boolean,
  ): Promise<OAuth2ClientRecord | Response> {
    const credentials = credentialsOf(req, form);
    if (credentials === 'ambiguous')
      return oauthError(400, 'invalid_request', 'client credentials given twice (header and body)');
    const client = credentials === 'none' ? null : await store.getClient(credentials.id);
    const secret = credentials === 'none' ? null : credentials.secret;
    if (client !== null && client.secretHash === null && secret === null && allowPublic)
      return client;
    const isValid = await verifyClientSecret(secret ?? '', client?.secretHash ?? DUMMY_HASH);
    if (client === null || secret === null || !isValid)
      return oauthError(401, 'invalid_client', 'client authentication failed');
    return client;
  }

  async function accessToken(
    client: OAuth2ClientRecord,
    sub: string,
    scope: string,
    grantId: string | null,
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = { client_id: client.clientId };
    if (scope.length > 0) claims['scope'] = scope;
    // The grant id lets introspection see a revoked grant; it is random and says nothing else.
    if (grantId !== null) claims['sid'] = grantId;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: o.signer.alg, kid: o.signer.kid, typ: 'at+jwt' })
      .setIssuer(o.issuer)
      .setSubject(sub)
      .setAudience(o.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttls.accessSec)
      .setJti(randomToken(16))
      .sign(o.signer.key);
  }

  async function tokenResponse(
    client: OAuth2ClientRecord,
    grant: OAuth2GrantRecord | null,
    sub: string,
    scope: string,
  ): Promise<Response> {
    const body: Record<string, unknown> = {
      access_token: await accessToken(client, sub, scope, grant?.id ?? null),
      token_type: 'Bearer',
      expires_in: ttls.accessSec,
    };
    if (scope.length > 0) body['scope'] = scope;
    if (grant !== null) {
      // Rotation: every refresh answers with a new refresh token; the old one is used up.
      const refresh = randomToken(32);
      await store.putToken(await tokenHash(refresh), {
        kind: 'refresh',
        grantId: grant.id,
        expiresAt: grant.expiresAt,
      });
      body['refresh_token'] = refresh;
    }
    return noStore(body);
  }

  function requestedScope(form: URLSearchParams, allowed: readonly string[]): string[] | null {
    const asked = [...new Set((form.get('scope') ?? '').split(' ').filter((s) => s.length > 0))];
    return asked.some((s) => !allowed.includes(s)) ? null : asked;
  }

  async function clientCredentials(
    client: OAuth2ClientRecord,
    form: URLSearchParams,
  ): Promise<Response> {
    if (client.secretHash === null)
      return oauthError(
        400,
        'unauthorized_client',
        'a public client cannot use client_credentials',
      );
    const asked = requestedScope(form, client.scopes);
    if (asked === null)
      return oauthError(400, 'invalid_scope', 'a requested scope is not allowed for this client');
    // No scope asked: everything the client may have (RFC 6749 §3.3 lets the server choose).
    const granted = asked.length > 0 ? asked : client.scopes;
    return tokenResponse(client, null, client.clientId, granted.join(' '));
  }

  async function authorizationCode(
    client: OAuth2ClientRecord,
    form: URLSearchParams,
  ): Promise<Response> {
    const code = form.get('code');
    if (code === null) return oauthError(400, 'invalid_request', 'code is missing');
    const used = await store.useToken(await tokenHash(code));
    if (used === null || used.token.kind !== 'code')
      return invalidGrant('unknown authorization code');
    const { token } = used;
    const data = token.data ?? {};
    if (!used.isFirstUse) {
      // RFC 6749 §4.1.2: a code used twice may be stolen; what it bought is revoked.
      await store.revokeGrant(
        token.grantId,
        data['clientId'] ?? '',
        Date.now() + ttls.refreshSec * 1000,
      );
      return invalidGrant('authorization code already used; its tokens are revoked');
    }
    if (token.expiresAt <= Date.now()) return invalidGrant('authorization code expired');
    if (data['clientId'] !== client.clientId)
      return invalidGrant('code was issued to another client');
    const redirectUri = form.get('redirect_uri');
    if (
      (data['redirectUriSent'] === '1' || redirectUri !== null) &&
      redirectUri !== data['redirectUri']
    )
      return invalidGrant('redirect_uri differs from the authorization request');
    const challenge = data['challenge'] ?? '';
    const verifier = form.get('code_verifier');
    if (challenge !== '' || verifier !== null) {
      // RFC 7636 §4.6; a verifier without a challenge is refused too (PKCE downgrade, RFC 9700 §4.8).
      if (
        verifier === null ||
        !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) ||
        (await s256(verifier)) !== challenge
      )
        return invalidGrant('PKCE code_verifier does not match the code_challenge');
    }
    const grant: OAuth2GrantRecord = {
      id: token.grantId,
      clientId: client.clientId,
      sub: data['sub'] ?? '',
      scope: data['scope'] ?? '',
      expiresAt: Date.now() + ttls.refreshSec * 1000,
      isRevoked: false,
    };
    await store.putGrant(grant);
    // A replay of this code may have revoked the grant while it was being exchanged.
    if ((await store.getGrant(grant.id))?.isRevoked !== false)
      return invalidGrant('the grant was revoked while the code was exchanged');
    return tokenResponse(client, grant, grant.sub, grant.scope);
  }

  async function refreshToken(
    client: OAuth2ClientRecord,
    form: URLSearchParams,
  ): Promise<Response> {
    const refresh = form.get('refresh_token');
    if (refresh === null) return oauthError(400, 'invalid_request', 'refresh_token is missing');
    const used = await store.useToken(await tokenHash(refresh));
    if (used === null || used.token.kind !== 'refresh')
      return invalidGrant('unknown refresh token');
    const grant = await store.getGrant(used.token.grantId);
    if (grant === null || grant.clientId !== client.clientId)
      return invalidGrant('refresh token was issued to another client');
    if (!used.isFirstUse) {
      // Reuse detection (RFC 9700 §4.14.2): one of two holders is an attacker; end the family.
      await store.revokeGrant(grant.id, grant.clientId, grant.expiresAt);
      return invalidGrant('refresh token already used; the grant is revoked');
    }
    if (grant.isRevoked) return invalidGrant('the grant is revoked');
    if (grant.expiresAt <= Date.now() || used.token.expiresAt <= Date.now())
      return invalidGrant('refresh token expired');
    const granted = grant.scope.split(' ').filter((s) => s.length > 0);
    const asked = requestedScope(form, granted);
    if (asked === null) return oauthError(400, 'invalid_scope', 'scope exceeds the original grant');
    return tokenResponse(client, grant, grant.sub, (asked.length > 0 ? asked : granted).join(' '));
  }

  /** An access token's grant id: its `sid`, or for client_credentials tokens one per `jti`. */
  const grantIdOf = (p: JWTPayload): string =>
    typeof p['sid'] === 'string' ? p['sid'] : `jti:${p.jti}`;

  /** What a token is, when it is live: an access token's claims or a refresh token's grant. */
  async function lookup(
    token: string,
  ): Promise<
    | { kind: 'access'; claims: JWTPayload; grantId: string }
    | { kind: 'refresh'; grant: OAuth2GrantRecord; expiresAt: number }
    | null
  > {
    const claims = await o.verifyAccessToken(token);
    if (claims !== null) {
      const grant = await store.getGrant(grantIdOf(claims));
      return grant?.isRevoked === true
        ? null
        : { kind: 'access', claims, grantId: grantIdOf(claims) };
    }
    const found = await store.getToken(await tokenHash(token));
    if (found === null || found.isUsed || found.token.kind !== 'refresh') return null;
    const grant = await store.getGrant(found.token.grantId);
    const now = Date.now();
    if (grant === null || grant.isRevoked || grant.expiresAt <= now || found.token.expiresAt <= now)
      return null;
    return { kind: 'refresh', grant, expiresAt: found.token.expiresAt };
  }

  return {
    async issueCode(data) {
      const code = randomToken(32);
      await store.putToken(await tokenHash(code), {
        kind: 'code',
        grantId: randomToken(16),
        expiresAt: Date.now() + ttls.codeSec * 1000,
        data,
      });
      return code;
    },

    async token(req, form) {
      const grantType = form.get('grant_type');
      const client = await clientOf(req, form, grantType !== 'client_credentials');
      if (!('clientId' in client)) return client;
      if (grantType === null) return oauthError(400, 'invalid_request', 'grant_type is missing');
      if (grantType === 'client_credentials') return clientCredentials(client, form);
      if (grantType === 'authorization_code') return authorizationCode(client, form);
      if (grantType === 'refresh_token') return refreshToken(client, form);
      return oauthError(
        400,
        'unsupported_grant_type',
        'supported: authorization_code, refresh_token, client_credentials',
      );
    },

    /** RFC 7662: for confidential clients (resource servers); anything not live is `active: false`. */
    async introspect(req, form) {
      const client = await clientOf(req, form, false);
      if (!('clientId' in client)) return client;
      const token = form.get('token');
      if (token === null) return oauthError(400, 'invalid_request', 'token is missing');
      const found = await lookup(token);
      if (found === null) return noStore({ active: false });
      if (found.kind === 'access') {
        const c = found.claims;
        return noStore({
          active: true,
          token_type: 'Bearer',
          client_id: c['client_id'],
          sub: c.sub,
          scope: c['scope'],
          iss: c.iss,
          aud: c.aud,
          exp: c.exp,
          iat: c.iat,
          jti: c.jti,
        });
      }
      return noStore({
        active: true,
        token_type: 'refresh_token',
        client_id: found.grant.clientId,
        sub: found.grant.sub,
        scope: found.grant.scope,
        iss: o.issuer,
        exp: Math.floor(found.expiresAt / 1000),
      });
    },

    /**
     * RFC 7009: revokes the token's whole grant (its refresh tokens, and its access tokens as
     * seen by introspection). Unknown tokens and other clients' tokens are answered 200 too
     * (§2.2), so the endpoint tells nobody which tokens exist.
     */
    async revoke(req, form) {
      const client = await clientOf(req, form, true);
      if (!('clientId' in client)) return client;
      const token = form.get('token');
      if (token === null) return oauthError(400, 'invalid_request', 'token is missing');
      const found = await lookup(token);
      if (found?.kind === 'access' && found.claims['client_id'] === client.clientId) {
        const exp = (found.claims.exp ?? 0) * 1000;
        await store.revokeGrant(
          found.grantId,
          client.clientId,
          Math.max(exp, Date.now() + ttls.refreshSec * 1000),
        );
      } else if (found?.kind === 'refresh' && found.grant.clientId === client.clientId) {
        await store.revokeGrant(found.grant.id, client.clientId, found.grant.expiresAt);
      }
      return noStore({});
    },
  };
}
