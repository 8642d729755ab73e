/**
 * gateway-oidc — an OIDC-protected gateway from TOML alone: `[session]` keeps logins in a
 * signed-cookie session, `[oidc]` logs users in (authorization code + PKCE, state, nonce),
 * `auth = { type = "oidc" }` protects a route (pages are sent to log in, API calls get 401) and
 * `forward_claims` hands the backend the user as a short-lived HS256 JWS in `x-rws-user` (a
 * copy sent by the client is always removed). The same file runs under the `rws` binary.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/gateway-oidc.ts
 * then open http://127.0.0.1:3000/app/ in a browser (any login name and password).
 *   curl -i http://127.0.0.1:3000/app/ -H 'accept: application/json'   # 401 until logged in
 *   curl http://127.0.0.1:3000/public/ -H 'x-rws-user: forged'         # "hello, nobody"
 *
 * Without OIDC_ISSUER it starts a demo OpenID Provider (the `oidc-provider` package) on a second
 * port. With OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET set, it uses that provider
 * (register http://127.0.0.1:3000/auth/callback). Secrets are `env://` references in the TOML:
 * SESSION_SECRET, OIDC_CLIENT_SECRET and USER_HEADER_SECRET (demo values when unset). PORT
 * sets the port (default 3000; 0 picks a free one).
 */
import { createServer as createNodeServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Handler, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { createGateway } from '@rws/proxy';
import { jwtVerify } from 'jose';
import Provider from 'oidc-provider';

let handler: Handler = () => text('starting', { status: 503 });
const server = createServer((req) => handler(req));
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
const origin = `http://127.0.0.1:${port}`;

const env = {
  SESSION_SECRET: process.env['SESSION_SECRET'] ?? 'demo-session-secret-change-me-0123456789',
  USER_HEADER_SECRET: process.env['USER_HEADER_SECRET'] ?? 'demo-user-header-secret-0123456789',
  OIDC_CLIENT_SECRET: process.env['OIDC_CLIENT_SECRET'] ?? 'gateway-demo-secret',
};

/** A throw-away OpenID Provider on 127.0.0.1 that knows the gateway as client `gateway`. */
async function demoIssuer(): Promise<string> {
  const http = createNodeServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const client = {
    client_id: 'gateway',
    client_secret: env.OIDC_CLIENT_SECRET,
    redirect_uris: [`${origin}/auth/callback`],
    post_logout_redirect_uris: [`${origin}/public/`],
  };
  const accounts = (_ctx: unknown, sub: string) => ({
    accountId: sub,
    claims: () => ({ sub, email: `${sub}@example.com`, name: sub }),
  });
  http.on(
    'request',
    new Provider(issuer, {
      clients: [client],
      claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
      findAccount: accounts,
    }).callback(),
  );
  return issuer;
}

// The backend trusts the signature of the header, nothing else.
const backend = createNodeServer(async (req, res) => {
  const token = req.headers['x-rws-user'];
  let who = 'nobody';
  if (typeof token === 'string') {
    const key = new TextEncoder().encode(env.USER_HEADER_SECRET);
    const checked = await jwtVerify(token, key, { issuer: 'gateway', audience: 'backend' }).catch(
      () => null,
    );
    who = checked === null ? 'nobody (bad signature)' : String(checked.payload['email']);
  }
  res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`hello, ${who}\n`);
});
await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
const backendAddress = `127.0.0.1:${(backend.address() as AddressInfo).port}`;

const issuer = process.env['OIDC_ISSUER'] ?? (await demoIssuer());
const clientId = process.env['OIDC_CLIENT_ID'] ?? 'gateway';

// The claims header of both routes; `/app/*` also needs a login.
const forwardClaims = `
[route.middleware.forward_claims]
secret = "env://USER_HEADER_SECRET"
issuer = "gateway"
audience = "backend"
claims = ["email", "name"]
`;
const gateway = await createGateway(
  `
[session]
secrets = "env://SESSION_SECRET"
ttl_secs = 3600

[oidc]
issuer = "${issuer}"
client_id = "${clientId}"
client_secret = "env://OIDC_CLIENT_SECRET"
redirect_uri = "${origin}/auth/callback"
post_logout_redirect_uri = "${origin}/public/"
scopes = ["openid", "email", "profile"]
fetch_userinfo = true

[[route]]
[route.match]
path = "/app/*"
[route.action]
type = "proxy"
upstream = "${backendAddress}"
[route.middleware]
auth = { type = "oidc" }
${forwardClaims}
[[route]]
[route.match]
path = "/public/*"
[route.action]
type = "proxy"
upstream = "${backendAddress}"
${forwardClaims}`,
  { env },
);
handler = gateway.handler;

console.log(`gateway-oidc listening on ${origin}/app/ (provider ${issuer})`);
