/**
 * etcdSource against a real etcd (Debian's etcd-server), started here on free loopback ports
 * with a temporary data directory. Skipped, saying why, when etcd is not installed.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createGateway,
  createUpstream,
  etcdSource,
  reverseProxy,
  watchDiscovery,
} from '../src/index.js';
import { underLoad, waitFor } from './discovery-helpers.js';
import { deadPort, labelled, serveProxy, sleep } from './helpers.js';

/** The etcd binary of Debian's etcd-server package (found on PATH). */
const ETCD = 'etcd';
const hasEtcd = spawnSync(ETCD, ['--version']).status === 0;

async function startEtcd(
  extra: string[] = [],
  scheme: 'http' | 'https' = 'http',
): Promise<{ url: string; child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'rws-etcd-'));
  const client = `${scheme}://127.0.0.1:${await deadPort()}`;
  const peer = `http://127.0.0.1:${await deadPort()}`;
  const child = spawn(
    ETCD,
    [
      '--name=rws-test',
      `--data-dir=${dir}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=rws-test=${peer}`,
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });
  const end = Date.now() + 30_000;
  for (;;) {
    // An https etcd wants a client certificate: listening is enough (the test then connects).
    const ok = await (scheme === 'https' ? isListening(client) : fetch(`${client}/health`)).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url: client, child };
    if (Date.now() > end || child.exitCode !== null) throw new Error('etcd did not start');
    await sleep(100);
  }
}

function isListening(url: string): Promise<{ ok: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => {
      s.destroy();
      resolve({ ok: true });
    });
    s.on('error', reject);
  });
}

