/**
 * Bad `[session]`, `[oidc]` and `forward_claims` configurations (issues #13, #23): every problem
 * with its key path and line, unknown keys with a did-you-mean, and secrets that cannot be
 * read stopping the gateway before it starts (fail closed).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createGateway,
  GatewayConfigError,
  type GatewayOptions,
  parseGatewayConfig,
} from '../src/index.js';

const SECRET = 'a-session-secret-of-at-least-32-bytes';
const SESSION = '[session]\nsecrets = ["env://S"]\n';
const OIDC = '[oidc]\nissuer = "https://id.example.com"\nclient_id = "gw"\n';
const ROUTE = '[[route]]\n[route.match]\npath = "/app/*"\n[route.action]\ntype = "respond"\n';
const CLAIMS = `[route.middleware.forward_claims]\nsecret = "env://C"\nissuer = "gw"\naudience = "api"\n`;

/** The problems of `text` as `line: key: message (hint)` strings (parse only). */
function parseProblems(text: string): string[] {
  const { config, problems } = parseGatewayConfig(text, { file: 'g.toml' });
  expect(config).toBeNull();
  return problems.map((p) => `${p.line}: ${p.key}: ${p.message}${p.hint ? ` (${p.hint})` : ''}`);
}

/** The problems `createGateway` reports (parse and build), as formatted lines. */
async function buildProblems(text: string, options: GatewayOptions = {}): Promise<string[]> {
  const err = await createGateway(text, { file: 'g.toml', ...options }).then(
    async (g) => {
      await g.close();
      return null;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayConfigError);
  return (err as GatewayConfigError).message.split('\n').slice(1);
}

describe('gateway identity keys: parse problems (issues #13, #23)', () => {
  it('[session] without secrets, with unknown keys, a bad store and a secret store ref', () => {
    expect(parseProblems('[session]\ncookie_nam = "x"\nstore = "redi"\n')).toEqual([
      '1: session: is missing secrets (env://NAME or file:///path references, newest first; sessions never start unsigned)',
      '2: session.cookie_nam: unknown key (did you mean "cookie_name"?)',
      '3: session.store: must be "memory", "redis", "sql", got "redi" (did you mean "redis"?)',
    ]);
    expect(parseProblems('[session]\nsecrets = ["env://A", "vault://kv/s#k"]\n')).toEqual([
      '2: session.secrets[1]: secret stores are not read in gateway sections (use env://NAME or file:///path)',
    ]);
    expect(parseProblems('[session]\nsecrets = []\n')).toEqual([
      '2: session.secrets: must not be empty',
    ]);
  });

  it('[oidc]: issuer or preset, client_id, paths, preset settings, and the [session] it needs', () => {
    expect(
      parseProblems(
        '[oidc]\nclient_idd = "gw"\nlogin_path = "auth/login"\nrealm = "x"\nscopes = "openid"\n',
      ),
    ).toEqual([
      '1: oidc: is missing issuer (or a preset)',
      '1: oidc: is missing client_id',
      '1: oidc: needs [session] (the login is kept in the session)',
      '2: oidc.client_idd: unknown key (did you mean "client_id"?)',
      '3: oidc.login_path: must be a path starting with "/" (no spaces, "?" or "#"), got "auth/login"',
      '4: oidc.realm: realm is a preset setting; it needs a preset that takes it',
      '5: oidc.scopes: must be an array of strings, got a string',
    ]);
    expect(
      parseProblems(
        `${SESSION}[oidc]\npreset = "keycloak"\nclient_id = "gw"\nbase_url = "https://kc"\n`,
      ),
    ).toEqual(['3: oidc: is missing realm']);
    expect(parseProblems(`${SESSION}[oidc]\npreset = "googel"\nclient_id = "gw"\n`)).toEqual([
      '4: oidc.preset: must be "google", "microsoft", "github", "okta", "auth0", "keycloak", got "googel" (did you mean "google"?)',
    ]);
  });

  it('auth type oidc and forward_claims need [oidc]; [middleware] cannot hold them', () => {
    expect(
      parseProblems(`${ROUTE}[route.middleware]\nauth = { type = "oidc" }\n${CLAIMS}`),
    ).toEqual([
      '7: route[0].middleware.auth: auth type "oidc" needs [oidc]',
      '8: route[0].middleware.forward_claims: forward_claims needs [oidc] (the claims are those of the logged-in user)',
    ]);
    expect(parseProblems(`${SESSION}${OIDC}[middleware]\nauth = { type = "oidc" }\n`)).toEqual([
      '7: middleware.auth: auth type "oidc" is set per route ([route.middleware]): [middleware] runs before the login',
    ]);
    expect(parseProblems(`${ROUTE}[route.middleware]\nauth = { type = "oicd" }\n`)).toEqual([
      '7: route[0].middleware.auth.type: auth type must be bearer, jwt, basic or oidc, got "oicd" (did you mean "oidc"?)',
    ]);
  });

  it('forward_claims: issuer, audience and a key are required; unknown keys get a did-you-mean', () => {
    expect(
      parseProblems(
        `${SESSION}${OIDC}${ROUTE}[route.middleware.forward_claims]\nclaim = ["email"]\nheader = "bad header"\n`,
      ),
    ).toEqual([
      '11: route[0].middleware.forward_claims: is missing secret (an env://NAME or file:///path reference; nothing starts without it)',
      '11: route[0].middleware.forward_claims: is missing issuer',
      '11: route[0].middleware.forward_claims: is missing audience',
      '12: route[0].middleware.forward_claims.claim: unknown key (did you mean "claims"?)',
      '13: route[0].middleware.forward_claims.header: "bad header" is not a valid header name',
    ]);
    expect(
      parseProblems(
        `${SESSION}${OIDC}${ROUTE}[route.middleware.forward_claims]\nprivate_key_file = "k.pem"\nsecret = "env://C"\nissuer = "gw"\naudience = "api"\n`,
      ),
    ).toEqual([
      '11: route[0].middleware.forward_claims: give secret or private_key_file, not both',
      '11: route[0].middleware.forward_claims: is missing algorithm (ES256, EdDSA, RS256… for private_key_file)',
    ]);
  });

  it('the example of docs/gateway.md "Sessions and OIDC login" parses (with its upstream)', () => {
    const doc = readFileSync(new URL('../../../docs/gateway.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Sessions and OIDC login'));
    const toml = /```toml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(toml).toContain('[oidc]');
    const upstream = '[[upstream]]\nname = "orders"\nbackends = ["127.0.0.1:9"]\n';
    expect(parseGatewayConfig(`${toml}${upstream}`).problems).toEqual([]);
  });

  it('a complete configuration parses into the typed config', () => {
    const { config, problems } = parseGatewayConfig(
      `${SESSION}ttl_secs = 3600\n${OIDC}${ROUTE}[route.middleware]\nauth = { type = "oidc" }\n${CLAIMS}`,
    );
    expect(problems).toEqual([]);
    expect(config?.session).toMatchObject({ secrets: ['env://S'], ttlSecs: 3600, store: 'memory' });
    expect(config?.oidc).toMatchObject({ issuer: 'https://id.example.com', clientId: 'gw' });
    expect(config?.routes[0]?.middleware.auth).toEqual({ type: 'oidc', realm: null });
    expect(config?.routes[0]?.middleware.forwardClaims).toMatchObject({
      secret: 'env://C',
      issuer: 'gw',
      audience: ['api'],
    });
  });
});

describe('gateway identity keys: build problems, fail closed (issues #13, #23)', () => {
  const full = `${SESSION}${OIDC}client_secret = "env://O"\n${ROUTE}[route.middleware]\nauth = { type = "oidc" }\n${CLAIMS}`;

  it('unset env vars in secret references stop the gateway, each at its key and line', async () => {
    expect(await buildProblems(full, { env: {} })).toEqual([
      'g.toml:2: session.secrets: env://S: environment variable S is not set or empty (fail closed)',
      'g.toml:6: oidc.client_secret: env://O: environment variable O is not set or empty (fail closed)',
      'g.toml:15: route[0].middleware.forward_claims.secret: env://C: environment variable C is not set or empty (fail closed)',
    ]);
  });

  it('the middleware factories judge values: a short secret, a short claims key', async () => {
    expect(await buildProblems(full, { env: { S: 'short', O: 'o', C: 'short' } })).toEqual([
      'g.toml:1: session: session: secrets[0] is 5 bytes; at least 32 are required',
      'g.toml:14: route[0].middleware.forward_claims: forwardClaims: the secret key must be at least 32 bytes, got 5',
    ]);
  });

  it('store = "redis" or "sql" without what it needs is a problem, not a memory fallback', async () => {
    const env = { S: SECRET, O: 'o', C: SECRET };
    expect(
      await buildProblems(full.replace(SESSION, `${SESSION}store = "redis"\n`), { env }),
    ).toEqual([
      'g.toml:3: session.store: store = "redis" needs a Redis client: createGateway(source, { redis }) (the rws binary opens none; use "memory")',
    ]);
    expect(
      await buildProblems(full.replace(SESSION, `${SESSION}store = "sql"\n`), { env }),
    ).toEqual([
      'g.toml:3: session.store: store = "sql" needs a SQL session store: createGateway(source, { sqlSessionStore }) (the rws binary makes one from [database] url)',
    ]);
  });

  it('file:// references and private_key_file are read; unreadable ones are problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-gw-oidc-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'session.secret'), `${SECRET}\n`);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(dir, 'claims.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const ref = pathToFileURL(join(dir, 'session.secret')).href;
    const good = `[session]\nsecrets = "${ref}"\n${OIDC}${ROUTE}[route.middleware.forward_claims]\nprivate_key_file = "claims.pem"\nalgorithm = "ES256"\nissuer = "gw"\naudience = "api"\n`;
    const gateway = await createGateway(good, { env: {}, cwd: dir });
    await gateway.close();
    const missing = good.replace('session.secret', 'nope').replace('claims.pem', 'nope.pem');
    const lines = await buildProblems(missing, { env: {}, cwd: dir });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^g\.toml:2: session\.secrets: file:.*\/nope: cannot read \(ENOENT\)/);
    expect(lines[1]).toMatch(
      /^g\.toml:12: route\[0\]\.middleware\.forward_claims\.private_key_file: cannot read a PEM private key from nope\.pem/,
    );
  });
});
