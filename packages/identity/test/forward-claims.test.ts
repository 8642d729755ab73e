/**
 * forwardClaims() over real sockets: a relying party on @rws/http1 logs users in against
 * oidc-provider and hands `/api/*` to a handler that verifies the forwarded header with jose,
 * as a backend would. The same middleware in front of a real proxied backend is tested in
 * @rws/proxy (gateway-oidc.test.ts: the gateway's `forward_claims` key), which depends on this
 * package; a test here using the proxy would make the workspace graph a cycle.
 */
import { json, type Request, RwsError } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { session } from '@rws/middleware/session';
import { createApp } from '@rws/router';
import { type CryptoKey, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ForwardClaimsOptions, forwardClaims, oidcLogin } from '../src/oidc/index.js';
import { Browser } from './browser.js';
import { type OidcPeer, startOidcPeer } from './oidc-peer.js';

const SECRET = 'forward-claims-secret-0123456789abcdef';
const ISSUER = 'https://gateway.test';
const AUDIENCE = 'orders-api';

let peer: OidcPeer;
let rp: Http1Server;
let rpUrl: string;
let handler: (req: never) => unknown = () => json({});
/** How the backend checks the header; set per test (shared secret or public key). */
let verifyKey: Uint8Array | CryptoKey = new TextEncoder().encode(SECRET);

