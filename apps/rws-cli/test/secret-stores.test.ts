/**
 * Secret-store references (issue #22): `vault://` (HashiCorp Vault KV v2), `aws-sm://` (AWS
 * Secrets Manager) and `azkv://` (Azure Key Vault). None of the three installs here, so each
 * is a small node:http server in this file answering the store's documented HTTP API and
 * checking its authentication: the Vault token and namespace headers, an independently
 * computed SigV4 signature, and the managed-identity bearer token.
 */
import { createHash, createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, resolveConfig, resolveConfigAsync } from '../src/index.js';
import { cleanEnv, startCli, tempDir } from './cli-process.js';
import { CWD, captureIo, fsInput } from './helpers.js';

const FILE = `${CWD}/rws.config.toml`;
const VAULT_TOKEN = 'hvs.test-token';
const AWS = { id: 'AKIDTEST', secret: 'aws-signing-key/abc', region: 'eu-west-1' };
const IDENTITY_HEADER = 'identity-header-value';
const KV_TOKEN = 'kv-bearer-token';

/** What the stores hold; tests change it to see a reload pick up the new value. */
const vaultData: Record<string, Record<string, string>> = {
  'app/db': { password: 'vault-pw-1', user: 'app' },
};
const awsSecrets: Record<string, string> = {
  prod: JSON.stringify({ password: 'aws-pw-1' }),
  plain: 'aws-plain-1',
};
const azureSecrets: Record<string, string> = { 'web-pw': 'azure-pw-1' };
const SECRET_VALUES = ['vault-pw-1', 'aws-pw-1', 'aws-plain-1', 'azure-pw-1'];

async function listen(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Answers; returns true so a handler can `return send(…)`. */
function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): true {
  res.writeHead(status, { 'content-type': type });
  res.end(JSON.stringify(body));
  return true;
}

