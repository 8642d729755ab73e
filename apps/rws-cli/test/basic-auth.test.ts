/**
 * Issue #8: basic auth for the whole site (`basic_auth`, `basic_auth_file`, `basic_auth_realm`)
 * through the real `rws` binary over real sockets: 401 + WWW-Authenticate without credentials,
 * the site with them, CORS preflights answered before auth, /healthz and /readyz left open,
 * an htpasswd {SHA256} entry, a SIGHUP that changes the password, and `rws check` reporting a
 * bad value with its key and line.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, parseToml } from '../src/index.js';
import { cleanEnv, sourceArgs, startCli, tempDir } from './cli-process.js';

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function site(): string {
  const dir = tempDir('rws-basic-auth-');
  writeFileSync(join(dir, 'index.html'), '<p>secret</p>');
  return dir;
}

describe('rws: basic auth for the whole site', () => {
  it('--basic-auth: 401 with a challenge without or with wrong credentials, the site with them', async () => {
    const dir = site();
    const rws = await startCli(
      [
        '--port',
        '0',
        '--basic-auth',
        'alice:s3cret',
        '--basic-auth',
        'bob:hunter2',
        '--basic-auth-realm',
        'team',
      ],
      { cwd: dir, env: cleanEnv() },
    );
    const none = await fetch(`${rws.origin}/index.html`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Basic realm="team", charset="UTF-8"');
    expect(await none.text()).not.toContain('secret');

    const wrong = await fetch(`${rws.origin}/index.html`, {
      headers: { authorization: basic('alice', 'hunter2') },
    });
    expect(wrong.status).toBe(401);
    const unknown = await fetch(`${rws.origin}/`, {
      headers: { authorization: basic('mallory', 's3cret') },
    });
    expect(unknown.status).toBe(401);

    for (const [user, password] of [
      ['alice', 's3cret'],
      ['bob', 'hunter2'],
    ] as const) {
      const ok = await fetch(`${rws.origin}/index.html`, {
        headers: { authorization: basic(user, password) },
      });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('<p>secret</p>');
    }
    // A directory listing and a 404 are behind the same gate.
    expect((await fetch(`${rws.origin}/missing.txt`)).status).toBe(401);

    // The server's own health endpoints answer before the handler: no credentials needed.
    expect((await fetch(`${rws.origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${rws.origin}/readyz`)).status).toBe(200);
    expect(await rws.stop()).toBe(0);
  });

  it('CORS preflights pass without credentials; the 401 carries the CORS headers', async () => {
    const dir = site();
    writeFileSync(
      join(dir, 'rws.config.toml'),
      'port = 0\nbasic_auth = ["alice:s3cret"]\n[cors]\nallow_origins = ["https://app.example"]\n',
    );
    const rws = await startCli([], { cwd: dir, env: cleanEnv() });
    const preflight = await fetch(`${rws.origin}/index.html`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization');

    const refused = await fetch(`${rws.origin}/index.html`, {
      headers: { origin: 'https://app.example' },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example');

    // An OPTIONS that is not a preflight (no Origin) is a request like any other.
    expect((await fetch(`${rws.origin}/index.html`, { method: 'OPTIONS' })).status).toBe(401);
    expect(await rws.stop()).toBe(0);
  });

  it('basic_auth_file: an htpasswd {SHA256} entry; SIGHUP applies a changed password', async () => {
    const dir = site();
    // Outside the served root, as it should be in real use.
    const htpasswd = join(tempDir('rws-htpasswd-'), 'users.htpasswd');
    const sha256 = (p: string): string => createHash('sha256').update(p).digest('base64');
    writeFileSync(htpasswd, `# users\ncarol:{SHA256}${sha256('first-pass')}\n`);
    const file = join(dir, 'rws.config.toml');
    writeFileSync(file, `basic_auth_file = ${JSON.stringify(htpasswd)}\n`);
    const rws = await startCli(['--port', '0'], { cwd: dir, env: cleanEnv() });
    const get = (password: string) =>
      fetch(`${rws.origin}/index.html`, { headers: { authorization: basic('carol', password) } });
    expect((await get('first-pass')).status).toBe(200);
    expect((await get('second-pass')).status).toBe(401);
    const challenge = (await fetch(rws.origin)).headers.get('www-authenticate');
    expect(challenge).toBe('Basic realm="Restricted", charset="UTF-8"');

    // The password in the htpasswd file changes, and the realm in the config.
    writeFileSync(htpasswd, `carol:{SHA256}${sha256('second-pass')}\n`);
    writeFileSync(file, `basic_auth_file = ${JSON.stringify(htpasswd)}\nbasic_auth_realm = "v2"\n`);
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'rws: reloaded configuration');
    expect((await get('second-pass')).status).toBe(200);
    expect((await get('first-pass')).status).toBe(401);
    expect((await fetch(rws.origin)).headers.get('www-authenticate')).toBe(
      'Basic realm="v2", charset="UTF-8"',
    );

    // A broken htpasswd (a truncated bcrypt hash) is refused and the previous users keep working.
    writeFileSync(htpasswd, 'carol:$2y$10$abcdefghijklmnopqrstuv\n');
    rws.child.kill('SIGHUP');
    await rws.waitFor('stderr', 'still serving the previous configuration');
    expect(rws.stderr).toContain('bcrypt');
    expect((await get('second-pass')).status).toBe(200);
    expect(await rws.stop()).toBe(0);
  });

  it('--basic-auth-file with a bcrypt entry ($2y$, as htpasswd -B writes)', async () => {
    const dir = site();
    // Openwall crypt_blowfish's vector for "U*U", as $2y$.
    writeFileSync(
      join(dir, 'users.htpasswd'),
      'uli:$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\n',
    );
    const rws = await startCli(['--port', '0', '--basic-auth-file', 'users.htpasswd'], {
      cwd: dir,
      env: cleanEnv(),
    });
    const get = (password: string) =>
      fetch(`${rws.origin}/`, { headers: { authorization: basic('uli', password) } });
    expect((await get('U*U')).status).toBe(200);
    expect((await get('U*U*')).status).toBe(401);
    expect(await rws.stop()).toBe(0);
  });

  it('RWS_CONFIG_BASIC_AUTH: one user:password per line', async () => {
    const dir = site();
    const rws = await startCli(['--port', '0'], {
      cwd: dir,
      env: cleanEnv({ RWS_CONFIG_BASIC_AUTH: 'alice:a:with:colons\nbob:b' }),
    });
    const get = (user: string, password: string) =>
      fetch(`${rws.origin}/`, { headers: { authorization: basic(user, password) } });
    expect((await get('alice', 'a:with:colons')).status).toBe(200);
    expect((await get('bob', 'b')).status).toBe(200);
    expect((await get('bob', 'a:with:colons')).status).toBe(401);
    expect(await rws.stop()).toBe(0);
  });
});

describe('rws check: basic auth', () => {
  const check = (dir: string) =>
    spawnSync(process.execPath, sourceArgs(['check']), {
      cwd: dir,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });

  it('reports a bad value with its key and line, without echoing it', () => {
    const dir = site();
    writeFileSync(
      join(dir, 'rws.config.toml'),
      'port = 0\nbasic_auth = ["nocolon"]\nbasic_auth_file = "missing.htpasswd"\n',
    );
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'rws.config.toml:2: basic_auth: item 1 must be "user:password" (no colon found)',
    );
    expect(r.stderr).toContain(
      `rws.config.toml:3: basic_auth_file: file not found: ${join(dir, 'missing.htpasswd')}`,
    );
  });

  it('reads the htpasswd file and lists the users, never the passwords', () => {
    const dir = site();
    writeFileSync(join(dir, 'bad.htpasswd'), 'dave:$2y$05$abcdefghijklmnopqrstuu\n');
    writeFileSync(
      join(dir, 'rws.config.toml'),
      'basic_auth_file = "bad.htpasswd"\n[basic_auth]\nalice = "s3cret"\n',
    );
    const bad = check(dir);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('bad.htpasswd:1: malformed or unsupported bcrypt hash $2y$…');

    writeFileSync(join(dir, 'bad.htpasswd'), 'dave:plain\n');
    const ok = check(dir);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(
      `  auth:     basic, realm "Restricted" · users alice · htpasswd ${join(dir, 'bad.htpasswd')}\n`,
    );
    expect(ok.stdout).not.toContain('s3cret');
  });
});

describe('basic_auth values', () => {
  it('--basic-auth repeats; a later entry for a user replaces the earlier', () => {
    const parsed = parseArgs([
      '--basic-auth',
      'alice:one',
      '--basic-auth=bob:two:with:colons',
      '--basic-auth',
      'alice:three',
    ]);
    expect(parsed.problems).toEqual([]);
    expect(parsed.values.get('basicAuth')).toEqual({ alice: 'three', bob: 'two:with:colons' });
  });

  it.each<[string, string]>([
    ['nocolon', 'must be "user:password" (no colon found)'],
    [':pw', 'the user name is empty'],
    ['alice:', 'the password of "alice" is empty'],
    ['alice:a\tb', 'the entry of "alice" has a control character'],
  ])('--basic-auth %j is refused: %s', (raw, message) => {
    const parsed = parseArgs(['--basic-auth', raw]);
    expect(parsed.problems.map((p) => p.message)).toEqual([message]);
  });

  it('TOML: a list or a table; a string, a number or an empty password is refused', () => {
    expect(parseToml('basic_auth = ["a:1", "b:2"]\n', 'f.toml').values.get('basicAuth')).toEqual({
      a: '1',
      b: '2',
    });
    expect(parseToml('[basic_auth]\na = "1"\n', 'f.toml').values.get('basicAuth')).toEqual({
      a: '1',
    });
    const bad = parseToml(
      'basic_auth = "a:1"\nbasic_auth_realm = ""\n[cors]\nallow_all = true\n',
      'f.toml',
    );
    expect(bad.problems.map((p) => `${p.line}: ${p.key}: ${p.message}`)).toEqual([
      '1: basic_auth: must be a list of "user:password" strings or a table of user = password, got a string',
      '2: basic_auth_realm: must be a non-empty string, got ""',
    ]);
    expect(
      parseToml('[basic_auth]\na = 1\nb = ""\n', 'f.toml').problems.map((p) => p.message),
    ).toEqual(['a must be a password string, got 1']);
    expect(parseToml('[basic_auth]\nb = ""\n', 'f.toml').problems.map((p) => p.message)).toEqual([
      'the password of "b" is empty',
    ]);
  });
});
