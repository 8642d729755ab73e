/**
 * The authorization code grant (PKCE, state, exact redirect URIs, single-use codes), refresh
 * token rotation with reuse detection, introspection and revocation, driven by `openid-client`
 * over real sockets, on every store (memory, SQLite, PostgreSQL). Issue #23.
 */
import { json, text } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { jwtAuth, jwtClaims } from '@rws/middleware/auth';
import { getSession, session } from '@rws/middleware/session';
import type { Db } from '@rws/orm';
import { createApp } from '@rws/router';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type AuthenticateHook,
  authorizationServer,
  type OAuth2Store,
} from '../src/oauth2-server/index.js';
import { dropTables, STORE_TARGETS } from './oauth2-stores.js';

const WEB_SECRET = 'web-secret-0123456789';
const T = { timeout: 30_000 };

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'ES256' };
}

/** An app: session login at POST /login, the authorization server, and an API behind jwtAuth. */
async function startServer(
  store: OAuth2Store | undefined,
  extra: { authenticate?: AuthenticateHook; codeTtlSec?: number } = {},
): Promise<{ server: Http1Server; issuer: string; cb: string }> {
  let handler: Parameters<typeof createServer>[0] = () => json({});
  const server = createServer((req) => handler(req));
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  const issuer = `http://127.0.0.1:${port}`;
  const cb = 'https://client.example/cb';
  const app = createApp({ logger: { error() {} } });
  app.use(session({ keys: ['oauth2-test-session-key-0123456789'] }));
  app.use(
    await authorizationServer({
      issuer,
      store,
      loginUrl: '/login',
      clients: [
        {
          clientId: 'web',
          clientSecret: WEB_SECRET,
          scopes: ['read', 'write'],
          redirectUris: [cb, 'https://client.example/other'],
        },
        { clientId: 'spa', scopes: ['read'], redirectUris: [cb] },
        { clientId: 'api', clientSecret: 'api-secret-0123456789' },
      ],
      signingKeys: [await signingKey()],
      ...extra,
    }),
  );
  app.post('/login', async (req) => {
    getSession(req).set('user', { id: (await req.body.form()).get('user') });
    return json({ ok: true });
  });
  app.group('/api', (g) => {
    g.use(jwtAuth({ jwksUrl: `${issuer}/jwks`, issuer, audience: issuer }));
    g.get('/me', (req) => json({ sub: jwtClaims(req)?.sub, scope: jwtClaims(req)?.['scope'] }));
  });
  handler = app.handler;
  return { server, issuer, cb };
}

function configFor(
  issuer: string,
  clientId: string,
  auth: oidc.ClientAuth,
): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, undefined, auth, {
    algorithm: 'oauth2',
    execute: [oidc.allowInsecureRequests],
  });
}

