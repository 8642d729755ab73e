/**
 * The `rws` binary as an OIDC-protected gateway (issues #13, #23), spawned as a real process:
 * `[session]` + `[oidc]` + a route with `auth = { type = "oidc" }` and `forward_claims` in
 * rws.config.toml, users logging in at a real OpenID Provider (oidc-provider) through a
 * cookie-keeping browser, a node:http backend that verifies the forwarded header with jose;
 * `rws check` names a missing secret with its key and line.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { createDb, sql } from '@rws/orm';
import { reservePort } from '@rws/test-helpers';
import { Browser, startOidcPeer } from '@rws/test-helpers/oidc';
import { jwtVerify } from 'jose';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, sourceArgs, startCli, tempDir } from './cli-process.js';

const ENV = {
  GW_SESSION_SECRET: 'rws-binary-session-secret-0123456789',
  GW_OIDC_SECRET: 'rws-binary-client-secret-0123456789',
  GW_CLAIMS_SECRET: 'rws-binary-claims-secret-0123456789',
};

function config(issuer: string, origin: string, backend: string, session = ''): string {
  return `
[session]
secrets = "env://GW_SESSION_SECRET"
${session}

[oidc]
issuer = "${issuer}"
client_id = "rws"
client_secret = "env://GW_OIDC_SECRET"
redirect_uri = "${origin}/auth/callback"
scopes = ["openid", "email"]
fetch_userinfo = true

[[route]]
[route.match]
path = "/api/*"
[route.action]
type = "proxy"
upstream = "${backend}"
[route.middleware]
auth = { type = "oidc" }
[route.middleware.forward_claims]
secret = "env://GW_CLAIMS_SECRET"
issuer = "rws"
audience = "api"
claims = ["email"]
`;
}

function runCheck(cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, sourceArgs(['check']), { cwd, env: cleanEnv(env) });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** A provider that knows a gateway on a port chosen up front, and the gateway's origin. */
async function peerForGateway() {
  // The provider registers the gateway's redirect URI, so the gateway's port is chosen first.
  const port = await reservePort();
  const origin = `http://127.0.0.1:${port}`;
  const peer = await startOidcPeer([
    {
      client_id: 'rws',
      client_secret: ENV.GW_OIDC_SECRET,
      redirect_uris: [`${origin}/auth/callback`],
    },
  ]);
  onTestFinished(() => peer.close());
  return { port, origin, issuer: peer.issuer };
}

describe('rws: OIDC login in gateway mode (issues #13, #23)', () => {
  it('logs a browser in, forwards signed claims, strips forged ones; rws check names a missing secret', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const backend = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ url: req.url }));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => backend.close(() => r())));
    const backendAddress = `127.0.0.1:${(backend.address() as { port: number }).port}`;
    const { port, origin, issuer } = await peerForGateway();
    const dir = tempDir('rws-gw-oidc-');
    writeFileSync(join(dir, 'rws.config.toml'), config(issuer, origin, backendAddress));

    const missing = await runCheck(dir, { ...ENV, GW_CLAIMS_SECRET: '' });
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(
      'rws.config.toml:23: route[0].middleware.forward_claims.secret: env://GW_CLAIMS_SECRET: environment variable GW_CLAIMS_SECRET is not set or empty (fail closed)',
    );
    const good = await runCheck(dir, ENV);
    expect(good.code, good.err).toBe(0);
    expect(good.out).toContain(
      `gateway:  1 route, 0 upstreams, sessions in memory, OIDC login (${issuer}), unmatched requests 404`,
    );

    const rws = await startCli(['--port', String(port)], {
      cwd: dir,
      env: cleanEnv(ENV),
    });
    const api = await fetch(`${origin}/api/x`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
    expect(seen).toHaveLength(0);

    const browser = new Browser();
    const page = await browser.follow(`${origin}/api/orders`, {
      fill: { login: 'ada', password: 'any' },
    });
    expect(page.status).toBe(200);
    expect(JSON.parse(page.text)).toEqual({ url: '/api/orders' });
    const again = await browser.request(`${origin}/api/again`, {
      headers: { accept: 'application/json', 'x-rws-user': 'forged' },
    });
    expect(again.status).toBe(200);
    const header = seen.at(-1)?.['x-rws-user'];
    expect(header).not.toBe('forged');
    const { payload } = await jwtVerify(
      header as string,
      new TextEncoder().encode(ENV.GW_CLAIMS_SECRET),
      { issuer: 'rws', audience: 'api' },
    );
    expect(payload).toMatchObject({ sub: 'ada', email: 'ada@example.com' });
    expect(await rws.stop()).toBe(0);
  }, 90_000);

  it('[session] store = "sql" keeps logins in the [database] of rws db (SQLite); rws check needs one', async () => {
    const { port, origin, issuer } = await peerForGateway();
    const dir = tempDir('rws-gw-sql-');
    const file = join(dir, 'rws.config.toml');
    const toml = config(issuer, origin, '127.0.0.1:9', 'store = "sql"');
    writeFileSync(file, toml);
    const missing = await runCheck(dir, ENV);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('session.store: store = "sql": no database');
    writeFileSync(file, `${toml}\n[database]\nurl = "sqlite:sessions.db"\n`);
    const good = await runCheck(dir, ENV);
    expect(good.code, good.err).toBe(0);
    expect(good.out).toContain('sessions in sql');
    const rws = await startCli(['--port', String(port)], { cwd: dir, env: cleanEnv(ENV) });
    const browser = new Browser();
    // The backend (port 9) is not there: the login itself is what this test is about.
    const page = await browser.follow(`${origin}/api/orders`, {
      fill: { login: 'ada', password: 'any' },
    });
    expect(page.url).toBe(`${origin}/api/orders`);
    expect(page.status).toBe(502);
    expect(await rws.stop()).toBe(0);
    const db = createDb({ dialect: 'sqlite', url: `sqlite:${join(dir, 'sessions.db')}` });
    try {
      const rows = await sql<{ data: string }>`select data from rws_sessions`.execute(db.kysely);
      expect(rows.rows.some((r) => r.data.includes('"sub":"ada"'))).toBe(true);
    } finally {
      await db.close();
    }
  }, 90_000);
});
