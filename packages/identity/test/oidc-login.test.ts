/**
 * OIDC login against a real OpenID Provider (oidc-provider, certified) over real sockets: the
 * relying party runs on @rws/http1, the "browser" is a cookie-keeping client that follows
 * redirects and fills in the provider's login and consent forms. Attacks are played by
 * rewriting a hop (state, nonce) or the token response (a tampered or expired ID token).
 */
import { json, text } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { session } from '@rws/middleware/session';
import { createApp } from '@rws/router';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type FetchLike,
  getOidcUser,
  type OidcLoginOptions,
  type OidcUser,
  oidcLogin,
} from '../src/oidc/index.js';
import { Browser, type Page } from './browser.js';
import { type OidcPeer, startOidcPeer } from './oidc-peer.js';

let peer: OidcPeer;
let rp: Http1Server;
let rpUrl: string;
let handler: (req: never) => unknown = () => text('no app');

const FILL = { login: 'ada', password: 'any' };

beforeAll(async () => {
  rp = createServer((req) => handler(req as never) as never);
  const { port } = await rp.listen({ port: 0, host: '127.0.0.1' });
  rpUrl = `http://127.0.0.1:${port}`;
  const common = {
    redirect_uris: [`${rpUrl}/auth/callback`],
    post_logout_redirect_uris: [`${rpUrl}/bye`],
  };
  peer = await startOidcPeer([
    { client_id: 'app', client_secret: 'app-secret-0123456789', ...common },
    { client_id: 'public-app', ...common, token_endpoint_auth_method: 'none' },
    { client_id: 'short', client_secret: 'short-secret-0123456789', ...common, idTokenTtlSec: 1 },
    {
      client_id: 'quick',
      client_secret: 'quick-secret-0123456789',
      ...common,
      accessTokenTtlSec: 1,
    },
  ]);
}, 30_000);

afterAll(async () => {
  await rp?.close();
  await peer?.close();
});

/** Serves a fresh relying-party app with these login options on the RP port. */
function useApp(options: Partial<OidcLoginOptions> = {}) {
  const login = oidcLogin({
    provider: { issuer: peer.issuer },
    clientId: 'app',
    clientSecret: 'app-secret-0123456789',
    redirectUri: `${rpUrl}/auth/callback`,
    postLogoutRedirectUri: `${rpUrl}/bye`,
    ...options,
  });
  // Refusals are the point of several tests: keep their log lines out of the output.
  const app = createApp({ logger: { error() {} } });
  app.use(session({ keys: ['session-secret-for-tests-0123456789'] }), login);
  app.get('/', () => text('home'));
  app.get('/me', { middleware: [login.requireUser()] }, (req) => json(getOidcUser(req)));
  app.get('/who', (req) => text(getOidcUser(req)?.sub ?? 'nobody'));
  app.post('/refresh', async (req) => json(await login.refresh(req)));
  app.get('/bye', () => text('logged out'));
  handler = app.handler as never;
  return login;
}