/** Vault KV v2: `GET /v1/<mount>/data/<path>`, `X-Vault-Token`, `X-Vault-Namespace`. */
function vaultHandler(req: IncomingMessage, _body: string, res: ServerResponse): true {
  if (req.headers['x-vault-token'] !== VAULT_TOKEN) return send(res, 403, { errors: ['denied'] });
  if (req.headers['x-vault-namespace'] !== 'team-a') return send(res, 403, { errors: ['ns'] });
  const prefix = '/v1/secret/data/';
  const data = req.url?.startsWith(prefix) ? vaultData[req.url.slice(prefix.length)] : undefined;
  if (req.method !== 'GET' || data === undefined) return send(res, 404, { errors: [] });
  return send(res, 200, { data: { data, metadata: { version: 1 } } });
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const hmac = (key: string | Buffer, s: string): Buffer =>
  createHmac('sha256', key).update(s).digest();

/** Checks the SigV4 `Authorization` header from the spec, independently of @rws/storage. */
function isSigV4Valid(req: IncomingMessage, body: string): boolean {
  const auth = String(req.headers['authorization'] ?? '');
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  if (m === null) return false;
  const [, id, day, region, service, signed, signature] = m as unknown as string[];
  if (id !== AWS.id || region !== AWS.region || service !== 'secretsmanager') return false;
  const names = (signed as string).split(';');
  if (!names.includes('host') || !names.includes('x-amz-target')) return false;
  const canonical = [
    req.method,
    req.url,
    '',
    names.map((n) => `${n}:${String(req.headers[n] ?? '').trim()}\n`).join(''),
    signed,
    sha256(body),
  ].join('\n');
  const amzDate = String(req.headers['x-amz-date']);
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${AWS.secret}`, day as string);
  for (const part of [region as string, service as string, 'aws4_request']) key = hmac(key, part);
  return hmac(key, toSign).toString('hex') === signature;
}

/** Secrets Manager: `POST /`, `X-Amz-Target: secretsmanager.GetSecretValue`, JSON 1.1. */
function awsHandler(req: IncomingMessage, body: string, res: ServerResponse): true {
  const type = 'application/x-amz-json-1.1';
  if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue') {
    return send(res, 400, { __type: 'UnknownOperationException' }, type);
  }
  if (!isSigV4Valid(req, body))
    return send(res, 403, { __type: 'InvalidSignatureException' }, type);
  const id = (JSON.parse(body) as { SecretId: string }).SecretId;
  const value = awsSecrets[id];
  if (value === undefined) {
    return send(res, 400, { __type: 'ResourceNotFoundException', Message: 'no' }, type);
  }
  return send(
    res,
    200,
    { ARN: `arn:aws:secretsmanager:x:1:secret:${id}`, Name: id, SecretString: value },
    type,
  );
}

/** The App Service identity endpoint and Key Vault `GET /secrets/<name>?api-version=7.4`. */
function azureHandler(req: IncomingMessage, _body: string, res: ServerResponse): true {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/identity') {
    const ok =
      req.headers['x-identity-header'] === IDENTITY_HEADER &&
      url.searchParams.get('resource') === 'https://vault.azure.net' &&
      url.searchParams.get('api-version') === '2019-08-01';
    if (!ok) return send(res, 400, { error: 'invalid_request' });
    const expiresOn = Math.floor(Date.now() / 1000) + 3600;
    return send(res, 200, { access_token: KV_TOKEN, expires_on: String(expiresOn) });
  }
  if (req.headers['authorization'] !== `Bearer ${KV_TOKEN}`) {
    return send(res, 401, { error: { code: 'Unauthorized' } });
  }
  const m = /^\/kv\/([^/]+)\/secrets\/([^/]+)$/.exec(url.pathname);
  const value = m?.[1] === 'my-vault' ? azureSecrets[m[2] as string] : undefined;
  if (url.searchParams.get('api-version') !== '7.4' || value === undefined) {
    return send(res, 404, { error: { code: 'SecretNotFound', message: 'missing' } });
  }
  return send(res, 200, { value, id: `https://my-vault.vault.azure.net/secrets/${m?.[2]}/1` });
}

let servers: Server[] = [];
let storeEnv: Record<string, string> = {};

beforeAll(async () => {
  const vault = await listen(vaultHandler);
  const aws = await listen(awsHandler);
  const azure = await listen(azureHandler);
  // Accepts and never answers: the timeout test.
  const silent = await listen(() => {});
  servers = [vault.server, aws.server, azure.server, silent.server];
  storeEnv = {
    VAULT_ADDR: vault.origin,
    VAULT_TOKEN,
    VAULT_NAMESPACE: 'team-a',
    AWS_ACCESS_KEY_ID: AWS.id,
    AWS_SECRET_ACCESS_KEY: AWS.secret,
    AWS_REGION: AWS.region,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.origin,
    IDENTITY_ENDPOINT: `${azure.origin}/identity`,
    IDENTITY_HEADER,
    RWS_AZKV_ENDPOINT: `${azure.origin}/kv/{vault}`,
    SILENT: silent.origin,
  };
});

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const TOML = [
  'basic_auth = { v = "vault://secret/app/db#password", a = "aws-sm://prod#password", z = "azkv://my-vault/web-pw" }',
  '[headers]',
  'X-Plain = "aws-sm://plain"',
  'X-User = "vault://secret/app/db#user"',
  '',
].join('\n');

describe('secret-store references (vault://, aws-sm://, azkv://)', () => {
  it('resolveConfigAsync reads each store with its own authentication', async () => {
    const r = await resolveConfigAsync({
      argv: [],
      env: storeEnv,
      cwd: CWD,
      ...fsInput({ files: { [FILE]: TOML } }),
    });
    expect(r.problems).toEqual([]);
    expect(r.config.basicAuth).toEqual({ v: 'vault-pw-1', a: 'aws-pw-1', z: 'azure-pw-1' });
    expect(r.config.headers).toEqual({ 'X-Plain': 'aws-plain-1', 'X-User': 'app' });
  });

  it('the synchronous resolveConfig fails closed on them', () => {
    const r = resolveConfig({
      argv: [],
      env: storeEnv,
      cwd: CWD,
      ...fsInput({ files: { [FILE]: TOML } }),
    });
    expect(r.problems.map((p) => p.code)).toEqual(Array(5).fill('RWS_CLI_SECRET_UNRESOLVED'));
  });

  it('fails closed naming the key: bad auth, missing secrets and fields, timeouts', async () => {
    const env = {
      ...storeEnv,
      VAULT_TOKEN: 'wrong',
      AWS_SECRET_ACCESS_KEY: 'not-the-key',
      RWS_SECRET_TIMEOUT_MS: '500',
    };
    const toml = [
      'basic_auth = { v = "vault://secret/app/db#password", a = "aws-sm://prod#password" }',
      `hsts = "azkv://my-vault/nope"`,
      '[headers]',
      'X-Field = "azkv://bad_name!/x"',
      '',
    ].join('\n');
    const r = await resolveConfigAsync({
      argv: [],
      env,
      cwd: CWD,
      ...fsInput({ files: { [FILE]: toml } }),
    });
    const rows = r.problems.map((p) => [p.code, p.key, p.line, p.message]);
    expect(rows).toEqual(
      expect.arrayContaining([
        [
          'RWS_CLI_SECRET_UNRESOLVED',
          'basic_auth',
          1,
          'vault://secret/app/db#password: Vault answered 403 (denied)',
        ],
        [
          'RWS_CLI_SECRET_UNRESOLVED',
          'basic_auth',
          1,
          'aws-sm://prod#password: Secrets Manager answered 403 InvalidSignatureException',
        ],
        [
          'RWS_CLI_SECRET_UNRESOLVED',
          'hsts',
          2,
          'azkv://my-vault/nope: Key Vault answered 404 SecretNotFound',
        ],
        [
          'RWS_CLI_SECRET_UNRESOLVED',
          'headers',
          3,
          'azkv://bad_name!/x: expected azkv://<vault-name>/<secret-name>[/<version>]',
        ],
      ]),
    );
    const fields = await resolveConfigAsync({
      argv: ['--hsts', 'vault://secret/app/db#nope'],
      env: {
        ...storeEnv,
        RWS_CONFIG_BASIC_AUTH: 'u:aws-sm://missing',
        RWS_SECRET_TIMEOUT_MS: '500',
      },
      cwd: CWD,
      ...fsInput({ files: { [FILE]: `[headers]\nX-T = "vault://secret/app/db"\n` } }),
    });
    expect(fields.problems.map((p) => [p.source, p.key, p.message])).toEqual(
      expect.arrayContaining([
        ['flag', '--hsts', 'vault://secret/app/db#nope: the secret has no field nope'],
        [
          'env',
          'RWS_CONFIG_BASIC_AUTH',
          'aws-sm://missing: Secrets Manager answered 400 ResourceNotFoundException',
        ],
        [
          'file',
          'headers',
          'vault://secret/app/db: names no #field and the secret has 2 (password, user)',
        ],
      ]),
    );
    const slow = await resolveConfigAsync({
      argv: ['--hsts', 'vault://secret/app/db#password'],
      env: { ...storeEnv, VAULT_ADDR: storeEnv['SILENT'] as string, RWS_SECRET_TIMEOUT_MS: '300' },
      cwd: CWD,
      ...fsInput(),
    });
    expect(slow.problems.map((p) => p.message)).toEqual([
      `vault://secret/app/db#password: no answer from ${storeEnv['SILENT']} within 300 ms`,
    ]);
    const text = JSON.stringify([r.problems, fields.problems, slow.problems]);
    for (const s of [...SECRET_VALUES, 'not-the-key', AWS.secret]) expect(text).not.toContain(s);
  });

  it('rws check resolves them and prints no value; a missing one exits 1 naming the key', async () => {
    const ok = captureIo(storeEnv, { files: { [FILE]: TOML } });
    expect(await main(['check'], ok)).toBe(0);
    expect(ok.out).toContain('users v, a, z');
    for (const s of SECRET_VALUES) expect(ok.out + ok.err).not.toContain(s);
    const bad = captureIo(storeEnv, { files: { [FILE]: 'hsts = "aws-sm://gone"\n' } });
    expect(await main(['check'], bad)).toBe(1);
    expect(bad.err).toContain(
      'hsts: aws-sm://gone: Secrets Manager answered 400 ResourceNotFoundException',
    );
  });

  it('a SIGHUP fetches them again: the rotated password works, the old one stops', {
    timeout: 60_000,
  }, async () => {
    const dir = tempDir('rws-secret-stores-');
    writeFileSync(join(dir, 'index.html'), 'private');
    writeFileSync(
      join(dir, 'rws.config.toml'),
      'basic_auth = { v = "vault://secret/app/db#password", z = "azkv://my-vault/web-pw" }\n',
    );
    const rws = await startCli(['-p', '0'], { cwd: dir, env: cleanEnv(storeEnv) });
    const get = async (user: string, pw: string): Promise<number> =>
      (
        await fetch(`${rws.origin}/`, {
          headers: { authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` },
        })
      ).status;
    try {
      expect(await get('v', 'vault-pw-1')).toBe(200);
      expect(await get('z', 'azure-pw-1')).toBe(200);
      (vaultData['app/db'] as Record<string, string>)['password'] = 'vault-pw-2';
      azureSecrets['web-pw'] = 'azure-pw-2';
      rws.child.kill('SIGHUP');
      await rws.waitFor('stderr', 'rws: reloaded configuration');
      expect(await get('v', 'vault-pw-2')).toBe(200);
      expect(await get('v', 'vault-pw-1')).toBe(401);
      expect(await get('z', 'azure-pw-2')).toBe(200);
      // A store that stops answering correctly keeps the running configuration (fail closed).
      delete azureSecrets['web-pw'];
      rws.child.kill('SIGHUP');
      await rws.waitFor('stderr', 'rws: still serving the previous configuration');
      expect(rws.stderr).toContain('azkv://my-vault/web-pw: Key Vault answered 404 SecretNotFound');
      expect(await get('z', 'azure-pw-2')).toBe(200);
      expect(rws.stdout + rws.stderr).not.toMatch(/vault-pw|azure-pw/);
    } finally {
      expect(await rws.stop()).toBe(0);
    }
  });
});
