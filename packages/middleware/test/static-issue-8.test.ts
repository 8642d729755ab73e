import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { serveStatic } from '@rws/middleware/static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isFingerprinted } from '../src/internal/static/fingerprint.js';
import { call, readBody } from './helpers.js';

// Issue #8: Cache-Control for fingerprinted files, compressed listings, a 404 page in the
// listing's style for browsers and plain text for everyone else.

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rws-static-i8-'));
  mkdirSync(join(root, 'many'));
  for (let i = 0; i < 60; i++) writeFileSync(join(root, 'many', `file-${i}.txt`), 'x');
  mkdirSync(join(root, 'few'));
  writeFileSync(join(root, 'few', 'a.txt'), 'a');
  for (const name of ['app.3f9a1c2b.js', 'index-BqjV9TxC.js', 'app.js', 'photo-20240101.jpg']) {
    writeFileSync(join(root, name), 'content');
  }
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('isFingerprinted', () => {
  it.each([
    ['app.3f9a1c2b.js', true],
    ['main-3f9a1c2b4d5e.css', true],
    ['index-BqjV9TxC.js', true],
    ['chunk.a1b2c3d4e5f6a7b8.min.js', true],
    ['app.js', false],
    ['3f9a1c2b.js', false],
    ['photo-20240101.jpg', false],
    ['deadbeef-cafe.txt', false],
    ['readme-longwords.md', false],
    ['Makefile', false],
  ])('%s → %s', (name, expected) => {
    expect(isFingerprinted(name)).toBe(expected);
  });
});

describe('serveStatic immutable', () => {
  it('true: fingerprinted names get a year and immutable, others cacheControl', async () => {
    const mw = serveStatic({ root, immutable: true, cacheControl: 'public, max-age=60' });
    for (const name of ['app.3f9a1c2b.js', 'index-BqjV9TxC.js']) {
      const { res } = await call(mw, 'GET', `/${name}`);
      expect(res.headers.get('cache-control'), name).toBe('public, max-age=31536000, immutable');
    }
    for (const name of ['app.js', 'photo-20240101.jpg']) {
      const { res } = await call(mw, 'GET', `/${name}`);
      expect(res.headers.get('cache-control'), name).toBe('public, max-age=60');
    }
  });

  it('off by default; a function decides per file name', async () => {
    const off = serveStatic({ root });
    const a = await call(off, 'GET', '/app.3f9a1c2b.js');
    expect(a.res.headers.get('cache-control')).toBe('public, max-age=0, must-revalidate');
    const fn = serveStatic({ root, immutable: (name) => name === 'app.js' });
    const b = await call(fn, 'GET', '/app.js');
    expect(b.res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(() => serveStatic({ root, immutable: 'yes' as never })).toThrow(
      'immutable must be a boolean or a function',
    );
  });
});

describe('serveStatic listings are compressed like other text', () => {
  it('br and gzip per Accept-Encoding, with Vary and the compressed length', async () => {
    const mw = serveStatic({ root });
    const plain = await call(mw, 'GET', '/many/');
    const html = (await readBody(plain.res)).toString();
    expect(html).toContain('file-59.txt');
    expect(plain.res.headers.get('content-encoding')).toBeNull();
    expect(plain.res.headers.get('vary')).toBe('Accept-Encoding');

    const br = await call(mw, 'GET', '/many/', { 'accept-encoding': 'gzip, br' });
    expect(br.res.headers.get('content-encoding')).toBe('br');
    const brBody = await readBody(br.res);
    expect(br.res.headers.get('content-length')).toBe(String(brBody.length));
    expect(brBody.length).toBeLessThan(html.length);
    expect(brotliDecompressSync(brBody).toString()).toBe(html);

    const gz = await call(mw, 'GET', '/many/', { 'accept-encoding': 'gzip' });
    expect(gz.res.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(await readBody(gz.res)).toString()).toBe(html);

    const head = await call(mw, 'HEAD', '/many/', { 'accept-encoding': 'gzip' });
    expect(head.res.headers.get('content-encoding')).toBe('gzip');
    expect(head.res.body).toBeNull();
  });

  it('compression: false sends listings as they are', async () => {
    const mw = serveStatic({ root, compression: false });
    const { res } = await call(mw, 'GET', '/many/', { 'accept-encoding': 'gzip, br' });
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.has('vary')).toBe(false);
  });

  it('a listing under the threshold is not compressed', async () => {
    const mw = serveStatic({ root, compressionThresholdBytes: 1_000_000 });
    const { res } = await call(mw, 'GET', '/few/', { 'accept-encoding': 'gzip' });
    expect(res.headers.get('content-encoding')).toBeNull();
  });
});

describe('serveStatic default 404', () => {
  it('a browser (Accept: text/html) gets a page in the listing style', async () => {
    const mw = serveStatic({ root, fallthrough: false });
    const { res } = await call(mw, 'GET', '/missing/<b>.txt', {
      accept: 'text/html,application/xhtml+xml,*/*;q=0.8',
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('vary')).toBe('Accept');
    const html = (await readBody(res)).toString();
    expect(html).toContain('<title>404 Not Found</title>');
    expect(html).toContain('<code>/missing/&lt;b&gt;.txt</code>');
    // The listing's stylesheet.
    const listing = (await readBody((await call(mw, 'GET', '/few/')).res)).toString();
    const css = (page: string): string =>
      page.slice(page.indexOf('<style>'), page.indexOf('</style>'));
    expect(css(html)).toBe(css(listing));
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(html)));
  });

  it('curl (*/*), API clients and no Accept get plain text', async () => {
    const mw = serveStatic({ root, fallthrough: false });
    for (const accept of ['*/*', 'application/json', null]) {
      const { res } = await call(mw, 'GET', '/missing', accept === null ? {} : { accept });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('vary')).toBe('Accept');
      expect((await readBody(res)).toString()).toBe('Not Found\n');
    }
  });
});
