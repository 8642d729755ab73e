/**
 * The authorization server over real sockets, with `openid-client` (a certified OAuth 2 / OIDC
 * client) as the client, `jose` as an independent verifier, and @rws/middleware's `jwtAuth` as
 * the resource server that must accept the tokens with no extra code.
 */
import { isRwsError, json } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { jwtAuth, jwtClaims } from '@rws/middleware/auth';
import { createApp } from '@rws/router';
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
} from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { authorizationServer } from '../src/oauth2-server/index.js';

const SECRET = 'billing-secret-0123456789';
let server: Http1Server;
let issuer: string;
let oldKey: JWK;
let newKey: JWK;

async function privateJwk(alg: 'ES256' | 'RS256' | 'EdDSA', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg };
}

beforeAll(async () => {
  oldKey = await privateJwk('RS256', 'old');
  newKey = await privateJwk('ES256', 'new');
  let handler: Parameters<typeof createServer>[0] = () => json({});
  server = createServer((req) => handler(req));
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  issuer = `http://127.0.0.1:${port}`;
  const app = createApp({ logger: { error() {} } });
  app.use(
    await authorizationServer({
      issuer,
      audience: 'https://api.example',
      clients: [
        { clientId: 'billing', clientSecret: SECRET, scopes: ['invoices:read', 'invoices:write'] },
        { clientId: 'reporting', clientSecret: 'reporting-secret-0123456789' },
      ],
      signingKeys: [newKey, oldKey],
      accessTokenTtlSec: 120,
    }),
  );
  app.group('/api', (g) => {
    g.use(jwtAuth({ jwksUrl: `${issuer}/jwks`, issuer, audience: 'https://api.example' }));
    g.get('/invoices', (req) =>
      json({ client: jwtClaims(req)?.['client_id'], scope: jwtClaims(req)?.['scope'] }),
    );
  });
  handler = app.handler;
}, 30_000);

afterAll(async () => {
  await server?.close();
});

function discover(auth: oidc.ClientAuth): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), 'billing', undefined, auth, {
    algorithm: 'oauth2',
    execute: [oidc.allowInsecureRequests],
  });
}