async function loginCookie(issuer: string, user: string): Promise<string> {
  const res = await fetch(`${issuer}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `user=${user}`,
  });
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

async function location(
  url: URL | string,
  cookie: string,
): Promise<{ status: number; location: string | null; body: string }> {
  const res = await fetch(url, { redirect: 'manual', headers: { cookie } });
  return { status: res.status, location: res.headers.get('location'), body: await res.text() };
}

/** The whole front channel: authorization URL, the browser's visit, the callback URL. */
async function authorize(
  config: oidc.Configuration,
  cookie: string,
  params: Record<string, string> = {},
): Promise<{ callback: URL; verifier: string; state: string }> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: 'https://client.example/cb',
    scope: 'read',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  });
  const res = await location(url, cookie);
  expect(res.status).toBe(302);
  return { callback: new URL(res.location ?? ''), verifier, state };
}

const errorOf = (e: unknown): string | undefined => (e as oidc.ResponseBodyError).error;

describe.each(STORE_TARGETS)(
  'authorization code + refresh + introspection: $name store',
  (target) => {
    let server: Http1Server;
    let issuer: string;
    let web: oidc.Configuration;
    let spa: oidc.Configuration;
    let cookie: string;
    let opened: { store: OAuth2Store; db: Db | null; prefix: string } | null;

    beforeAll(async () => {
      opened = await target.open();
      if (opened === null) return;
      ({ server, issuer } = await startServer(opened.store));
      web = await configFor(issuer, 'web', oidc.ClientSecretBasic(WEB_SECRET));
      spa = await configFor(issuer, 'spa', oidc.None());
      cookie = await loginCookie(issuer, 'ada');
    }, 30_000);
    afterAll(async () => {
      await server?.close();
      if (opened !== null) {
        await dropTables(opened.db, opened.prefix);
        await opened.store.close();
      }
    });
    const skipIfDown = (ctx: { skip(note: string): void }): void => {
      if (opened === null) ctx.skip(`${target.name} is not reachable`);
    };

    test(
      'confidential client: code with PKCE and state, tokens jwtAuth accepts',
      T,
      async (ctx) => {
        skipIfDown(ctx);
        const meta = web.serverMetadata();
        expect(meta.authorization_endpoint).toBe(`${issuer}/authorize`);
        expect(meta.code_challenge_methods_supported).toEqual(['S256']);
        const { callback, verifier, state } = await authorize(web, cookie, { scope: 'read write' });
        expect(callback.origin + callback.pathname).toBe('https://client.example/cb');
        expect(callback.searchParams.get('state')).toBe(state);
        expect(callback.searchParams.get('iss')).toBe(issuer);
        const tokens = await oidc.authorizationCodeGrant(web, callback, {
          pkceCodeVerifier: verifier,
          expectedState: state,
        });
        expect(tokens.scope).toBe('read write');
        expect(typeof tokens.refresh_token).toBe('string');
        const me = await fetch(`${issuer}/api/me`, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        expect(await me.json()).toEqual({ sub: 'ada', scope: 'read write' });
      },
    );

    test('public client: S256 required, plain refused, no secret needed', T, async (ctx) => {
      skipIfDown(ctx);
      const { callback, verifier, state } = await authorize(spa, cookie);
      const tokens = await oidc.authorizationCodeGrant(spa, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      expect(tokens.scope).toBe('read');
      const base = `${issuer}/authorize?client_id=spa&response_type=code&redirect_uri=${encodeURIComponent('https://client.example/cb')}&state=s1`;
      for (const [extra, why] of [
        ['', 'must send a PKCE'],
        [`&code_challenge=${'a'.repeat(43)}&code_challenge_method=plain`, 'plain is refused'],
        [`&code_challenge=${'a'.repeat(43)}`, 'plain is refused'],
      ] as const) {
        const res = await location(base + extra, cookie);
        const back = new URL(res.location ?? '');
        expect([back.searchParams.get('error'), back.searchParams.get('state')]).toEqual([
          'invalid_request',
          's1',
        ]);
        expect(back.searchParams.get('error_description')).toContain(why);
      }
    });

    test(
      'redirect_uri must match exactly; a bad one is shown, not redirected to',
      T,
      async (ctx) => {
        skipIfDown(ctx);
        for (const uri of [
          'https://client.example/cb/',
          'https://client.example/cb?x=1',
          'https://evil.example/cb',
          'https://client.example/c',
        ]) {
          const url = `${issuer}/authorize?client_id=web&response_type=code&redirect_uri=${encodeURIComponent(uri)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`;
          const res = await location(url, cookie);
          expect([res.status, res.location], uri).toEqual([400, null]);
          expect(res.body).toContain('redirect_uri');
        }
        const unknown = await location(
          `${issuer}/authorize?client_id=nobody&response_type=code`,
          cookie,
        );
        expect(unknown.status).toBe(400);
        // The token request must repeat the redirect_uri of the authorization request
        // (openid-client sends the callback URL without its query as redirect_uri).
        const { callback, verifier, state } = await authorize(web, cookie);
        const elsewhere = new URL(callback);
        elsewhere.pathname = '/other';
        const err = await oidc
          .authorizationCodeGrant(web, elsewhere, {
            pkceCodeVerifier: verifier,
            expectedState: state,
          })
          .catch((e: unknown) => e);
        expect(errorOf(err)).toBe('invalid_grant');
      },
    );

    test('no session user: redirect to loginUrl; then the code names that user', T, async (ctx) => {
      skipIfDown(ctx);
      const url = oidc.buildAuthorizationUrl(web, {
        redirect_uri: 'https://client.example/cb',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const res = await location(url, '');
      expect(res.status).toBe(302);
      const login = new URL(res.location ?? '', issuer);
      expect(login.pathname).toBe('/login');
      expect(login.searchParams.get('returnTo')).toBe(url.pathname + url.search);
      const grace = await loginCookie(issuer, 'grace');
      const { callback, verifier, state } = await authorize(web, grace);
      const tokens = await oidc.authorizationCodeGrant(web, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const intro = await oidc.tokenIntrospection(web, tokens.access_token);
      expect(intro.sub).toBe('grace');
    });

    test(
      'a wrong PKCE verifier, or a scope the client may not have, is refused',
      T,
      async (ctx) => {
        skipIfDown(ctx);
        const { callback, state } = await authorize(web, cookie);
        const err = await oidc
          .authorizationCodeGrant(web, callback, {
            pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
            expectedState: state,
          })
          .catch((e: unknown) => e);
        expect(errorOf(err)).toBe('invalid_grant');
        const { callback: scoped } = await authorize(spa, cookie, { scope: 'write' });
        expect(scoped.searchParams.get('error')).toBe('invalid_scope');
      },
    );

    test(
      'a replayed code is refused and revokes the tokens it bought (RFC 6749 §4.1.2)',
      T,
      async (ctx) => {
        skipIfDown(ctx);
        const { callback, verifier, state } = await authorize(web, cookie);
        const tokens = await oidc.authorizationCodeGrant(web, callback, {
          pkceCodeVerifier: verifier,
          expectedState: state,
        });
        expect((await oidc.tokenIntrospection(web, tokens.access_token)).active).toBe(true);
        const replay = await oidc
          .authorizationCodeGrant(web, callback, {
            pkceCodeVerifier: verifier,
            expectedState: state,
          })
          .catch((e: unknown) => e);
        expect(errorOf(replay)).toBe('invalid_grant');
        expect((await oidc.tokenIntrospection(web, tokens.access_token)).active).toBe(false);
        expect((await oidc.tokenIntrospection(web, tokens.refresh_token ?? '')).active).toBe(false);
        const refresh = await oidc
          .refreshTokenGrant(web, tokens.refresh_token ?? '')
          .catch((e: unknown) => e);
        expect(errorOf(refresh)).toBe('invalid_grant');
      },
    );

    test('refresh tokens rotate; a reused one revokes the whole family', T, async (ctx) => {
      skipIfDown(ctx);
      const { callback, verifier, state } = await authorize(spa, cookie);
      const first = await oidc.authorizationCodeGrant(spa, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const second = await oidc.refreshTokenGrant(spa, first.refresh_token ?? '');
      expect(second.refresh_token).not.toBe(first.refresh_token);
      const third = await oidc.refreshTokenGrant(spa, second.refresh_token ?? '');
      expect(third.scope).toBe('read');
      // The attacker replays the first one: refused, and the live third is dead too.
      const reuse = await oidc
        .refreshTokenGrant(spa, first.refresh_token ?? '')
        .catch((e: unknown) => e);
      expect(errorOf(reuse)).toBe('invalid_grant');
      const after = await oidc
        .refreshTokenGrant(spa, third.refresh_token ?? '')
        .catch((e: unknown) => e);
      expect(errorOf(after)).toBe('invalid_grant');
      expect((await oidc.tokenIntrospection(web, third.access_token)).active).toBe(false);
      // Another client cannot use this family's tokens either.
      const { callback: c2, verifier: v2, state: s2 } = await authorize(spa, cookie);
      const fresh = await oidc.authorizationCodeGrant(spa, c2, {
        pkceCodeVerifier: v2,
        expectedState: s2,
      });
      const stolen = await oidc
        .refreshTokenGrant(web, fresh.refresh_token ?? '')
        .catch((e: unknown) => e);
      expect(errorOf(stolen)).toBe('invalid_grant');
    });

    test('introspection (RFC 7662) needs an authenticated confidential client', T, async (ctx) => {
      skipIfDown(ctx);
      const { callback, verifier, state } = await authorize(web, cookie);
      const tokens = await oidc.authorizationCodeGrant(web, callback, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
      const api = await configFor(issuer, 'api', oidc.ClientSecretPost('api-secret-0123456789'));
      const access = await oidc.tokenIntrospection(api, tokens.access_token);
      expect(access).toMatchObject({
        active: true,
        client_id: 'web',
        sub: 'ada',
        scope: 'read',
        iss: issuer,
      });
      expect(typeof access.exp).toBe('number');
      const refresh = await oidc.tokenIntrospection(api, tokens.refresh_token ?? '');
      expect(refresh).toMatchObject({
        active: true,
        token_type: 'refresh_token',
        client_id: 'web',
        sub: 'ada',
      });
      expect(await oidc.tokenIntrospection(api, 'garbage')).toEqual({ active: false });
      const anonymous = await fetch(`${issuer}/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${tokens.access_token}`,
      });
      expect(anonymous.status).toBe(401);
      const asPublic = await oidc
        .tokenIntrospection(spa, tokens.access_token)
        .catch((e: unknown) => e);
      expect((asPublic as oidc.WWWAuthenticateChallengeError).status).toBe(401);
    });

    test(
      'revocation (RFC 7009): refresh tokens, code-grant and client_credentials access tokens',
      T,
      async (ctx) => {
        skipIfDown(ctx);
        const { callback, verifier, state } = await authorize(web, cookie);
        const tokens = await oidc.authorizationCodeGrant(web, callback, {
          pkceCodeVerifier: verifier,
          expectedState: state,
        });
        // Another client's revocation does nothing (answered 200 all the same).
        await oidc.tokenRevocation(spa, tokens.refresh_token ?? '');
        expect((await oidc.tokenIntrospection(web, tokens.refresh_token ?? '')).active).toBe(true);
        await oidc.tokenRevocation(web, tokens.refresh_token ?? '');
        expect((await oidc.tokenIntrospection(web, tokens.refresh_token ?? '')).active).toBe(false);
        expect((await oidc.tokenIntrospection(web, tokens.access_token)).active).toBe(false);
        expect(
          errorOf(
            await oidc.refreshTokenGrant(web, tokens.refresh_token ?? '').catch((e: unknown) => e),
          ),
        ).toBe('invalid_grant');
        await oidc.tokenRevocation(web, 'not-a-token'); // unknown tokens: 200 too

        const api = await configFor(issuer, 'api', oidc.ClientSecretBasic('api-secret-0123456789'));
        const machine = await oidc.clientCredentialsGrant(api);
        expect((await oidc.tokenIntrospection(web, machine.access_token)).active).toBe(true);
        await oidc.tokenRevocation(api, machine.access_token);
        expect((await oidc.tokenIntrospection(web, machine.access_token)).active).toBe(false);
      },
    );
  },
);

describe('authorization code: hooks and expiry', () => {
  let server: Http1Server;
  let issuer: string;
  beforeAll(async () => {
    const authenticate: AuthenticateHook = (req, details) => {
      const who = req.headers.get('x-user');
      if (who === 'nobody') return false;
      if (who === null) return text(`consent for ${details.clientId}: ${details.scopes.join(',')}`);
      return { sub: who, scopes: ['read'] };
    };
    ({ server, issuer } = await startServer(undefined, { authenticate, codeTtlSec: 1 }));
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  test(
    'authenticate(): a Response is shown, false is access_denied, scopes narrow the grant',
    T,
    async () => {
      const web = await configFor(issuer, 'web', oidc.ClientSecretBasic(WEB_SECRET));
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(web, {
        redirect_uri: 'https://client.example/cb',
        scope: 'read write',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: 'st',
      });
      const page = await location(url, '');
      expect([page.status, page.body]).toEqual([200, 'consent for web: read,write']);
      const denied = new URL(
        (await fetch(url, { redirect: 'manual', headers: { 'x-user': 'nobody' } })).headers.get(
          'location',
        ) ?? '',
      );
      expect([denied.searchParams.get('error'), denied.searchParams.get('state')]).toEqual([
        'access_denied',
        'st',
      ]);
      const ok = new URL(
        (await fetch(url, { redirect: 'manual', headers: { 'x-user': 'ada' } })).headers.get(
          'location',
        ) ?? '',
      );
      const tokens = await oidc.authorizationCodeGrant(web, ok, {
        pkceCodeVerifier: verifier,
        expectedState: 'st',
      });
      expect(tokens.scope).toBe('read');
    },
  );

  test('codes are short-lived (codeTtlSec)', T, async () => {
    const web = await configFor(issuer, 'web', oidc.ClientSecretBasic(WEB_SECRET));
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(web, {
      redirect_uri: 'https://client.example/cb',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const back = new URL(
      (await fetch(url, { redirect: 'manual', headers: { 'x-user': 'ada' } })).headers.get(
        'location',
      ) ?? '',
    );
    await new Promise((r) => setTimeout(r, 1_500));
    const err = await oidc
      .authorizationCodeGrant(web, back, { pkceCodeVerifier: verifier })
      .catch((e: unknown) => e);
    expect(errorOf(err)).toBe('invalid_grant');
    expect((err as oidc.ResponseBodyError).error_description).toContain('expired');
  });
});
