/**
 * `[session]`, `[oidc]`, `auth = { type = "oidc" }` and `forward_claims` of the config-driven
 * gateway (issues #13 and #23), over real sockets: `createGateway` on @rws/http1 in front of a
 * node:http backend that records what it receives, users logging in at a real OpenID Provider
 * (oidc-provider) with a cookie-keeping browser that follows redirects and fills in the
 * provider's login and consent forms. The backend checks the forwarded header with jose.
 */

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNodeServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, type Handler, text } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { createSqlSessionStore } from '@rws/middleware/session-sql';
import { createDb, sql } from '@rws/orm';
import { connectRedis } from '@rws/test-helpers';
import { Browser, type OidcPeer, startOidcPeer } from '@rws/test-helpers/oidc';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { createGateway, type Gateway, type GatewayOptions } from '../src/index.js';

const CLAIMS_SECRET = 'gateway-claims-secret-0123456789abcdef';
const ENV = {
  GW_SESSION_SECRET: 'gateway-session-secret-0123456789abcdef',
  GW_OIDC_SECRET: 'gateway-client-secret-0123456789',
  GW_CLAIMS_SECRET: CLAIMS_SECRET,
};
const FILL = { login: 'ada', password: 'any' };

let peer: OidcPeer;
let front: Http1Server;
let gw: string;
let handler: Handler = () => text('no gateway yet', { status: 503 });
let backend: Server;
let backendPort: number;
/** What the backend received, newest last. */
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  backend = createNodeServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ url: req.url }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  backendPort = (backend.address() as AddressInfo).port;
  // The gateway's address goes into the provider's client registration, so it listens first.
  front = createServer((req) => handler(req), { onError: () => {} });
  const { port } = await front.listen({ port: 0, host: '127.0.0.1' });
  gw = `http://127.0.0.1:${port}`;
  peer = await startOidcPeer([
    {
      client_id: 'gw',
      client_secret: ENV.GW_OIDC_SECRET,
      redirect_uris: [`${gw}/auth/callback`],
      post_logout_redirect_uris: [`${gw}/bye`],
    },
  ]);
}, 30_000);

afterAll(async () => {
  await front?.close();
  await peer?.close();
  backend?.closeAllConnections();
  await new Promise((r) => backend?.close(r));
});

/** The gateway's TOML: `/app/*` needs a login, `/public/*` does not; both forward claims. */
function config(session = ''): string {
  return `
[session]
secrets = ["env://GW_SESSION_SECRET"]
${session}

[oidc]
issuer = "${peer.issuer}"
client_id = "gw"
client_secret = "env://GW_OIDC_SECRET"
redirect_uri = "${gw}/auth/callback"
post_logout_redirect_uri = "${gw}/bye"
scopes = ["openid", "email", "profile"]
fetch_userinfo = true

[[route]]
[route.match]
path = "/app/*"
[route.action]
type = "proxy"
upstream = "127.0.0.1:${backendPort}"
[route.middleware]
auth = { type = "oidc" }
[route.middleware.forward_claims]
secret = "env://GW_CLAIMS_SECRET"
issuer = "https://gw.test"
audience = "orders-api"
claims = ["email", "name"]

[[route]]
[route.match]
path = "/public/*"
[route.action]
type = "proxy"
upstream = "127.0.0.1:${backendPort}"
[route.middleware.forward_claims]
secret = "env://GW_CLAIMS_SECRET"
issuer = "https://gw.test"
audience = "orders-api"

[[route]]
[route.match]
path = "/bye"
[route.action]
type = "respond"
body = "logged out"
`;
}

async function useGateway(toml = config(), options: GatewayOptions = {}): Promise<Gateway> {
  const gateway = await createGateway(toml, { env: ENV, ...options });
  handler = compose([gateway], () => text('fell through', { status: 404 }));
  return gateway;
}

/** The last request the backend saw, after `call` ran. */
async function backendSaw(call: () => Promise<unknown>) {
  const before = seen.length;
  await call();
  return seen.length > before ? seen[seen.length - 1]! : null;
}

async function logIn(browser: Browser, path = '/app/orders') {
  const page = await browser.follow(`${gw}${path}`, { fill: FILL });
  expect(page.status).toBe(200);
  expect(page.url).toBe(`${gw}${path}`);
  return page;
}

