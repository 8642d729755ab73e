/**
 * Interop against a real nginx (static files, chunked gzip, 204/304, HEAD, keep-alive reuse).
 * nginx runs from a temp dir on a free high port. Without nginx the suite is skipped with a
 * visible reason, except in CI (CI=true), where a missing nginx is a failure.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { findNginx, type RunningNginx, startNginx } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '../src/pool.js';

const nginx = findNginx();
const isCi = process.env['CI'] === 'true';

if (nginx === null && !isCi) {
  console.warn('[client-nginx.test] skipped: nginx is not installed (apt-get install -y nginx)');
}

describe('nginx is available in CI', () => {
  it.runIf(isCi)('nginx is installed', () => {
    expect(nginx, 'CI=true requires nginx on PATH').not.toBe(null);
  });
});

const SUITE =
  nginx === null
    ? 'client against nginx (skipped: nginx is not installed)'
    : 'client against nginx';

describe.skipIf(nginx === null)(SUITE, () => {
  let dir = '';
  let nginxServer: RunningNginx | null = null;
  let origin = '';
  let pool: Pool;
  const big = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;

  beforeAll(async () => {
    nginxServer = await startNginx({
      bin: nginx!,
      prefix: 'rws-h1-nginx-',
      setup(dir) {
        writeFileSync(join(dir, 'www', 'hello.txt'), 'hello from nginx\n');
        writeFileSync(join(dir, 'www', 'big.bin'), big);
        writeFileSync(join(dir, 'www', 'text.txt'), 'compress me '.repeat(2000));
      },
      http: (dir, port) => `
  access_log ${dir}/access.log;
  keepalive_timeout 30s;
  types { text/plain txt; application/octet-stream bin; }
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
    add_header x-conn $connection always;
    add_header x-conn-requests $connection_requests always;
    location = /empty { return 204; }
    location /gz/ {
      alias ${dir}/www/;
      gzip on;
      gzip_types text/plain;
      gzip_min_length 1;
    }
    location = /echo { return 200 "$request_method $request_body"; }
  }`,
    });
    dir = nginxServer.dir;
    origin = nginxServer.origin;
    pool = createPool(origin, { maxSockets: 4 });
  }, 20_000);

  afterAll(async () => {
    await pool?.close();
    await nginxServer?.stop();
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    const conns = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await pool.request({ path: '/hello.txt' });
      expect(res.status).toBe(200);
      expect(await res.body.text()).toBe('hello from nginx\n');
      conns.add(res.headers.get('x-conn')!);
    }
    expect(conns.size).toBe(1);
  });

  it('streams a 3 MiB static file (Content-Length)', async () => {
    const res = await pool.request({ path: '/big.bin' });
    expect(res.headers.get('content-length')).toBe(String(big.length));
    let received = 0;
    const parts: Uint8Array[] = [];
    for await (const chunk of res.body) {
      received += chunk.byteLength;
      parts.push(chunk);
    }
    expect(received).toBe(big.length);
    expect(Buffer.concat(parts).equals(big)).toBe(true);
  });

  it('chunked gzip response', async () => {
    const res = await pool.request({
      path: '/gz/text.txt',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const body = await res.body.bytes();
    expect(gunzipSync(body).toString()).toBe('compress me '.repeat(2000));
  });

  it('HEAD, 204 and 304', async () => {
    const head = await pool.request({ method: 'HEAD', path: '/big.bin' });
    expect(head.headers.get('content-length')).toBe(String(big.length));
    expect(await head.body.bytes()).toHaveLength(0);
    const empty = await pool.request({ path: '/empty' });
    expect(empty.status).toBe(204);
    await empty.body.text();
    const first = await pool.request({ path: '/hello.txt' });
    await first.body.text();
    const etag = first.headers.get('etag')!;
    const notModified = await pool.request({
      path: '/hello.txt',
      headers: { 'if-none-match': etag },
    });
    expect(notModified.status).toBe(304);
    expect(await notModified.body.text()).toBe('');
    const after = await pool.request({ path: '/hello.txt' });
    expect(await after.body.text()).toBe('hello from nginx\n');
  });

  it('parallel requests use at most maxSockets connections', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await pool.request({ path: '/hello.txt' });
        await res.body.text();
        return res.headers.get('x-conn')!;
      }),
    );
    expect(new Set(results).size).toBeLessThanOrEqual(4);
  });

  it('POST with a body', async () => {
    const res = await pool.request({ method: 'POST', path: '/echo', body: 'payload' });
    expect(res.status).toBe(200);
    await res.body.text();
  });

  it('nginx wrote no errors about our requests', () => {
    const log = readFileSync(join(dir, 'error.log'), 'utf8');
    expect(log).not.toMatch(/client sent invalid/);
  });
});
