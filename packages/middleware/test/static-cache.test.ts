import {
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Headers, isRwsError } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { serveStatic } from '@rws/middleware/static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, readBody } from './helpers.js';

// The metadata (realpath/stat) cache and the small-file content cache of serveStatic: the
// bytes and validators must be exactly those of the uncached path, changes on disk must show
// after `statCacheMs`, and the symlink containment check must still hold.

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'rws-static-cache-'));
  root = join(base, 'root');
  mkdirSync(root);
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), 'TOP SECRET');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A fresh file name per test, so tests do not share cache state through the disk. */
let n = 0;
function file(content: string | Buffer): string {
  const name = `f${++n}.txt`;
  writeFileSync(join(root, name), content);
  return name;
}

describe('serveStatic: content cache', () => {
  it('serves a small file from memory from its second request on, same headers and bytes', async () => {
    const name = file('hello cache');
    const mw = serveStatic({ root });
    const first = (await call(mw, 'GET', `/${name}`)).res;
    expect(first.body).toMatchObject({ kind: 'file', start: 0, end: 10 });
    const second = (await call(mw, 'GET', `/${name}`)).res;
    expect(second.body).toBeInstanceOf(Uint8Array);
    expect((await readBody(second)).toString()).toBe('hello cache');
    expect(second.headers.toList()).toEqual(first.headers.toList());
    const third = (await call(mw, 'GET', `/${name}`)).res;
    expect(third.body).toBe(second.body);
  });

  it('a range of a cached file is a slice of the buffer', async () => {
    const name = file('0123456789');
    const mw = serveStatic({ root });
    await call(mw, 'GET', `/${name}`);
    await call(mw, 'GET', `/${name}`);
    const { res } = await call(mw, 'GET', `/${name}`, { range: 'bytes=2-4' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(res.headers.get('content-length')).toBe('3');
    expect(res.body).toBeInstanceOf(Uint8Array);
    expect((await readBody(res)).toString()).toBe('234');
  });

  it('HEAD, 304 and empty files have no body', async () => {
    const name = file('x');
    const empty = file('');
    const mw = serveStatic({ root });
    const { res } = await call(mw, 'GET', `/${name}`);
    const etag = res.headers.get('etag')!;
    await call(mw, 'GET', `/${name}`);
    expect((await call(mw, 'HEAD', `/${name}`)).res.body).toBeNull();
    expect((await call(mw, 'GET', `/${name}`, { 'if-none-match': etag })).res.status).toBe(304);
    await call(mw, 'GET', `/${empty}`);
    expect((await call(mw, 'GET', `/${empty}`)).res.body).toBeNull();
  });

  it('files over memoryCacheMaxFileBytes stay on disk; 0 disables the content cache', async () => {
    const name = file('a'.repeat(100));
    const small = serveStatic({ root, memoryCacheMaxFileBytes: 99 });
    await call(small, 'GET', `/${name}`);
    expect((await call(small, 'GET', `/${name}`)).res.body).toMatchObject({ kind: 'file' });
    const off = serveStatic({ root, memoryCacheMaxFileBytes: 0 });
    await call(off, 'GET', `/${name}`);
    expect((await call(off, 'GET', `/${name}`)).res.body).toMatchObject({ kind: 'file' });
  });

  it('memoryCacheMaxBytes bounds the total: older files are evicted, all still served right', async () => {
    const names = [file('A'.repeat(40)), file('B'.repeat(40)), file('C'.repeat(40))];
    const mw = serveStatic({ root, memoryCacheMaxBytes: 100 });
    for (let round = 0; round < 3; round++) {
      for (const [i, name] of names.entries()) {
        const { res } = await call(mw, 'GET', `/${name}`);
        expect((await readBody(res)).toString()).toBe('ABC'[i]!.repeat(40));
      }
    }
  });

  it('precompressed siblings and the 404 page are cached too', async () => {
    mkdirSync(join(root, 'pre'));
    writeFileSync(join(root, 'pre', 'app.js'), 'console.log(1);\n'.repeat(200));
    writeFileSync(join(root, 'pre', 'app.js.br'), 'BR-SIBLING');
    writeFileSync(join(root, '404.html'), '<h1>gone</h1>');
    const mw = serveStatic({ root, fallthrough: false });
    for (let i = 0; i < 2; i++) await call(mw, 'GET', '/pre/app.js', { 'accept-encoding': 'br' });
    const { res } = await call(mw, 'GET', '/pre/app.js', { 'accept-encoding': 'br' });
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.body).toBeInstanceOf(Uint8Array);
    expect((await readBody(res)).toString()).toBe('BR-SIBLING');
    await call(mw, 'GET', '/missing');
    const nf = (await call(mw, 'GET', '/missing')).res;
    expect(nf.status).toBe(404);
    expect((await readBody(nf)).toString()).toBe('<h1>gone</h1>');
  });
});

describe('serveStatic: metadata cache (statCacheMs)', () => {
  it('a change on disk is served once statCacheMs has passed', async () => {
    const name = file('version one');
    const path = join(root, name);
    const mw = serveStatic({ root, statCacheMs: 150 });
    const a = (await call(mw, 'GET', `/${name}`)).res;
    await call(mw, 'GET', `/${name}`);
    writeFileSync(path, 'version two, longer');
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    await sleep(250);
    const b = (await call(mw, 'GET', `/${name}`)).res;
    expect((await readBody(b)).toString()).toBe('version two, longer');
    expect(b.headers.get('etag')).not.toBe(a.headers.get('etag'));
    expect(b.headers.get('content-length')).toBe('19');
    // Same size, new mtime: the content cache must not serve the old bytes.
    await call(mw, 'GET', `/${name}`);
    writeFileSync(path, 'VERSION TWO, LONGER');
    utimesSync(path, new Date(), new Date(Date.now() + 10_000));
    await sleep(250);
    const c = (await call(mw, 'GET', `/${name}`)).res;
    expect((await readBody(c)).toString()).toBe('VERSION TWO, LONGER');
  });

  it('within statCacheMs the cached resolution is reused (one stat per period)', async () => {
    const name = file('still here');
    const mw = serveStatic({ root, statCacheMs: 60_000 });
    await call(mw, 'GET', `/${name}`);
    unlinkSync(join(root, name));
    const { res } = await call(mw, 'GET', `/${name}`);
    expect(res.status).toBe(200);
  });

  it('a new file shows up after statCacheMs (misses are cached that long too)', async () => {
    const mw = serveStatic({ root, statCacheMs: 100 });
    expect((await call(mw, 'GET', '/late.txt')).isNextCalled).toBe(true);
    writeFileSync(join(root, 'late.txt'), 'late');
    await sleep(200);
    const { res } = await call(mw, 'GET', '/late.txt');
    expect((await readBody(res)).toString()).toBe('late');
  });

  it('statCacheMs: 0 sees every change at once', async () => {
    const name = file('one');
    const mw = serveStatic({ root, statCacheMs: 0 });
    await call(mw, 'GET', `/${name}`);
    await call(mw, 'GET', `/${name}`);
    writeFileSync(join(root, name), 'two!');
    const { res } = await call(mw, 'GET', `/${name}`);
    expect((await readBody(res)).toString()).toBe('two!');
    unlinkSync(join(root, name));
    expect((await call(mw, 'GET', `/${name}`)).isNextCalled).toBe(true);
  });

  it('a symlink re-pointed outside the root is refused once the entry expires', async () => {
    writeFileSync(join(root, 'target.txt'), 'inside');
    symlinkSync(join(root, 'target.txt'), join(root, 'moving-link.txt'));
    const mw = serveStatic({ root, statCacheMs: 100, fallthrough: false, notFoundPage: false });
    for (let i = 0; i < 3; i++) {
      const { res } = await call(mw, 'GET', '/moving-link.txt');
      expect((await readBody(res)).toString()).toBe('inside');
    }
    unlinkSync(join(root, 'moving-link.txt'));
    symlinkSync(join(base, 'outside', 'secret.txt'), join(root, 'moving-link.txt'));
    await sleep(200);
    const { res } = await call(mw, 'GET', '/moving-link.txt');
    expect(res.status).toBe(404);
    expect((await readBody(res)).toString()).not.toContain('SECRET');
  });

  it('rejects invalid cache options', () => {
    for (const options of [
      { statCacheMs: -1 },
      { statCacheMs: 1.5 },
      { memoryCacheMaxFileBytes: -1 },
      { memoryCacheMaxBytes: Number.NaN },
    ]) {
      let error: unknown;
      try {
        serveStatic({ root, ...options });
      } catch (e) {
        error = e;
      }
      expect(isRwsError(error) && error.code).toBe('RWS_MIDDLEWARE_STATIC_INVALID_OPTIONS');
    }
  });
});

describe('serveStatic caches over a real socket', () => {
  let server: Http1Server;
  let port: number;
  beforeAll(async () => {
    const mw = serveStatic({ root, fallthrough: false });
    server = createServer(
      (req) => mw.handle(req, () => ({ status: 500, headers: new Headers(), body: null })),
      {
        onError: () => {},
      },
    );
    ({ port } = await server.listen({ port: 0 }));
  });
  afterAll(async () => {
    await server.close({ graceMs: 100 });
  });

  function get(path: string, headers: Record<string, string> = {}) {
    return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
      (resolve, reject) => {
        const r = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString(),
            }),
          );
        });
        r.on('error', reject);
        r.end();
      },
    );
  }

  it('the first (disk) and later (memory) responses are identical on the wire', async () => {
    const name = file('over the wire');
    const responses = [];
    for (let i = 0; i < 3; i++) responses.push(await get(`/${name}`));
    for (const r of responses) {
      expect(r.status).toBe(200);
      expect(r.body).toBe('over the wire');
      expect(r.headers['content-length']).toBe('13');
      expect(r.headers['etag']).toBe(responses[0]!.headers['etag']);
    }
    const ranged = await get(`/${name}`, { range: 'bytes=5-7' });
    expect(ranged.status).toBe(206);
    expect(ranged.body).toBe('the');
  });
});