describe('gateway [oidc] login (issue #23)', () => {
  let gateway: Gateway;
  beforeAll(async () => {
    gateway = await useGateway();
  });
  afterAll(() => gateway?.close());

  test('an anonymous page request is sent to log in; an API call gets 401; the backend sees neither', async () => {
    const browser = new Browser();
    const before = seen.length;
    const page = await browser.request(`${gw}/app/orders?x=1`);
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fapp%2Forders%3Fx%3D1');
    // The login route sends the browser to the provider with PKCE, state and nonce.
    const login = await browser.request(new URL(page.headers.get('location')!, gw));
    expect(login.status).toBe(302);
    const auth = new URL(login.headers.get('location')!);
    expect(auth.origin).toBe(peer.issuer);
    expect(auth.searchParams.get('client_id')).toBe('gw');
    expect(auth.searchParams.get('redirect_uri')).toBe(`${gw}/auth/callback`);
    expect(auth.searchParams.get('code_challenge_method')).toBe('S256');
    expect(auth.searchParams.get('state')).toMatch(/.{16,}/);
    expect(auth.searchParams.get('nonce')).toMatch(/.{16,}/);
    const api = await browser.request(`${gw}/app/orders`, {
      headers: { accept: 'application/json' },
    });
    expect(api.status).toBe(401);
    expect(seen.length).toBe(before);
  }, 30_000);

  test('full login: the backend gets a signed header of the chosen claims, verified with jose', async () => {
    const browser = new Browser();
    const saw = await backendSaw(() => logIn(browser));
    expect(saw?.url).toBe('/app/orders');
    const token = saw!.headers['x-rws-user'];
    expect(typeof token).toBe('string');
    const { payload, protectedHeader } = await jwtVerify(
      token as string,
      new TextEncoder().encode(CLAIMS_SECRET),
      { issuer: 'https://gw.test', audience: 'orders-api' },
    );
    expect(protectedHeader).toEqual({ alg: 'HS256' });
    expect(payload).toMatchObject({ sub: 'ada', email: 'ada@example.com', name: 'User ada' });
    expect(Object.keys(payload).sort()).toEqual([
      'aud',
      'email',
      'exp',
      'iat',
      'iss',
      'name',
      'sub',
    ]);
    // A wrong key does not verify it: the header is a signature, not a plain claim.
    await expect(
      jwtVerify(token as string, new TextEncoder().encode(`${CLAIMS_SECRET}x`)),
    ).rejects.toThrow(/signature/);
  }, 60_000);

  test('the session persists: later requests pass without the provider, API calls too', async () => {
    const browser = new Browser();
    await logIn(browser);
    for (const path of ['/app/a', '/app/b']) {
      const saw = await backendSaw(async () => {
        const res = await browser.request(`${gw}${path}`, {
          headers: { accept: 'application/json' },
        });
        expect(res.status).toBe(200);
      });
      expect(saw?.url).toBe(path);
      expect(saw?.headers['x-rws-user']).toMatch(/^ey/);
    }
  }, 60_000);

  test('a client-supplied header never reaches the backend: anonymous, or next to a real login', async () => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.';
    const anonymous = await backendSaw(() =>
      new Browser().request(`${gw}/public/x`, { headers: { 'x-rws-user': forged } }),
    );
    expect(anonymous?.url).toBe('/public/x');
    expect(anonymous?.headers['x-rws-user']).toBeUndefined();
    const browser = new Browser();
    await logIn(browser);
    const saw = await backendSaw(() =>
      browser.request(`${gw}/app/x`, { headers: { 'X-RWS-User': forged } }),
    );
    expect(saw?.headers['x-rws-user']).not.toBe(forged);
    const { payload } = await jwtVerify(
      saw!.headers['x-rws-user'] as string,
      new TextEncoder().encode(CLAIMS_SECRET),
    );
    expect(payload['sub']).toBe('ada');
  }, 60_000);

  test('a tampered session cookie is not a login', async () => {
    const browser = new Browser();
    await logIn(browser);
    const jar = browser.cookies(gw);
    const sid = jar.get('sid')!;
    expect(sid).toBeDefined();
    // Change one character inside the signature (not the last: its low bits may be padding).
    const at = sid.length - 5;
    const swapped = sid[at] === 'A' ? 'B' : 'A';
    jar.set('sid', `${sid.slice(0, at)}${swapped}${sid.slice(at + 1)}`);
    const saw = await backendSaw(async () => {
      const res = await browser.request(`${gw}/app/orders`, {
        headers: { accept: 'application/json' },
      });
      expect(res.status).toBe(401);
    });
    expect(saw).toBeNull();
  }, 60_000);

  test('logout ends the gateway session and the provider session', async () => {
    const browser = new Browser();
    await logIn(browser);
    // GET shows a button that POSTs; the browser presses it; the provider confirms; /bye.
    const out = await browser.follow(`${gw}/auth/logout`);
    expect(out.url).toBe(`${gw}/bye`);
    expect(out.text).toBe('logged out');
    const res = await browser.request(`${gw}/app/orders`, {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(401);
  }, 60_000);

  test('private_key_file (ES256, key_id) signs; the backend verifies with the public key only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-gw-claims-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'claims.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const signed = config().replace(
      'secret = "env://GW_CLAIMS_SECRET"\nissuer = "https://gw.test"\naudience = "orders-api"\nclaims',
      'private_key_file = "claims.pem"\nalgorithm = "ES256"\nkey_id = "gw-1"\nissuer = "https://gw.test"\naudience = "orders-api"\nclaims',
    );
    expect(signed).toContain('claims.pem');
    const es = await useGateway(signed, { cwd: dir });
    try {
      const saw = await backendSaw(() => logIn(new Browser()));
      const { payload, protectedHeader } = await jwtVerify(
        saw!.headers['x-rws-user'] as string,
        publicKey,
        { issuer: 'https://gw.test', audience: 'orders-api' },
      );
      expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'gw-1' });
      expect(payload['sub']).toBe('ada');
    } finally {
      await es.close();
      handler = compose([gateway], () => text('fell through', { status: 404 }));
    }
  }, 60_000);

  test('a reload keeps the logins of a memory store', async () => {
    const browser = new Browser();
    await logIn(browser);
    expect((await gateway.reload(config())).isApplied).toBe(true);
    const res = await browser.request(`${gw}/app/after-reload`, {
      headers: { accept: 'application/json' },
    });
    expect(res.status).toBe(200);
  }, 60_000);
});

