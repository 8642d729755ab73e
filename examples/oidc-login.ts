/**
 * oidc-login — "Sign in with …" through OpenID Connect (`@rws/identity/oidc`): the
 * authorization code flow with PKCE, state and nonce, ID tokens checked against the provider's
 * keys, the login kept in a session, refresh and logout.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/oidc-login.ts
 * then open http://127.0.0.1:3000/ in a browser and follow "Sign in".
 *   curl -i http://127.0.0.1:3000/me -H 'accept: application/json'   # 401 until logged in
 *
 * With OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET set (register
 * http://127.0.0.1:3000/auth/callback as redirect URI and http://127.0.0.1:3000/ as post-logout
 * redirect URI), it logs in with that provider (Keycloak, Okta, Auth0, Google…). Without
 * OIDC_ISSUER it starts a demo OpenID Provider (the `oidc-provider` package) on a second port,
 * where any login name and password are accepted. PORT sets the port (default 3000; 0 picks a
 * free one); SESSION_SECRET signs the session cookie.
 *
 * `/api/*` is proxied to a small backend on another port. `forwardClaims()` hands it the
 * signed-in user as a short-lived HS256 JWS in `x-rws-user` (a copy sent by the client is
 * removed), which the backend checks with jose:
 *   curl http://127.0.0.1:3000/api/hello -H 'x-rws-user: forged'   # "hello, nobody"
 */
import { createServer as createNodeServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeHtml, type Handler, html, json, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { forwardClaims, getOidcUser, oidcLogin } from '@rws/identity/oidc';
import { session } from '@rws/middleware/session';
import { reverseProxy } from '@rws/proxy';
import { createApp } from '@rws/router';
import { jwtVerify } from 'jose';
import Provider from 'oidc-provider';

let handler: Handler = () => text('starting', { status: 503 });
const server = createServer((req) => handler(req));
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
const origin = `http://127.0.0.1:${port}`;

/** A throw-away OpenID Provider on 127.0.0.1 that knows this app as client `demo`. */
async function startDemoProvider(): Promise<string> {
  const http = createNodeServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'demo',
        client_secret: 'demo-secret',
        redirect_uris: [`${origin}/auth/callback`],
        post_logout_redirect_uris: [`${origin}/`],
        grant_types: ['authorization_code', 'refresh_token'],
      },
    ],
    claims: { openid: ['sub'], email: ['email'] },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, email: `${id}@example.com` }),
    }),
    issueRefreshToken: () => true,
  });
  http.on('request', provider.callback());
  return issuer;
}

const issuer = process.env['OIDC_ISSUER'] ?? (await startDemoProvider());
const isDemo = process.env['OIDC_ISSUER'] === undefined;

const login = oidcLogin({
  provider: { issuer, scopes: ['openid', 'email'] },
  clientId: isDemo ? 'demo' : (process.env['OIDC_CLIENT_ID'] ?? ''),
  clientSecret: isDemo ? 'demo-secret' : process.env['OIDC_CLIENT_SECRET'],
  redirectUri: `${origin}/auth/callback`,
  postLogoutRedirectUri: `${origin}/`,
  fetchUserinfo: true,
});

// The backend trusts only a valid signature, never a session of its own.
const USER_HEADER_SECRET =
  process.env['USER_HEADER_SECRET'] ?? 'demo-user-header-secret-0123456789';
const backend = createNodeServer(async (req, res) => {
  const token = req.headers['x-rws-user'];
  let who = 'nobody';
  if (typeof token === 'string') {
    try {
      const { payload } = await jwtVerify(token, new TextEncoder().encode(USER_HEADER_SECRET), {
        issuer: origin,
        audience: 'demo-backend',
      });
      who = String(payload['email'] ?? payload.sub);
    } catch {
      who = 'nobody (bad signature)';
    }
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`hello, ${who}\n`);
});
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

const app = createApp();
app.use(
  session({ keys: [process.env['SESSION_SECRET'] ?? 'demo-secret-change-me-demo-secret-0001'] }),
  login,
);
app.get('/', (req) => {
  const user = getOidcUser(req);
  return html(
    user === null
      ? '<p><a href="/auth/login?returnTo=/me">Sign in</a></p>'
      : `<p>Signed in as ${escapeHtml(user.sub)}. <a href="/me">claims</a> · <a href="/auth/logout">sign out</a></p>`,
  );
});
// Pages are sent to the login; API calls get 401.
app.get('/me', { middleware: [login.requireUser()] }, (req) => json(getOidcUser(req)?.claims));
const toBackend = [
  forwardClaims({
    key: USER_HEADER_SECRET,
    issuer: origin,
    audience: 'demo-backend',
    claims: ['email'],
  }),
  reverseProxy({ upstream: backendUrl, stripPrefix: '/api' }),
];
app.all('/api/*rest', { middleware: toBackend }, () => text('not proxied', { status: 500 }));
handler = app.handler;

console.log(`oidc-login listening on ${origin}/ (provider ${issuer})`);
