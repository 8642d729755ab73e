import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRequest,
  type FileBodyInit,
  Headers,
  type Middleware,
  type Response,
} from '@rws/core';

/** A response plus whether the middleware called `next()`. */
export interface CallResult {
  res: Response;
  isNextCalled: boolean;
}

/** The marker response `next()` returns in these tests. */
export const NEXT_STATUS = 599;

/** Runs a middleware against an in-process request. */
export async function call(
  mw: Middleware,
  method: string,
  target: string,
  headers?: Record<string, string>,
): Promise<CallResult> {
  let isNextCalled = false;
  const req = createRequest({ method, target, headers: headers ?? null });
  const res = await mw.handle(req, () => {
    isNextCalled = true;
    return { status: NEXT_STATUS, headers: new Headers(), body: 'next' };
  });
  return { res, isNextCalled };
}

function isFileBody(body: unknown): body is FileBodyInit {
  return typeof body === 'object' && body !== null && (body as FileBodyInit).kind === 'file';
}

/** Reads any response body into a Buffer (file bodies through fs, iterables collected). */
export async function readBody(res: Response): Promise<Buffer> {
  const body = res.body;
  if (body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (isFileBody(body)) {
    const all = readFileSync(body.path);
    return all.subarray(body.start ?? 0, (body.end ?? all.length - 1) + 1);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** A temp directory tree: `base/root` is served, `base/outside` and `base/rootx` are not. */
export interface Fixture {
  base: string;
  root: string;
  cleanup(): void;
}

export const BIG_TEXT: string = '0123456789'.repeat(10_000);
export const CSS: string = 'body { color: red; }\n'.repeat(200);

export function createFixture(): Fixture {
  const base = mkdtempSync(join(tmpdir(), 'rws-static-'));
  const root = join(base, 'root');
  const w = (rel: string, data: string | Buffer): void => {
    writeFileSync(join(root, rel), data);
  };
  mkdirSync(root);
  mkdirSync(join(root, 'docs'));
  mkdirSync(join(root, 'files'));
  mkdirSync(join(root, 'files', 'sub dir'));
  mkdirSync(join(root, '.hidden'));
  mkdirSync(join(root, 'evil.example'));
  mkdirSync(join(base, 'outside'));
  mkdirSync(join(base, 'rootx'));
  w('index.html', '<h1>home</h1>');
  w('about.html', '<h1>about</h1>');
  w('404.html', '<h1>custom 404</h1>');
  w('docs/index.html', '<h1>docs</h1>');
  w('style.css', CSS);
  w('small.txt', 'small');
  w('big.txt', BIG_TEXT);
  w('empty.txt', '');
  w('image.png', Buffer.alloc(4096, 7));
  w('app.js', 'console.log("original");\n'.repeat(100));
  w('app.js.br', 'BROTLI-SIBLING');
  w('app.js.gz', 'GZIP-SIBLING');
  w('.env', 'SECRET=1');
  w('.hidden/secret.txt', 'hidden');
  w('evil.example/index.html', 'evil dir');
  w('files/a.txt', 'a');
  w('files/B.txt', 'b'.repeat(3000));
  w('files/<script>&.txt', 'x');
  w('files/with space.txt', 'y'.repeat(2_000_000));
  w('files/.dot', 'dot');
  writeFileSync(join(base, 'outside', 'secret.txt'), 'TOP SECRET');
  writeFileSync(join(base, 'rootx', 'secret.txt'), 'PREFIX SECRET');
  symlinkSync(join(base, 'outside', 'secret.txt'), join(root, 'link-out.txt'));
  symlinkSync(join(base, 'outside'), join(root, 'dir-out'));
  symlinkSync('../rootx/secret.txt', join(root, 'prefix-link.txt'));
  symlinkSync(join(root, 'index.html'), join(root, 'link-in.html'));
  symlinkSync(join(base, 'outside', 'secret.txt'), join(root, 'files', 'out-link.txt'));
  return { base, root, cleanup: () => rmSync(base, { recursive: true, force: true }) };
}