describe('gateway [session] store = "redis" (issue #13)', () => {
  test('logins live in Redis under the configured prefix, shared by two gateways', async (ctx) => {
    const client = await connectRedis('gateway Redis session store');
    if (client === null) return ctx.skip();
    const prefix = `rws:test:gw-sess:${process.pid}:${Date.now()}:`;
    const first = await useGateway(config(`store = "redis"\nredis_prefix = "${prefix}"`), {
      redis: client,
    });
    try {
      const browser = new Browser();
      await logIn(browser);
      expect((await client.keys(`${prefix}*`)).length).toBeGreaterThan(0);
      // Another gateway instance on the same Redis knows the login.
      const second = await useGateway(config(`store = "redis"\nredis_prefix = "${prefix}"`), {
        redis: client,
      });
      await first.close();
      const res = await browser.request(`${gw}/app/x`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(200);
      await second.close();
    } finally {
      await first.close();
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    }
  }, 60_000);
});

describe('gateway [session] store = "sql" (issue #13)', () => {
  test('logins live in the injected SQL store (SQLite); the gateway leaves it open for its owner', async () => {
    const db = createDb.memory();
    const store = createSqlSessionStore({ db, sweepIntervalMs: 0 });
    onTestFinished(() => db.close());
    const gateway = await useGateway(config('store = "sql"'), { sqlSessionStore: store });
    try {
      const browser = new Browser();
      await logIn(browser);
      const rows = await sql<{ n: number }>`select count(*) as n from rws_sessions`.execute(
        db.kysely,
      );
      expect(Number(rows.rows[0]?.n)).toBeGreaterThan(0);
      const res = await browser.request(`${gw}/app/x`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(200);
    } finally {
      await gateway.close();
    }
    // Still usable: closing the gateway did not close the caller's store.
    await store.set('after-close', { a: 1 }, 60_000);
    expect(await store.get('after-close')).toEqual({ a: 1 });
  }, 60_000);
});