/** The "backend": echoes the header it received and, when it verifies, the payload. */
async function backend(req: Request) {
  const values = req.headers.getAll('x-rws-user');
  let verified: unknown = null;
  let error: string | null = null;
  if (values.length === 1) {
    try {
      const { payload, protectedHeader } = await jwtVerify(values[0]!, verifyKey, {
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      verified = { payload, protectedHeader };
    } catch (e) {
      error = (e as Error).message;
    }
  }
  return json({ values, verified, error });
}

beforeAll(async () => {
  rp = createServer((req) => handler(req as never) as never);
  const { port } = await rp.listen({ port: 0, host: '127.0.0.1' });
  rpUrl = `http://127.0.0.1:${port}`;
  peer = await startOidcPeer([
    {
      client_id: 'app',
      client_secret: 'app-secret-0123456789',
      redirect_uris: [`${rpUrl}/auth/callback`],
    },
  ]);
}, 30_000);

afterAll(async () => {
  await rp?.close();
  await peer?.close();
});

/** The app: session, OIDC login, then claims forwarding in front of the `/api` backend. */
async function useGateway(options: Partial<ForwardClaimsOptions> = {}): Promise<void> {
  const login = oidcLogin({
    provider: { issuer: peer.issuer },
    clientId: 'app',
    clientSecret: 'app-secret-0123456789',
    redirectUri: `${rpUrl}/auth/callback`,
    scopes: ['openid', 'email', 'profile'],
    fetchUserinfo: true,
  });
  const forward = forwardClaims({
    key: SECRET,
    issuer: ISSUER,
    audience: AUDIENCE,
    claims: ['email', 'name'],
    ...options,
  });
  const app = createApp({ logger: { error() {} } });
  app.use(session({ keys: ['session-secret-for-tests-0123456789'] }), login);
  app.all('/api/*rest', { middleware: [forward] }, backend);
  handler = app.handler as never;
}

interface Echo {
  values: string[];
  verified: { payload: Record<string, unknown>; protectedHeader: Record<string, unknown> } | null;
  error: string | null;
}

async function api(browser: Browser, headers: Record<string, string> = {}): Promise<Echo> {
  const page = await browser.request(`${rpUrl}/api/orders`, {
    headers: { accept: 'application/json', ...headers },
  });
  expect(page.status).toBe(200);
  return JSON.parse(page.text) as Echo;
}

async function logIn(): Promise<Browser> {
  const browser = new Browser();
  const page = await browser.follow(`${rpUrl}/auth/login?returnTo=%2Fapi%2Forders`, {
    fill: { login: 'ada', password: 'any' },
  });
  expect(page.status).toBe(200);
  return browser;
}

describe('forwardClaims() behind oidcLogin()', () => {
  test('a logged-in user reaches the backend as a signed HS256 token of the chosen claims', async () => {
    verifyKey = new TextEncoder().encode(SECRET);
    await useGateway();
    const browser = await logIn();
    const echo = await api(browser);
    expect(echo.error).toBeNull();
    expect(echo.values).toHaveLength(1);
    const { payload, protectedHeader } = echo.verified!;
    expect(protectedHeader).toEqual({ alg: 'HS256' });
    expect(payload).toMatchObject({
      sub: 'ada',
      email: 'ada@example.com',
      name: 'User ada',
      iss: ISSUER,
      aud: AUDIENCE,
    });
    // Only the chosen claims travel: not the provider's iss/nonce/at_hash, not the tokens.
    expect(Object.keys(payload).sort()).toEqual([
      'aud',
      'email',
      'exp',
      'iat',
      'iss',
      'name',
      'sub',
    ]);
    expect((payload['exp'] as number) - (payload['iat'] as number)).toBe(60);
  }, 60_000);

  test('a header the client sent is removed: spoofing as a user or next to a real login', async () => {
    verifyKey = new TextEncoder().encode(SECRET);
    await useGateway();
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.';
    const anonymous = await api(new Browser(), { 'x-rws-user': forged });
    expect(anonymous).toEqual({ values: [], verified: null, error: null });
    const browser = await logIn();
    const echo = await api(browser, { 'X-RWS-User': forged });
    expect(echo.values).toHaveLength(1);
    expect(echo.values[0]).not.toBe(forged);
    expect(echo.verified!.payload['sub']).toBe('ada');
  }, 60_000);

  test('requests without a logged-in user carry no header', async () => {
    await useGateway();
    expect(await api(new Browser())).toEqual({ values: [], verified: null, error: null });
  }, 30_000);

  test('a private key (ES256, kid) signs; the backend verifies with the public key only', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    verifyKey = publicKey;
    await useGateway({ key: privateKey, algorithm: 'ES256', keyId: 'gw-1', header: 'X-RWS-User' });
    const echo = await api(await logIn());
    expect(echo.error).toBeNull();
    expect(echo.verified!.protectedHeader).toEqual({ alg: 'ES256', kid: 'gw-1' });
    expect(echo.verified!.payload['sub']).toBe('ada');
    // The shared secret of the other tests does not verify it.
    verifyKey = new TextEncoder().encode(SECRET);
    expect((await api(await logIn())).error).toMatch(/alg|key/i);
  }, 60_000);
});

describe('forwardClaims() options', () => {
  const base: ForwardClaimsOptions = { key: SECRET, issuer: ISSUER, audience: AUDIENCE };
  test.each([
    [{ key: 'short' }, /at least 32 bytes/],
    [{ algorithm: 'ES256' }, /HS256/],
    [{ header: 'bad header' }, /header must be a header name/],
    [{ claims: ['email', 'exp'] }, /"exp" is set by the token itself/],
    [{ issuer: '' }, /issuer/],
    [{ audience: [] }, /audience/],
    [{ expiresInSec: 0 }, /expiresInSec/],
    [{ expiresInSec: 1.5 }, /expiresInSec/],
  ] as const)('%o is refused', (change, message) => {
    let thrown: unknown;
    try {
      forwardClaims({ ...base, ...(change as Partial<ForwardClaimsOptions>) });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(RwsError);
    expect((thrown as RwsError).code).toBe('RWS_IDENTITY_OIDC_FORWARD_CLAIMS_INVALID_OPTIONS');
    expect((thrown as Error).message).toMatch(message);
  });

  test('a private key without an asymmetric algorithm is refused', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    expect(() => forwardClaims({ ...base, key: privateKey })).toThrow(/needs algorithm/);
  });
});