describe('authorizationServer with openid-client', () => {
  test('RFC 8414 metadata is discovered; client_credentials with Basic and with form auth', async () => {
    for (const auth of [oidc.ClientSecretBasic(SECRET), oidc.ClientSecretPost(SECRET)]) {
      const config = await discover(auth);
      const meta = config.serverMetadata();
      expect(meta.issuer).toBe(issuer);
      expect(meta.token_endpoint).toBe(`${issuer}/token`);
      expect(meta.grant_types_supported).toContain('client_credentials');
      const tokens = await oidc.clientCredentialsGrant(config, { scope: 'invoices:read' });
      expect(tokens.token_type).toBe('bearer');
      expect(tokens.expires_in).toBe(120);
      expect(tokens.scope).toBe('invoices:read');
    }
  });

  test('access tokens are RFC 9068 JWTs that verify against the published JWKS', async () => {
    const tokens = await oidc.clientCredentialsGrant(
      await discover(oidc.ClientSecretBasic(SECRET)),
    );
    const header = decodeProtectedHeader(tokens.access_token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: 'new' });
    const { payload } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(`${issuer}/jwks`)),
      {
        issuer,
        audience: 'https://api.example',
        typ: 'at+jwt',
      },
    );
    expect(payload).toMatchObject({
      sub: 'billing',
      client_id: 'billing',
      scope: 'invoices:read invoices:write',
    });
    expect(payload.exp! - payload.iat!).toBe(120);
    expect(typeof payload.jti).toBe('string');
  });

  test('the JWKS publishes every key without private parts', async () => {
    const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: JWK[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(['new', 'old']);
    for (const k of jwks.keys)
      for (const field of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(k).not.toHaveProperty(field);
  });

  test('@rws/middleware jwtAuth accepts the tokens with no extra code', async () => {
    const tokens = await oidc.clientCredentialsGrant(
      await discover(oidc.ClientSecretBasic(SECRET)),
      {
        scope: 'invoices:write',
      },
    );
    expect((await fetch(`${issuer}/api/invoices`)).status).toBe(401);
    const res = await fetch(`${issuer}/api/invoices`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ client: 'billing', scope: 'invoices:write' });
  });

  test('a wrong secret is invalid_client (401 with a Basic challenge)', async () => {
    const config = await discover(oidc.ClientSecretBasic('wrong-secret-0123456789'));
    const err = await oidc.clientCredentialsGrant(config).catch((e: unknown) => e);
    // openid-client reads the Basic challenge first (RFC 6749 §5.2 asks for it on a 401).
    expect(err).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    expect((err as oidc.WWWAuthenticateChallengeError).status).toBe(401);
    expect((err as oidc.WWWAuthenticateChallengeError).cause[0]?.scheme).toBe('basic');
    const raw = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=nobody&client_secret=x',
    });
    expect(raw.status).toBe(401);
    expect(raw.headers.get('www-authenticate')).toBe('Basic realm="token"');
    expect(((await raw.json()) as { error: string }).error).toBe('invalid_client');
  });

  test('a scope the client may not have is invalid_scope', async () => {
    const err = await oidc
      .clientCredentialsGrant(await discover(oidc.ClientSecretBasic(SECRET)), { scope: 'admin' })
      .catch((e: unknown) => e);
    expect((err as oidc.ResponseBodyError).error).toBe('invalid_scope');
  });

  test('other grants, methods and bodies get RFC 6749 errors', async () => {
    const post = (body: string, type = 'application/x-www-form-urlencoded') =>
      fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': type, authorization: `Basic ${btoa(`billing:${SECRET}`)}` },
        body,
      });
    const password = await post('grant_type=password&username=a&password=b');
    expect([password.status, ((await password.json()) as { error: string }).error]).toEqual([
      400,
      'unsupported_grant_type',
    ]);
    const missing = await post('scope=x');
    expect(((await missing.json()) as { error: string }).error).toBe('invalid_request');
    const asJson = await post('{"grant_type":"client_credentials"}', 'application/json');
    expect(((await asJson.json()) as { error: string }).error).toBe('invalid_request');
    const twice = await post(
      `grant_type=client_credentials&client_id=billing&client_secret=${SECRET}`,
    );
    expect(((await twice.json()) as { error: string }).error).toBe('invalid_request');
    const get = await fetch(`${issuer}/token`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    const ok = await post('grant_type=client_credentials');
    expect(ok.headers.get('cache-control')).toBe('no-store');
  });

  test('bad options fail at startup with RWS_IDENTITY_OAUTH2_INVALID_OPTIONS', async () => {
    const base = { issuer: 'https://auth.example', clients: [], signingKeys: [newKey] };
    const cases = [
      { ...base, issuer: 'not a url' },
      { ...base, issuer: 'https://auth.example/?x=1' },
      { ...base, signingKeys: [] },
      { ...base, signingKeys: [{ ...newKey, kid: undefined }] },
      { ...base, signingKeys: [{ ...newKey, alg: 'HS256' }] },
      { ...base, signingKeys: [{ ...newKey, d: undefined }] },
      { ...base, clients: [{ clientId: 'a', clientSecret: 'short' }] },
      { ...base, accessTokenTtlSec: 0 },
      { ...base, codeTtlSec: 1.5 },
      { ...base, clients: [{ clientId: 'spa' }] },
      { ...base, clients: [{ clientId: 'spa', redirectUris: ['https://a.example/cb#x'] }] },
      { ...base, clients: [{ clientId: 'spa', redirectUris: ['/relative'] }] },
    ];
    for (const options of cases) {
      const err = await authorizationServer(options as never).catch((e: unknown) => e);
      expect(
        isRwsError(err, 'RWS_IDENTITY_OAUTH2_INVALID_OPTIONS'),
        JSON.stringify(options).slice(0, 80),
      ).toBe(true);
    }
  });
});
