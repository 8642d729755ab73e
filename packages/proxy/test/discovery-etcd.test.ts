/**
 * etcdSource against a real etcd (Debian's etcd-server), started here on free loopback ports
 * with a temporary data directory. Skipped, saying why, when etcd is not installed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream, etcdSource, reverseProxy, watchDiscovery } from '../src/index.js';
import { underLoad, waitFor } from './discovery-helpers.js';
import { deadPort, labelled, serveProxy, sleep } from './helpers.js';

/** The etcd binary of Debian's etcd-server package (found on PATH). */
const ETCD = 'etcd';
const hasEtcd = spawnSync(ETCD, ['--version']).status === 0;

async function startEtcd(): Promise<{ url: string; child: ChildProcess }> {
  const dir = mkdtempSync(join(tmpdir(), 'rws-etcd-'));
  const client = `http://127.0.0.1:${await deadPort()}`;
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
    const ok = await fetch(`${client}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url: client, child };
    if (Date.now() > end || child.exitCode !== null) throw new Error('etcd did not start');
    await sleep(100);
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function etcd(url: string, op: 'put' | 'deleterange', key: string, value?: string) {
  const body = op === 'put' ? { key: b64(key), value: b64(value ?? '') } : { key: b64(key) };
  const res = await fetch(`${url}/v3/kv/${op}`, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(200);
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
