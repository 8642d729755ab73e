// serveStorage over a real @rws/storage driver (memory), served by @rws/http1 on a real socket.
// The gateway's tests (packages/proxy/test/gateway-storage.test.ts) run the same behaviour over
// the local and S3 drivers; these cover what the gateway does not configure.
import { text } from '@rws/core';
import { serveStorage } from '@rws/middleware/static';
import type { Storage } from '@rws/storage';
import { createMemoryStorage } from '@rws/storage/drivers/memory';
import { describe, expect, it, onTestFinished } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

async function memory(): Promise<Storage> {
  const storage = createMemoryStorage();
  onTestFinished(() => storage.close());
  await storage.put('a.txt', 'version 1');
  await storage.put('photo.png', 'png bytes');
  await storage.put('docs/index.html', '<h1>docs</h1>');
  return storage;
}

async function served(options: Parameters<typeof serveStorage>[0]): Promise<number> {
  const mw = serveStorage(options);
  return serveHandler((req) => mw.handle(req, () => text('next', { status: 299 })));
}

describe('serveStorage (issue #17)', () => {
  it('falls through for misses and other methods by default; index false serves no index', async () => {
    const storage = await memory();
    const port = await served({ storage, index: false, cacheControl: false });
    const a = await httpCall(port, '/a.txt');
    expect([a.status, a.body, a.headers['cache-control']]).toEqual([200, 'version 1', undefined]);
    // Stored as application/octet-stream (no type given): the extension decides.
    expect((await httpCall(port, '/photo.png')).headers['content-type']).toBe('image/png');
    expect((await httpCall(port, '/missing')).status).toBe(299);
    expect((await httpCall(port, '/docs/')).status).toBe(299);
    expect((await httpCall(port, '/docs')).status).toBe(299);
    expect((await httpCall(port, '/a.txt', { method: 'DELETE' })).status).toBe(299);
    expect((await httpCall(port, '/%2e%2e/a.txt')).status).toBe(403);
    expect((await httpCall(port, '/%zz')).status).toBe(400);
  });

  it('an object replaced between head and get is read again, never half-described', async () => {
    const storage = await memory();
    let replacements = 0;
    let replaceEvery = 1;
    let version = 1;
    // The real driver, with a writer that replaces the object right after each `head`.
    const racing = {
      async head(key: string) {
        const info = await storage.head(key);
        if (key === 'a.txt' && replacements < replaceEvery) {
          replacements++;
          version++;
          await storage.put('a.txt', `version ${version}${'!'.repeat(version)}`);
        }
        return info;
      },
      get: storage.get.bind(storage),
    };
    const port = await served({ storage: racing, fallthrough: false });
    const res = await httpCall(port, '/a.txt');
    expect([res.status, res.body]).toEqual([200, 'version 2!!']);
    expect(res.headers['content-length']).toBe(String('version 2!!'.length));

    replacements = 0;
    replaceEvery = 100;
    const busy = await httpCall(port, '/a.txt');
    expect([busy.status, busy.headers['retry-after']]).toEqual([503, '1']);
  });

  it('a failing store is 502 without its message; fallthrough false answers 404, 405, OPTIONS', async () => {
    const failing = {
      head(): never {
        throw new Error('connect ECONNREFUSED 10.0.0.7:9000 secret-bucket');
      },
      get(): never {
        throw new Error('unreachable');
      },
    };
    const port = await served({ storage: failing, fallthrough: false });
    const res = await httpCall(port, '/a.txt');
    expect(res.status).toBe(502);
    expect(res.body).not.toContain('secret-bucket');

    const storage = await memory();
    const strict = await served({ storage, fallthrough: false });
    expect((await httpCall(strict, '/missing')).status).toBe(404);
    const options = await httpCall(strict, '/a.txt', { method: 'OPTIONS' });
    expect([options.status, options.headers.allow]).toEqual([204, 'GET, HEAD, OPTIONS']);
    expect((await httpCall(strict, '/a.txt', { method: 'PUT', body: 'x' })).status).toBe(405);
  });

  it('refuses options that could leave the prefix', () => {
    const storage = createMemoryStorage();
    expect(() => serveStorage({ storage, prefix: '../x/' })).toThrow(/prefix/);
    expect(() => serveStorage({ storage: {} as never })).toThrow(/head\(\) and get\(\)/);
  });
});
