import { createHmac } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type Handler, isRwsError, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { createApp } from '@rws/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLocalSignedUrlHandler,
  createLocalStorage,
  LOCAL_STORAGE_DIR,
} from '../src/drivers/local.js';
import { runStorageConformance } from '../src/testing.js';

const dirs: string[] = [];
async function tempRoot(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'rws-storage-local-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

runStorageConformance({ create: async () => createLocalStorage({ root: await tempRoot() }) });

// Signed URLs: an @rws/router app over @rws/http1 serves them from one root; every storage the
// conformance suite creates signs for that server.
const SECRET = 'a-test-secret-of-at-least-32-bytes!';
let signedRoot: string;
let baseUrl: string;
let handler: Handler = () => text('starting', { status: 503 });
const server = createServer((req) => handler(req));
beforeAll(async () => {
  signedRoot = await tempRoot();
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${port}/files`;
  const storage = createLocalStorage({ root: signedRoot, signedUrls: { secret: SECRET, baseUrl } });
  const app = createApp();
  app.all('/files/*key', createLocalSignedUrlHandler({ storage, secret: SECRET, baseUrl }));
  handler = app.handler;
});
afterAll(() => server.close());

describe('local driver with signed URLs', () => {
  runStorageConformance({
    create: () => createLocalStorage({ root: signedRoot, signedUrls: { secret: SECRET, baseUrl } }),
  });
});

describe('local driver', () => {
  it('stores the object as a plain file and its metadata in a sidecar', async () => {
    const root = await tempRoot();
    await using storage = createLocalStorage({ root });
    await storage.put('docs/a.txt', 'plain', { contentType: 'text/plain', metadata: { k: 'v' } });
    expect(await readFile(path.join(root, 'docs', 'a.txt'), 'utf8')).toBe('plain');
    const sidecar = JSON.parse(
      await readFile(path.join(root, LOCAL_STORAGE_DIR, 'meta', 'docs', 'a.txt.json'), 'utf8'),
    );
    expect(sidecar).toMatchObject({ contentType: 'text/plain', metadata: { k: 'v' }, size: 5 });
    // No temporary file is left behind.
    expect(await readdir(path.join(root, LOCAL_STORAGE_DIR, 'tmp'))).toEqual([]);
  });

  it('a sidecar that does not match the file (crash between renames) is ignored', async () => {
    const root = await tempRoot();
    await using storage = createLocalStorage({ root });
    await storage.put('a', 'abc', { contentType: 'text/x-old' });
    await writeFile(path.join(root, 'a'), 'changed outside');
    expect((await storage.head('a'))?.contentType).toBe('application/octet-stream');
  });

  it('a reader that opened the old object keeps reading it while a put replaces it (atomic rename)', async () => {
    const root = await tempRoot();
    await using storage = createLocalStorage({ root });
    const old = 'o'.repeat(256 * 1024);
    await storage.put('swap', old);
    const reading = await storage.get('swap');
    await storage.put('swap', 'new');
    expect(await new Response(reading?.body).text()).toBe(old);
    expect(await new Response((await storage.get('swap'))?.body).text()).toBe('new');
  });

  it('a key through a symlinked directory that points outside the root is refused', async () => {
    const root = await tempRoot();
    const outside = await tempRoot();
    await writeFile(path.join(outside, 'secret'), 'top secret');
    await symlink(outside, path.join(root, 'link'));
    await using storage = createLocalStorage({ root });
    for (const op of [() => storage.get('link/secret'), () => storage.put('link/x', 'y')]) {
      let error: unknown;
      try {
        await op();
      } catch (err) {
        error = err;
      }
      expect(isRwsError(error, 'RWS_STORAGE_KEY_INVALID')).toBe(true);
    }
    expect(await readdir(outside)).toEqual(['secret']);
  });

  it('refuses keys in its own .rws-storage directory and hides it from list', async () => {
    const root = await tempRoot();
    await using storage = createLocalStorage({ root });
    await storage.put('x', 'y');
    await expect(storage.put(`${LOCAL_STORAGE_DIR}/meta/x.json`, '{}')).rejects.toMatchObject({
      code: 'RWS_STORAGE_KEY_INVALID',
    });
    expect((await storage.list('')).items.map((i) => i.key)).toEqual(['x']);
  });

  it('a key that is a directory of other keys cannot also be an object', async () => {
    const root = await tempRoot();
    await using storage = createLocalStorage({ root });
    await storage.put('a/b', '1');
    await expect(storage.put('a', '2')).rejects.toMatchObject({ code: 'RWS_STORAGE_KEY_INVALID' });
    expect(await storage.get('a')).toBeNull();
    await storage.put('c', '1');
    await expect(storage.put('c/d', '2', { contentType: 'text/x-lost' })).rejects.toMatchObject({
      code: 'RWS_STORAGE_KEY_INVALID',
    });
    // No sidecar is left behind for the refused key.
    await expect(
      readFile(path.join(root, LOCAL_STORAGE_DIR, 'meta', 'c', 'd.json'), 'utf8'),
    ).rejects.toThrow();
  });

  it('needs a root', () => {
    expect(() => createLocalStorage({ root: '' })).toThrow(/root/);
  });
});

describe('local signed URL handler', () => {
  it('serves ranges, HEAD and 304, and refuses expired, re-purposed and malformed URLs', async () => {
    await using storage = createLocalStorage({
      root: signedRoot,
      signedUrls: { secret: SECRET, baseUrl },
    });
    await storage.put('h/a.txt', '0123456789', { contentType: 'text/plain' });
    const url = await storage.signedUrl?.('h/a.txt', { expiresIn: 60 });
    if (url === undefined) throw new Error('no signedUrl');
    const part = await fetch(url, { headers: { range: 'bytes=2-4' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(await part.text()).toBe('234');
    const suffix = await fetch(url, { headers: { range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('789');
    const beyond = await fetch(url, { headers: { range: 'bytes=10-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */10');
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('10');
    expect(head.headers.get('content-type')).toBe('text/plain');
    const etag = head.headers.get('etag') ?? '';
    expect((await fetch(url, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // A GET signature does not allow a PUT, and nothing but GET/HEAD/PUT is served.
    expect((await fetch(url, { method: 'PUT', body: 'overwrite' })).status).toBe(403);
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(405);
    // The expiry is signed: moving it forward breaks the signature.
    const extended = new URL(url);
    extended.searchParams.set(
      'X-Rws-Expires',
      String(Number(extended.searchParams.get('X-Rws-Expires')) + 3600),
    );
    expect((await fetch(extended)).status).toBe(403);
    const noSignature = new URL(url);
    noSignature.search = '';
    expect((await fetch(noSignature)).status).toBe(403);
    expect(await bodyText(await storage.get('h/a.txt'))).toBe('0123456789');
  });

  it('an expired URL is refused with 403', async () => {
    const { checkSigningOptions, signLocalUrl } = await import(
      '../src/internal/local-url-signature.js'
    );
    await using storage = createLocalStorage({
      root: signedRoot,
      signedUrls: { secret: SECRET, baseUrl },
    });
    await storage.put('h/old.txt', 'old');
    const url = signLocalUrl(
      checkSigningOptions({ secret: SECRET, baseUrl }),
      'h/old.txt',
      { expiresIn: 1 },
      Date.now() - 5000,
    );
    const res = await fetch(url);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('expired');
  });

  it('the signature is HMAC-SHA256 of method, key and expiry under the secret, string or bytes', async () => {
    for (const secret of [SECRET, new TextEncoder().encode(SECRET)]) {
      await using storage = createLocalStorage({
        root: signedRoot,
        signedUrls: { secret, baseUrl },
      });
      const url = new URL((await storage.signedUrl?.('h/a b.txt', { method: 'PUT' })) ?? '');
      const expires = url.searchParams.get('X-Rws-Expires');
      const expected = createHmac('sha256', SECRET)
        .update(`PUT\nh/a b.txt\n${expires}`)
        .digest('base64url');
      expect(url.searchParams.get('X-Rws-Signature')).toBe(expected);
    }
  });

  it('signing options are validated', () => {
    expect(() =>
      createLocalStorage({ root: signedRoot, signedUrls: { secret: 'short', baseUrl } }),
    ).toThrow(/at least 32 bytes/);
    expect(() =>
      createLocalStorage({ root: signedRoot, signedUrls: { secret: SECRET, baseUrl: '/files' } }),
    ).toThrow(/absolute http/);
    expect(createLocalStorage({ root: signedRoot }).signedUrl).toBeUndefined();
  });
});

async function bodyText(object: { body: ReadableStream<Uint8Array> } | null): Promise<string> {
  return object === null ? '' : await new Response(object.body).text();
}
