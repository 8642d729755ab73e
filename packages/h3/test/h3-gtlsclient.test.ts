/**
 * HTTP/3 interop: ngtcp2's client (`gtlsclient`, Debian package ngtcp2-client) downloads from
 * our `Http3Server` and uploads to it; the files it saves are compared by SHA-256 with what the
 * handler served. Without gtlsclient the tests are skipped with the reason (a failure under
 * CI=true).
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Headers, type Request, type Response } from '@rws/core';
import { requireCapability } from '@rws/test-helpers';
import { beforeAll, describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import { Http3Server } from '../src/http3/h3-server.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { hasCommand } from './helpers.js';

const HAS_GTLSCLIENT = hasCommand('gtlsclient');
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

/** Files served by path; `/echo` answers with the SHA-256 of the request body. */
const FILES = new Map<string, Buffer>([
  ['/1k', randomBytes(1024)],
  ['/100k', randomBytes(100 * 1024)],
  ['/2m', randomBytes(2 * 1024 * 1024)],
  ['/16m', randomBytes(16 * 1024 * 1024)],
]);
/** Served alone: a large transfer through flow control and congestion control. */
const LARGE = randomBytes(50 * 1024 * 1024);

async function handler(req: Request): Promise<Response> {
  if (req.path === '/echo') {
    const body = await req.body.bytes();
    return {
      status: 200,
      headers: new Headers({ 'content-type': 'text/plain', 'x-protocol': req.protocol }),
      body: `${body.length} ${sha256(body)}`,
    };
  }
  const file = req.path === '/50m' ? LARGE : FILES.get(req.path);
  if (file === undefined) return { status: 404, headers: new Headers(), body: 'no such file\n' };
  return {
    status: 200,
    headers: new Headers({ 'content-type': 'application/octet-stream' }),
    body: file,
  };
}

async function gtlsclient(args: readonly string[]): Promise<string> {
  return new Promise<string>((resolve) => {
    execFile(
      'gtlsclient',
      ['--timeout=10s', '--exit-on-all-streams-close', ...args],
      { timeout: 150_000, maxBuffer: 64 * 1024 * 1024 },
      (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
    );
  });
}

describe("ngtcp2's gtlsclient against our HTTP/3 server", () => {
  async function serve(
    ctx: TestContext,
    maxBodyBytes?: number,
  ): Promise<{ port: number; dir: string; errors: unknown[] }> {
    requireCapability(ctx, HAS_GTLSCLIENT, 'gtlsclient (apt-get install ngtcp2-client)');
    const errors: unknown[] = [];
    const server = await Http3Server.listen({
      tls: { cert: creds.cert, key: creds.key },
      handler,
      onError: (error) => errors.push(error),
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    });
    onTestFinished(() => server.close());
    const dir = mkdtempSync(join(tmpdir(), 'rws-h3-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    return { port: server.address().port, dir, errors };
  }

  it('downloads files of 1 KiB to 16 MiB concurrently on one connection, intact', async (ctx) => {
    const { port, dir, errors } = await serve(ctx);
    const paths = [...FILES.keys()];
    const output = await gtlsclient([
      '--quiet',
      `--download=${dir}`,
      '127.0.0.1',
      String(port),
      ...paths.map((p) => `https://localhost:${port}${p}`),
    ]);
    for (const path of paths) {
      const got = readFileSync(join(dir, path.slice(1)));
      expect(sha256(got), `${path}\n${output.slice(-2000)}`).toBe(sha256(FILES.get(path)!));
    }
    expect(errors).toEqual([]);
  }, 90_000);

  it('downloads 2 MiB intact with 3 % of packets lost each way (gtlsclient --tx-loss/--rx-loss)', async (ctx) => {
    const { port, dir, errors } = await serve(ctx);
    const output = await gtlsclient([
      '--quiet',
      '--tx-loss=0.03',
      '--rx-loss=0.03',
      `--download=${dir}`,
      '127.0.0.1',
      String(port),
      `https://localhost:${port}/2m`,
    ]);
    const got = readFileSync(join(dir, '2m'));
    expect(sha256(got), output.slice(-2000)).toBe(sha256(FILES.get('/2m')!));
    expect(errors).toEqual([]);
  }, 90_000);

  it('uploads a 300 KiB POST body, which the handler reads as h3', async (ctx) => {
    const { port, dir, errors } = await serve(ctx);
    const upload = randomBytes(300 * 1024);
    const file = join(dir, 'upload.bin');
    writeFileSync(file, upload);
    const out = join(dir, 'out');
    execFileSync('mkdir', [out]);
    const output = await gtlsclient([
      '--quiet',
      `--data=${file}`,
      `--download=${out}`,
      '127.0.0.1',
      String(port),
      `https://localhost:${port}/echo`,
    ]);
    const answer = readFileSync(join(out, 'echo'), 'utf8');
    expect(answer, output.slice(-2000)).toBe(`${upload.length} ${sha256(upload)}`);
    expect(errors).toEqual([]);
  }, 90_000);

  it('downloads 50 MiB intact', async (ctx) => {
    const { port, dir, errors } = await serve(ctx);
    const output = await gtlsclient([
      '--quiet',
      `--download=${dir}`,
      '127.0.0.1',
      String(port),
      `https://localhost:${port}/50m`,
    ]);
    const got = readFileSync(join(dir, '50m'));
    expect(got.length, output.slice(-2000)).toBe(LARGE.length);
    expect(sha256(got)).toBe(sha256(LARGE));
    expect(errors).toEqual([]);
  }, 180_000);

  it('uploads a 50 MiB POST body intact', async (ctx) => {
    const { port, dir, errors } = await serve(ctx, 64 * 1024 * 1024);
    const file = join(dir, 'upload.bin');
    writeFileSync(file, LARGE);
    const out = join(dir, 'out');
    execFileSync('mkdir', [out]);
    const output = await gtlsclient([
      '--quiet',
      `--data=${file}`,
      `--download=${out}`,
      '127.0.0.1',
      String(port),
      `https://localhost:${port}/echo`,
    ]);
    const answer = readFileSync(join(out, 'echo'), 'utf8');
    expect(answer, output.slice(-2000)).toBe(`${LARGE.length} ${sha256(LARGE)}`);
    expect(errors).toEqual([]);
  }, 180_000);

  it('answers an unknown path with 404 and shows the response headers', async (ctx) => {
    const { port } = await serve(ctx);
    const output = await gtlsclient([
      '127.0.0.1',
      String(port),
      `https://localhost:${port}/missing`,
    ]);
    expect(output).toMatch(/:status: 404/);
    expect(output).toMatch(/content-length: 13/);
  }, 90_000);
});
