/**
 * gateway-bucket — the gateway serving a bucket: a `[route.action] type = "static"` with
 * `storage = { … }` instead of `root`, with ETag/Last-Modified, 304s and ranges as for local
 * files. By default it fills a local-driver bucket in a temp directory so it runs on its own;
 * with `S3_BUCKET` set it serves that S3 bucket instead (`S3_ENDPOINT` for R2 or MinIO, keys
 * from `RWS_S3_*` / `AWS_*` in the environment, never from the config).
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/gateway-bucket.ts
 * Then:
 *   curl -i http://127.0.0.1:3000/                          # index.html from the bucket
 *   curl -i http://127.0.0.1:3000/hello.txt                 # ETag, Last-Modified, Accept-Ranges
 *   curl -i -H 'range: bytes=0-4' http://127.0.0.1:3000/hello.txt      # 206 "hello"
 *   curl -i -H 'if-none-match: <etag>' http://127.0.0.1:3000/hello.txt # 304
 *   curl -i http://127.0.0.1:3000/missing.txt               # 404
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway } from '@rws/proxy';
import { serve } from '@rws/server';
import { createLocalStorage } from '@rws/storage/drivers/local';

let tempDir: string | null = null;
async function localBucket(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'rws-bucket-'));
  tempDir = dir;
  await using bucket = createLocalStorage({ root: dir });
  await bucket.put('site/index.html', '<h1>served from a bucket</h1>\n', {
    contentType: 'text/html; charset=utf-8',
  });
  await bucket.put('site/hello.txt', 'hello from the bucket\n');
  return `{ driver = "local", root = ${JSON.stringify(dir)}, prefix = "site" }`;
}

const s3Bucket = process.env['S3_BUCKET'];
const endpoint = process.env['S3_ENDPOINT'];
const storage =
  s3Bucket === undefined
    ? await localBucket()
    : `{ driver = "s3", bucket = ${JSON.stringify(s3Bucket)}${endpoint === undefined ? '' : `, endpoint = ${JSON.stringify(endpoint)}`} }`;

const gateway = await createGateway(`
[[route]]
[route.action]
type = "static"
storage = ${storage}
index = ["index.html"]
`);
const server = await serve(gateway.handler, {
  port: Number(process.env['PORT'] ?? 3000),
  handleSignals: true,
  graceMs: 5000,
  onShutdown: async () => {
    await gateway.close();
    if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
  },
});
console.log(`gateway-bucket listening on ${server.url}/ (${s3Bucket ?? 'local bucket'})`);
