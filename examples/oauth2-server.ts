/**
 * oauth2-server — an OAuth 2 authorization server (`@rws/identity/oauth2-server`) and an API
 * that accepts its tokens (`jwtAuth` from `@rws/middleware/auth`), in one process: the client
 * credentials grant for a machine client; the authorization code grant with PKCE for a public
 * client whose user logs in through a session; refresh tokens, introspection and revocation;
 * JWT access tokens (RFC 9068) signed with a key generated at start, the JWKS and RFC 8414
 * metadata. Clients, codes and refresh tokens live in SQLite through @rws/orm (in memory here;
 * a file or PostgreSQL URL works the same).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/oauth2-server.ts
 * then, machine to machine:
 *   curl http://127.0.0.1:3000/.well-known/oauth-authorization-server
 *   curl -u 'billing:billing-secret-change-me' -d grant_type=client_credentials \
 *        -d scope=invoices:read http://127.0.0.1:3000/token          # {"access_token":…}
 *   curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:3000/api/invoices
 * and for a user: open http://127.0.0.1:3000/authorize?client_id=cli&response_type=code&
 * code_challenge=<S256 of a verifier>&code_challenge_method=S256&state=xyz in a browser, log in
 * as anyone at /login, and /callback shows the code to exchange at /token (grant_type=
 * authorization_code, client_id=cli, code, code_verifier).
 *
 * BILLING_SECRET sets the client secret. PORT sets the port (default 3000; 0 picks a free one).
 */
import { type Handler, html, json, redirect, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { authorizationServer } from '@rws/identity/oauth2-server';
import { createSqlOAuth2Store } from '@rws/identity/oauth2-server/sql';
import { jwtAuth, jwtClaims } from '@rws/middleware/auth';
import { getSession, session } from '@rws/middleware/session';
import { createDb } from '@rws/orm';
import { createApp } from '@rws/router';
import { exportJWK, generateKeyPair } from 'jose';

// The issuer URL names the port, so the server listens before the app is built.
let handler: Handler = () => text('starting', { status: 503 });
const server = createServer((req) => handler(req));
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
const issuer = `http://127.0.0.1:${port}`;

// A real deployment loads its keys from a secret store and lists the previous one second.
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'example-1', alg: 'ES256' };

const app = createApp();
// The default login step of the authorization endpoint is the session's `user`.
app.use(session({ keys: [process.env['SESSION_SECRET'] ?? 'example-session-secret-change-me'] }));
app.use(
  await authorizationServer({
    issuer,
    audience: `${issuer}/api`,
    store: createSqlOAuth2Store({ db: createDb.memory(), ownsDb: true }),
    loginUrl: '/login',
    clients: [
      {
        clientId: 'billing',
        clientSecret: process.env['BILLING_SECRET'] ?? 'billing-secret-change-me',
        scopes: ['invoices:read', 'invoices:write'],
      },
      // A public client (a CLI or single-page app): no secret, PKCE S256 required.
      { clientId: 'cli', scopes: ['invoices:read'], redirectUris: [`${issuer}/callback`] },
    ],
    signingKeys: [signingKey],
  }),
);
app.get('/login', (req) =>
  html(
    `<form method="post"><input type="hidden" name="returnTo" value="${encodeURI(req.query.get('returnTo') ?? '/')}"><input name="user" value="ada"><button>Log in</button></form>`,
  ),
);
app.post('/login', async (req) => {
  const form = await req.body.form();
  // A demo: anyone is whoever they type. A real app checks a password or uses oidcLogin().
  getSession(req).set('user', { id: form.get('user') ?? 'ada' });
  const back = form.get('returnTo') ?? '/';
  return redirect(back.startsWith('/') && !back.startsWith('//') ? back : '/', 303);
});
app.get('/callback', (req) => json({ code: req.query.get('code'), state: req.query.get('state') }));
app.group('/api', (g) => {
  g.use(jwtAuth({ jwksUrl: `${issuer}/jwks`, issuer, audience: `${issuer}/api` }));
  g.get('/invoices', (req) =>
    json({ client: jwtClaims(req)?.['client_id'], user: jwtClaims(req)?.sub, invoices: [] }),
  );
});
handler = app.handler;

console.log(`oauth2-server listening on ${issuer}/`);
