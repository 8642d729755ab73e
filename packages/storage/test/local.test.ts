import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRwsError } from '@rws/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalStorage, LOCAL_STORAGE_DIR } from '../src/drivers/local.js';
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
