/**
 * storage-files — a small file API over `@rws/storage`: uploads stream from the request into
 * the store and downloads stream back out (with ranges), nothing held whole in memory. The
 * same handlers work with the S3 driver: swap `createLocalStorage` for `createS3Storage`.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/storage-files.ts
 * then:
 *   curl -T README.md -H 'content-type: text/markdown' http://127.0.0.1:3000/files/docs/readme.md
 *   curl http://127.0.0.1:3000/files/docs/readme.md
 *   curl -H 'range: bytes=0-9' http://127.0.0.1:3000/files/docs/readme.md
 *   curl 'http://127.0.0.1:3000/list?prefix=docs/'
 *   curl -X POST http://127.0.0.1:3000/share/docs/readme.md   # a signed link, valid 10 minutes
 *
 * Signed links are served by `createLocalSignedUrlHandler` under /signed/: anyone holding one may
 * GET the file until it expires; changing the key or the expiry gets 403. FILES_SECRET sets the
 * signing secret (default a random one per start); PUBLIC_URL the origin links point at.
 *
 * PORT sets the port (default 3000; 0 picks a free one); STORAGE_ROOT the directory (default a
 * fresh temporary one). The real URL is printed on start.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { empty, type Handler, HttpError, isRwsError, json, stream, text } from '@rws/core';
import { createServer } from '@rws/http1';
import { createApp } from '@rws/router';
import type { Storage } from '@rws/storage';
import { createLocalSignedUrlHandler, createLocalStorage } from '@rws/storage/drivers/local';

const root = process.env['STORAGE_ROOT'] ?? mkdtempSync(join(tmpdir(), 'rws-storage-example-'));
const storage = createLocalStorage({ root });
const app = createApp();

app.put('/files/*key', async (req) => {
  const info = await storage.put(req.params.key, req.body.stream(), {
    contentType: req.headers.get('content-type') ?? undefined,
  });
  return json({ key: info.key, size: info.size, etag: info.etag }, { status: 201 });
});

app.get('/files/*key', async (req) => {
  const range = parseRange(req.headers.get('range'));
  let object: Awaited<ReturnType<typeof storage.get>>;
  try {
    object = await storage.get(req.params.key, range === undefined ? {} : { range });
  } catch (err) {
    // A bad key is the client's fault (400); an unsatisfiable range is 416.
    if (isRwsError(err) && err.status !== undefined) throw new HttpError(err.status, err.message);
    throw err;
  }
  if (object === null) throw new HttpError(404, `no file ${req.params.key}`);
  const headers: Record<string, string> = {
    'content-type': object.contentType ?? 'application/octet-stream',
    'accept-ranges': 'bytes',
  };
  if (object.etag !== undefined) headers['etag'] = object.etag;
  if (object.range === undefined) return stream(object.body, { headers });
  headers['content-range'] = `bytes ${object.range.start}-${object.range.end}/${object.size}`;
  return stream(object.body, { status: 206, headers });
});

app.delete('/files/*key', async (req) => {
  await storage.delete(req.params.key);
  return empty();
});

// Signed links need the server's own URL, known once it listens; these two are set then.
const secret = process.env['FILES_SECRET'] ?? randomBytes(32).toString('hex');
let sharing: Storage | undefined;
let serveSigned: Handler = () => text('starting', { status: 503 });

app.post('/share/*key', async (req) => {
  try {
    const url = await sharing?.signedUrl?.(req.params.key, { expiresIn: 600 });
    return json({ url });
  } catch (err) {
    if (isRwsError(err) && err.status !== undefined) throw new HttpError(err.status, err.message);
    throw err;
  }
});
app.all('/signed/*key', (req) => serveSigned(req));

app.get('/list', async (req) => {
  const page = await storage.list(req.query.get('prefix') ?? '', { limit: 100 });
  return json({ keys: page.items.map((i) => i.key), cursor: page.cursor });
});

/** `bytes=a-b` or `bytes=a-` (one range); anything else is ignored, as RFC 9110 §14.2 allows. */
function parseRange(header: string | null): { start: number; end?: number } | undefined {
  const match = /^bytes=(\d+)-(\d*)$/.exec(header ?? '');
  if (match === null) return undefined;
  return match[2] === ''
    ? { start: Number(match[1]) }
    : { start: Number(match[1]), end: Number(match[2]) };
}

const server = createServer(app.handler, { maxBodyBytes: 100 * 1024 * 1024 });
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
const baseUrl = `${process.env['PUBLIC_URL'] ?? `http://127.0.0.1:${port}`}/signed`;
sharing = createLocalStorage({ root, signedUrls: { secret, baseUrl } });
serveSigned = createLocalSignedUrlHandler({ storage: sharing, secret, baseUrl });
console.log(`storage-files listening on http://127.0.0.1:${port}/`);

process.once('SIGTERM', () => {
  void server.close().then(() => storage.close());
});
