import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { Headers } from '@rws/core';
import { serveStatic } from '@rws/middleware/static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

// Issue #11: a small file requested again is answered from finished responses kept in memory
// (the hot path). Over a real socket, every answer must be the one the full path gives: same
// fields and bytes, conditional requests, ranges, HEAD, each precompressed variant with its
// own Content-Encoding and ETag, and a change on disk seen once statCacheMs has passed.

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'rws-static-hot-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function file(content: string, ext = 'txt'): string {
  const name = `h${++n}.${ext}`;
  writeFileSync(join(root, name), content);
  return name;
}

async function server(options: { statCacheMs?: number } = {}): Promise<number> {
  const mw = serveStatic({ root, ...options });
  return serveHandler((req) =>
    mw.handle(req, () => ({ status: 599, headers: new Headers(), body: null })),
  );
}

/** Fields of a response without the ones that change per response. */
function fields(headers: Record<string, string | string[] | undefined>): Record<string, unknown> {
  const { date: _date, connection: _c, 'keep-alive': _k, ...rest } = headers;
  return rest;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('serveStatic hot path (issue #11)', () => {
  it('repeated GETs: the same fields and bytes as the first (full-path) answer', async () => {
    const name = file('hot body\n');
    const port = await server();
    const first = await httpCall(port, `/${name}`);
    expect(first.status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const again = await httpCall(port, `/${name}`);
      expect(again.status).toBe(200);
      expect(again.body).toBe('hot body\n');
      expect(fields(again.headers)).toEqual(fields(first.headers));
    }
  });

  it('conditional, range and HEAD requests on a hot path answer as the full path does', async () => {
    const name = file('0123456789abcdef');
    const port = await server();
    for (let i = 0; i < 4; i++) await httpCall(port, `/${name}`);
    const full = await httpCall(port, `/${name}`);
    const etag = full.headers['etag'] as string;
    const lastModified = full.headers['last-modified'] as string;

    const notModified = await httpCall(port, `/${name}`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBe('');
    expect(notModified.headers['etag']).toBe(etag);
    expect(notModified.headers['cache-control']).toBe(full.headers['cache-control']);
    expect(notModified.headers['content-type']).toBeUndefined();

    const ims = await httpCall(port, `/${name}`, {
      headers: { 'if-modified-since': lastModified },
    });
    expect(ims.status).toBe(304);
    const changed = await httpCall(port, `/${name}`, { headers: { 'if-none-match': '"other"' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toBe('0123456789abcdef');
    const failed = await httpCall(port, `/${name}`, { headers: { 'if-match': '"other"' } });
    expect(failed.status).toBe(412);

    const range = await httpCall(port, `/${name}`, { headers: { range: 'bytes=2-5' } });
    expect(range.status).toBe(206);
    expect(range.body).toBe('2345');
    expect(range.headers['content-range']).toBe('bytes 2-5/16');

    const head = await httpCall(port, `/${name}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('16');
    expect(fields(head.headers)).toEqual(fields(full.headers));
  });

  it('precompressed siblings: each coding its own bytes, Content-Encoding, ETag and Vary', async () => {
    const text = 'console.log("precompressed");\n'.repeat(100);
    const name = file(text, 'js');
    const br = brotliCompressSync(Buffer.from(text));
    const gz = gzipSync(Buffer.from(text));
    writeFileSync(join(root, `${name}.br`), br);
    writeFileSync(join(root, `${name}.gz`), gz);
    const port = await server();
    const seen = new Map<string, string>();
    for (let round = 0; round < 4; round++) {
      for (const [accept, coding, bytes] of [
        ['br', 'br', br.length],
        ['gzip', 'gzip', gz.length],
        ['br;q=0.5, gzip', 'gzip', gz.length],
        ['identity', undefined, Buffer.byteLength(text)],
      ] as const) {
        const res = await httpCall(port, `/${name}`, { headers: { 'accept-encoding': accept } });
        expect(res.status).toBe(200);
        expect(res.headers['content-encoding']).toBe(coding);
        expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
        expect(res.headers['vary']).toBe('Accept-Encoding');
        expect(Number(res.headers['content-length'])).toBe(bytes);
        const etag = res.headers['etag'] as string;
        if (coding !== undefined) expect(etag.endsWith(`-${coding}"`)).toBe(true);
        // The same representation keeps its tag from the full path to the hot one.
        const key = coding ?? 'identity';
        expect(seen.get(key) ?? etag).toBe(etag);
        seen.set(key, etag);
      }
    }
    expect(new Set(seen.values()).size).toBe(3);
  });

  it('a change on disk is seen once statCacheMs has passed, as without the hot path', async () => {
    const name = file('version one');
    const port = await server({ statCacheMs: 200 });
    for (let i = 0; i < 4; i++) {
      expect((await httpCall(port, `/${name}`)).body).toBe('version one');
    }
    const before = (await httpCall(port, `/${name}`)).headers['etag'];
    // Same size, different bytes: only the mtime/inode tell.
    await sleep(20);
    writeFileSync(join(root, name), 'version two');
    await sleep(400);
    const after = await httpCall(port, `/${name}`);
    expect(after.body).toBe('version two');
    expect(after.headers['etag']).not.toBe(before);
  });
});