/** A fetch that counts requests by path and lets a test change token responses. */
function recordingFetch(
  onToken?: (body: Record<string, unknown>) => Promise<Record<string, unknown>>,
) {
  const paths: string[] = [];
  const fetchFn: FetchLike = async (input, init) => {
    const url = new URL(String(input));
    paths.push(url.pathname);
    const res = await fetch(url, init);
    if (onToken === undefined || url.pathname !== '/token' || res.status !== 200) return res;
    const body = await onToken((await res.json()) as Record<string, unknown>);
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { fetchFn, paths };
}

function loginFlow(
  browser: Browser,
  returnTo = '/me',
  options: Parameters<Browser['follow']>[1] = {},
): Promise<Page> {
  return browser.follow(`${rpUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`, {
    fill: FILL,
    ...options,
  });
}

describe('oidcLogin against oidc-provider', () => {
  test('code flow with PKCE (S256), state and nonce; claims reach handlers; session id renewed', async () => {
    useApp();
    const browser = new Browser();
    await browser.request(`${rpUrl}/who`);
    const sidBefore = browser.cookies(rpUrl).get('sid');
    const hops: URL[] = [];
    const page = await loginFlow(browser, '/me', {
      rewrite: (u) => {
        hops.push(u);
        return u;
      },
    });
    expect(page.status).toBe(200);
    expect(page.url).toBe(`${rpUrl}/me`);
    const user = JSON.parse(page.text) as OidcUser;
    expect(user.sub).toBe('ada');
    expect(user.claims).toMatchObject({ sub: 'ada', iss: peer.issuer, aud: 'app' });
    expect(typeof user.accessToken).toBe('string');
    expect(user.idToken?.split('.')).toHaveLength(3);
    expect(typeof user.refreshToken).toBe('string');
    const authorize = hops.find((u) => u.pathname === '/auth')!;
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authorize.searchParams.get('scope')).toBe('openid');
    expect(browser.cookies(rpUrl).get('sid')).not.toBe(sidBefore);
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('ada');
  });

  test('a public client (no secret) logs in with PKCE alone; userinfo claims are merged', async () => {
    useApp({
      clientId: 'public-app',
      clientSecret: undefined,
      scopes: ['openid', 'email'],
      fetchUserinfo: true,
    });
    const page = await loginFlow(new Browser());
    expect(page.status).toBe(200);
    expect(JSON.parse(page.text)).toMatchObject({
      sub: 'ada',
      claims: { email: 'ada@example.com' },
    });
  });

  test('requireUser(): pages are sent to login with returnTo, API calls get 401', async () => {
    useApp();
    const browser = new Browser();
    const pageRes = await browser.request(`${rpUrl}/me?tab=1`);
    expect(pageRes.status).toBe(302);
    expect(pageRes.headers.get('location')).toBe(
      `/auth/login?returnTo=${encodeURIComponent('/me?tab=1')}`,
    );
    const api = await fetch(`${rpUrl}/me`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
    expect(await api.text()).toContain('login required');
    const done = await browser.follow(`${rpUrl}${pageRes.headers.get('location')}`, { fill: FILL });
    expect(done.url).toBe(`${rpUrl}/me?tab=1`);
  });

  test('discovery and JWKS are fetched once for several logins', async () => {
    const { fetchFn, paths } = recordingFetch();
    useApp({ fetch: fetchFn });
    for (const name of ['ada', 'bob']) {
      const page = await loginFlow(new Browser(), '/who', { fill: { login: name, password: 'x' } });
      expect(page.text).toBe(name);
    }
    expect(paths.filter((p) => p === '/.well-known/openid-configuration')).toHaveLength(1);
    expect(paths.filter((p) => p === '/jwks')).toHaveLength(1);
    expect(paths.filter((p) => p === '/token')).toHaveLength(2);
  });

  test('a wrong state is refused (400) and nobody is logged in', async () => {
    useApp();
    const browser = new Browser();
    const page = await loginFlow(browser, '/me', {
      rewrite: (u) => {
        if (u.pathname === '/auth/callback' && u.origin === rpUrl)
          u.searchParams.set('state', 'forged-state');
        return u;
      },
    });
    expect(page.status).toBe(400);
    expect(page.text).toContain('unknown or expired state');
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('nobody');
  });

  test('a callback replayed with the same state and code is refused', async () => {
    useApp();
    const browser = new Browser();
    const stop = await loginFlow(browser, '/me', {
      stopAt: (u) => u.pathname === '/auth/callback',
    });
    const first = await browser.request(stop.url);
    expect(first.status).toBe(302);
    const again = await browser.request(stop.url);
    expect(again.status).toBe(400);
  });

  test('a wrong nonce in the ID token is refused (401)', async () => {
    useApp();
    const browser = new Browser();
    const page = await loginFlow(browser, '/me', {
      rewrite: (u) => {
        if (u.pathname === '/auth' && u.searchParams.has('nonce'))
          u.searchParams.set('nonce', 'attacker-nonce');
        return u;
      },
    });
    expect(page.status).toBe(401);
    expect(page.text).toContain('"nonce" does not match');
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('nobody');
  });

  test('a tampered ID token (payload changed, signature kept) is refused (401)', async () => {
    const { fetchFn } = recordingFetch(async (body) => {
      const [h, p, s] = String(body['id_token']).split('.');
      const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
      claims['sub'] = 'admin';
      return {
        ...body,
        id_token: `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`,
      };
    });
    useApp({ fetch: fetchFn });
    const browser = new Browser();
    const page = await loginFlow(browser);
    expect(page.status).toBe(401);
    expect(page.text).toContain('signature verification failed');
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('nobody');
  });

  test('an ID token with alg "none" is refused (401)', async () => {
    const { fetchFn } = recordingFetch(async (body) => {
      const [, p] = String(body['id_token']).split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
      return { ...body, id_token: `${header}.${p}.` };
    });
    useApp({ fetch: fetchFn });
    const page = await loginFlow(new Browser());
    expect(page.status).toBe(401);
    expect(page.text).toContain('ID token rejected');
  });

  test('an expired ID token is refused (401)', async () => {
    // The provider gives this client 1-second ID tokens; the token response is held back 3 s.
    const { fetchFn } = recordingFetch(async (body) => {
      await new Promise((r) => setTimeout(r, 3000));
      return body;
    });
    useApp({
      clientId: 'short',
      clientSecret: 'short-secret-0123456789',
      clockToleranceSec: 1,
      fetch: fetchFn,
    });
    const page = await loginFlow(new Browser());
    expect(page.status).toBe(401);
    expect(page.text).toContain('"exp" claim timestamp check failed');
  });

  test('refresh() trades the refresh token for new tokens of the same user', async () => {
    useApp();
    const browser = new Browser();
    const before = JSON.parse((await loginFlow(browser)).text) as OidcUser;
    const refreshed = await browser.request(`${rpUrl}/refresh`, { method: 'POST' });
    expect(refreshed.status).toBe(200);
    const after = JSON.parse(refreshed.text) as OidcUser;
    expect(after.sub).toBe('ada');
    expect(after.accessToken).not.toBe(before.accessToken);
    const me = JSON.parse((await browser.request(`${rpUrl}/me`)).text) as OidcUser;
    expect(me.accessToken).toBe(after.accessToken);
  });

  test('an expired access token is refreshed on the next request', async () => {
    useApp({ clientId: 'quick', clientSecret: 'quick-secret-0123456789' });
    const browser = new Browser();
    const before = JSON.parse((await loginFlow(browser)).text) as OidcUser;
    await new Promise((r) => setTimeout(r, 1500));
    const after = JSON.parse((await browser.request(`${rpUrl}/me`)).text) as OidcUser;
    expect(after.sub).toBe('ada');
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.expiresAt).toBeGreaterThan(Date.now());
  });

  test('RP-initiated logout ends the local and the provider session', async () => {
    useApp();
    const browser = new Browser();
    await loginFlow(browser);
    const out = await browser.follow(`${rpUrl}/auth/logout`);
    expect(out.url).toBe(`${rpUrl}/bye`);
    expect(out.text).toBe('logged out');
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('nobody');
    // The provider forgot ada: logging in again asks for a login, and carol can sign in.
    await loginFlow(browser, '/who', { fill: { login: 'carol', password: 'x' } });
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('carol');
  });

  test('logout is POST-only: GET shows a button, cross-site POSTs are refused (issue #23)', async () => {
    useApp();
    const browser = new Browser();
    await loginFlow(browser);
    // A cross-site <img src="/auth/logout"> is a GET: it gets a page and logs nobody out.
    const page = await browser.request(`${rpUrl}/auth/logout`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.text).toContain('<form method="post" action="/auth/logout">');
    expect(page.text).not.toContain('<script');
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('ada');
    // A form on another site POSTs with its Origin / Sec-Fetch-Site: 403.
    for (const headers of [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await browser.request(`${rpUrl}/auth/logout`, { method: 'POST', headers });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(res.text).toContain('another site');
    }
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('ada');
    // The app's own form (same origin) logs out.
    const out = await browser.request(`${rpUrl}/auth/logout`, {
      method: 'POST',
      headers: { origin: rpUrl, 'sec-fetch-site': 'same-origin' },
    });
    expect(out.status).toBe(302);
    expect((await browser.request(`${rpUrl}/who`)).text).toBe('nobody');
  });

  test('returnTo cannot lead off-site (open redirect)', async () => {
    useApp();
    for (const evil of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const page = await loginFlow(new Browser(), evil);
      expect(page.url, evil).toBe(`${rpUrl}/`);
      expect(page.text).toBe('home');
    }
  });

  test('a provider error (prompt=none without a provider session) is a 401 naming it', async () => {
    useApp({ authorizationParams: { prompt: 'none' } });
    const page = await loginFlow(new Browser());
    expect(page.status).toBe(401);
    expect(page.text).toContain('login_required');
  });

  test('discovery naming another issuer fails the login with 502', async () => {
    useApp({ provider: { issuer: `${peer.issuer}/` } });
    const res = await new Browser().request(`${rpUrl}/auth/login`);
    expect(res.status).toBe(502);
  });

  test('plain OAuth 2 (GitHub-style): the user comes from userinfo through mapUserinfo', async () => {
    const { fetchFn, paths } = recordingFetch();
    const discovered = await (
      await fetch(`${peer.issuer}/.well-known/openid-configuration`)
    ).json();
    useApp({
      fetch: fetchFn,
      scopes: ['openid', 'email'],
      provider: {
        kind: 'oauth2',
        issuer: peer.issuer,
        metadata: discovered as never,
        mapUserinfo: (info) => ({ sub: `gh-${String(info['sub'])}`, email: info['email'] }),
      },
    });
    const page = await loginFlow(new Browser());
    expect(page.status).toBe(200);
    const user = JSON.parse(page.text) as OidcUser;
    expect(user.claims).toEqual({ sub: 'gh-ada', email: 'ada@example.com' });
    expect(paths).toContain('/me');
    expect(paths).not.toContain('/jwks');
  });
});