/** One self-signed certificate for 127.0.0.1, usable as etcd's server cert, CA and client cert. */
function selfSigned(): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rws-etcd-tls-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=etcd'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
      ...['-addext', 'extendedKeyUsage=serverAuth,clientAuth'],
    ],
    { stdio: 'ignore' },
  );
  return { dir, cert, key };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function etcd(url: string, op: 'put' | 'deleterange', key: string, value?: string) {
  const body = op === 'put' ? { key: b64(key), value: b64(value ?? '') } : { key: b64(key) };
  const res = await fetch(`${url}/v3/kv/${op}`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

/** A put over mutual TLS (fetch has no client certificates). */
function etcdTls(
  url: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
  key: string,
  value: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${url}/v3/kv/put`, { method: 'POST', ...tls }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(JSON.stringify({ key: b64(key), value: b64(value) }));
  });
}

async function token(url: string): Promise<string> {
  const res = await fetch(`${url}/v3/auth/authenticate`, {
    method: 'POST',
    body: JSON.stringify({ name: 'root', password: 'rws-s3cret' }),
  });
  return ((await res.json()) as { token: string }).token;
}

describe.skipIf(!hasEtcd)('etcd v3 discovery (real etcd; needs the etcd-server package)', () => {
  it('lists the prefix, follows watch events under load, and keeps the list when etcd goes away', async () => {
    const { url, child } = await startEtcd();
    const a = await labelled('a');
    const b = await labelled('b');
    await etcd(url, 'put', '/rws/upstreams/api/a', a.origin);
    await etcd(url, 'put', '/rws/upstreams/apix/other', 'http://10.0.0.9:80');
    const source = etcdSource({ endpoints: [url], prefix: '/rws/upstreams/api/' });
    expect(await source.resolve()).toEqual([{ url: a.origin }]);

    const u = createUpstream({ name: 'api', backends: [] });
    onTestFinished(() => u.close());
    const errors: Error[] = [];
    // A long refresh: only the watch can bring the changes in time.
    const w = watchDiscovery(u, source, { refreshMs: 600_000, onError: (e) => errors.push(e) });
    onTestFinished(() => w.close());
    await w.ready;
    const p = await serveProxy(reverseProxy({ upstream: u }));
    const bodies = await underLoad(`${p}/`, async () => {
      await etcd(url, 'put', '/rws/upstreams/api/b', JSON.stringify({ url: b.origin, weight: 3 }));
      await waitFor(() => u.backends.length === 2);
      expect(u.backends.find((x) => x.url === b.origin)?.weight).toBe(3);
      await etcd(url, 'deleterange', '/rws/upstreams/api/a');
      await waitFor(() => u.backends.length === 1);
      await sleep(100);
    });
    expect(u.backends.map((x) => x.url)).toEqual([b.origin]);
    expect(bodies).toContain('a');
    expect(bodies.at(-1)).toBe('b');

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await waitFor(() => errors.some((e) => /RWS|discovery etcd/.test(e.message)));
    await w.refresh();
    expect(errors.at(-1)?.message).toMatch(/discovery etcd:\/rws\/upstreams\/api\//);
    expect(u.backends.map((x) => x.url)).toEqual([b.origin]);
    expect(await (await fetch(`${p}/`)).text()).toBe('b');
  });

  it('authenticates as an etcd user, re-authenticates when the token expired, names a wrong password', async () => {
    // Simple tokens expire after 2 idle seconds here (the default is 300).
    const { url } = await startEtcd(['--auth-token-ttl=2']);
    const a = await labelled('a');
    const b = await labelled('b');
    await etcd(url, 'put', '/auth/api/a', a.origin);
    const admin = async (path: string, body: unknown): Promise<void> => {
      const res = await fetch(`${url}/v3/auth/${path}`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
    };
    await admin('user/add', { name: 'root', password: 'rws-s3cret' });
    await admin('role/add', { name: 'root' });
    await admin('user/grant', { user: 'root', role: 'root' });
    await admin('enable', {});

    // Without credentials etcd refuses the read.
    await expect(etcdSource({ endpoints: [url], prefix: '/auth/api/' }).resolve()).rejects.toThrow(
      /discovery etcd:\/auth\/api\/: \/v3\/kv\/range answered/,
    );
    const wrong = etcdSource({
      endpoints: [url],
      prefix: '/auth/api/',
      username: 'root',
      password: 'not-it',
    });
    const failure = await wrong.resolve().then(
      () => null,
      (e: Error) => e,
    );
    expect(failure?.message).toMatch(/authentication as etcd user "root" failed/);
    expect(failure?.message).toMatch(/invalid user ID or password/);
    expect(failure?.message).not.toContain('not-it');

    const source = etcdSource({
      endpoints: [url],
      prefix: '/auth/api/',
      username: 'root',
      password: 'rws-s3cret',
    });
    expect(await source.resolve()).toEqual([{ url: a.origin }]);
    const old = await token(url);
    // Tokens are gone after their TTL (etcd answers 401): the next read authenticates again.
    await sleep(4500);
    const stale = await fetch(`${url}/v3/kv/range`, {
      method: 'POST',
      headers: { authorization: old },
      body: JSON.stringify({ key: b64('/auth/api/a') }),
    });
    expect(stale.status).toBe(401);
    expect(await source.resolve()).toEqual([{ url: a.origin }]);

    // The watch stream carries the token too.
    const u = createUpstream({ name: 'api', backends: [] });
    onTestFinished(() => u.close());
    const w = watchDiscovery(u, source, { refreshMs: 600_000 });
    onTestFinished(() => w.close());
    await w.ready;
    const put = await fetch(`${url}/v3/kv/put`, {
      method: 'POST',
      headers: { authorization: await token(url) },
      body: JSON.stringify({ key: b64('/auth/api/b'), value: b64(b.origin) }),
    });
    expect(put.status).toBe(200);
    await waitFor(() => u.backends.length === 2);
    expect(u.backends.map((x) => x.url).sort()).toEqual([a.origin, b.origin].sort());

    // The gateway's keys: username and password_env.
    const toml = `
[[upstream]]
name = "api"
[upstream.discovery]
type = "etcd"
endpoints = ["${url}"]
prefix = "/auth/api/"
username = "root"
password_env = "ETCD_PASSWORD"

[[route]]
[route.match]
path = "/*"
[route.action]
type = "proxy"
upstream = "api"
`;
    const gateway = await createGateway(toml, { env: { ETCD_PASSWORD: 'rws-s3cret' } });
    onTestFinished(() => gateway.close());
    expect(gateway.upstreams.get('api')!.backends.length).toBe(2);
    const origin = await serveProxy({ handle: gateway.handle });
    expect(['a', 'b']).toContain(await (await fetch(`${origin}/`)).text());

    const errors: string[] = [];
    const refused = await createGateway(toml, {
      env: { ETCD_PASSWORD: 'wrong' },
      onDiscoveryError: (e, where) => errors.push(`${where}: ${e.message}`),
    });
    onTestFinished(() => refused.close());
    expect(refused.upstreams.get('api')!.backends).toEqual([]);
    expect(errors[0]).toMatch(
      /^upstream api: discovery etcd:\/auth\/api\/: authentication as etcd user "root" failed/,
    );
  }, 60_000);

  it('talks to an https etcd that requires a client certificate', async () => {
    const tls = selfSigned();
    const { url } = await startEtcd(
      [
        `--cert-file=${tls.cert}`,
        `--key-file=${tls.key}`,
        `--trusted-ca-file=${tls.cert}`,
        '--client-cert-auth',
      ],
      'https',
    );
    const ca = readFileSync(tls.cert);
    const key = readFileSync(tls.key);
    const a = await labelled('a');
    const mtls = { endpoints: [url], prefix: '/tls/', ca, cert: ca, key };
    // The server may still be starting: retry until it answers.
    const end = Date.now() + 30_000;
    let first = await etcdSource(mtls)
      .resolve()
      .catch((e: Error) => e);
    while (first instanceof Error && Date.now() < end) {
      await sleep(200);
      first = await etcdSource(mtls)
        .resolve()
        .catch((e: Error) => e);
    }
    expect(first).toEqual([]);
    // Without the client certificate etcd refuses the handshake.
    await expect(etcdSource({ endpoints: [url], prefix: '/tls/', ca }).resolve()).rejects.toThrow(
      /discovery etcd:\/tls\/: POST \/v3\/kv\/range: /,
    );
    const u = createUpstream({ name: 'api', backends: [] });
    onTestFinished(() => u.close());
    const w = watchDiscovery(u, etcdSource(mtls), { refreshMs: 600_000 });
    onTestFinished(() => w.close());
    await w.ready;
    // The gateway's ca_file / cert_file / key_file read the same files.
    const g = await createGateway(
      `[[upstream]]\nname = "api"\n[upstream.discovery]\ntype = "etcd"\nendpoints = ["${url}"]\nprefix = "/tls/"\nca_file = "cert.pem"\ncert_file = "cert.pem"\nkey_file = "key.pem"\nrefresh_secs = 600\n`,
      { cwd: tls.dir },
    );
    onTestFinished(() => g.close());
    const put = await etcdTls(url, mtls, '/tls/a', a.origin);
    expect(put).toBe(200);
    await waitFor(() => u.backends.length === 1 && g.upstreams.get('api')!.backends.length === 1);
    expect(g.upstreams.get('api')!.backends[0]!.url).toBe(a.origin);
  }, 60_000);

  it('names the key of a value that is not a backend', async () => {
    const { url } = await startEtcd();
    await etcd(url, 'put', '/bad/x', 'http://10.0.0.1:80 weight=lots');
    await expect(etcdSource({ endpoints: [url], prefix: '/bad/' }).resolve()).rejects.toThrow(
      /\/bad\/x/,
    );
  });
});

it.runIf(!hasEtcd)(
  'etcd tests are skipped: etcd is not installed (apt-get install etcd-server)',
  () => {
    expect(hasEtcd).toBe(false);
  },
);
