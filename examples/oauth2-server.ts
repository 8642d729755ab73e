/**
 * oauth2-server — an OAuth 2 authorization server for machine clients
 * (`@rws/identity/oauth2-server`) and an API that accepts its tokens (`jwtAuth` from
 * `@rws/middleware/auth`), in one process: the client credentials grant, JWT access tokens
 * (RFC 9068) signed with a key generated at start, the JWKS, and RFC 8414 metadata.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/oauth2-server.ts
 * then:
 *   curl http://127.0.0.1:3000/.well-known/oauth-authorization-server
 *   curl -u 'billing:billing-secret-change-me' -d grant_type=client_credentials \
 *        -d scope=invoices:read http://127.0.0.1:3000/token          # {"access_token":…}
 *   curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:3000/api/invoices
 *
 * BILLING_SECRET sets the client secret. PORT sets the port (default 3000; 0 picks a free one).
 */
import { type Handler, json, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { authorizationServer } from '@rws/identity/oauth2-server';
import { jwtAuth, jwtClaims } from '@rws/middleware/auth';
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
app.use(
  await authorizationServer({
    issuer,
    audience: `${issuer}/api`,
    clients: [
      {
        clientId: 'billing',
        clientSecret: process.env['BILLING_SECRET'] ?? 'billing-secret-change-me',
        scopes: ['invoices:read', 'invoices:write'],
      },
    ],
    signingKeys: [signingKey],
  }),
);
app.group('/api', (g) => {
  g.use(jwtAuth({ jwksUrl: `${issuer}/jwks`, issuer, audience: `${issuer}/api` }));
  g.get('/invoices', (req) => json({ client: jwtClaims(req)?.['client_id'], invoices: [] }));
});
handler = app.handler;

console.log(`oauth2-server listening on ${issuer}/`);
