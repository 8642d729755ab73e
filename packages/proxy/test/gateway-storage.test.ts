// Issue #17: `[route.action] type = "static"` with `storage = { … }` serves a bucket with the
// validators and ranges of local files. Each driver runs the same requests over real sockets:
// the local driver on a temp directory, the S3 driver against the in-repo S3 server, which
// verifies every SigV4 signature (a wrong secret gets 403).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '@rws/storage';
import { createLocalStorage } from '@rws/storage/drivers/local';
import { createS3Storage } from '@rws/storage/drivers/s3';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type S3Server, startS3Server } from '../../storage/test/support/s3-server.js';
import { createGateway, type GatewayOptions } from '../src/index.js';
import { httpCall, serveHandler } from './gateway-helpers.js';

const BUCKET = 'site';
const credentials = { accessKeyId: 'AKIDGATEWAY', secretAccessKey: 'gateway/secret+key' };
const s3Env = {
  RWS_S3_ACCESS_KEY_ID: credentials.accessKeyId,
  RWS_S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
};
let s3: S3Server;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: [BUCKET], credentials: [credentials] });
});
afterAll(async () => {
  await s3?.close();
});

const BODY = 'hello from the bucket\n';

async function gatewayPort(toml: string, options: GatewayOptions): Promise<number> {
  const gateway = await createGateway(toml, options);
  onTestFinished(() => gateway.close());
  return serveHandler(gateway.handler);
}

/** Writes the site's objects under `pub/` (plus one outside it) through the driver itself. */
async function fill(storage: Storage): Promise<void> {
  await storage.put('pub/hello.txt', BODY, { contentType: 'text/plain; charset=utf-8' });
  await storage.put('pub/index.html', '<h1>root</h1>');
  await storage.put('pub/docs/index.html', '<h1>docs</h1>');
  await storage.put('pub/data.json', '{"a":1}');
  await storage.put('pub/cached.css', 'b{}', { cacheControl: 'public, max-age=60' });
  await storage.put('secret.txt', 'outside the prefix');
}

interface Case {
  readonly name: string;
  /** Fills the store and returns the gateway config and options that serve it. */
  setup(): Promise<{ toml: string; options: GatewayOptions }>;
}

const cases: Case[] = [
  {
    name: 'local',
    async setup() {
      const dir = mkdtempSync(join(tmpdir(), 'rws-gw-bucket-'));
      const storage = createLocalStorage({ root: join(dir, 'bucket') });
      await fill(storage);
      await storage.close();
      const toml = `[[route]]\n[route.action]\ntype = "static"\nstorage = { driver = "local", root = "bucket", prefix = "pub" }\n`;
      return { toml, options: { cwd: dir } };
    },
  },
  {
    name: 's3',
    async setup() {
      const storage = createS3Storage({ bucket: BUCKET, endpoint: s3.endpoint, credentials });
      await fill(storage);
      await storage.close();
      const toml = `[[route]]\n[route.action]\ntype = "static"\n[route.action.static]\nstorage = { driver = "s3", bucket = "${BUCKET}", endpoint = "${s3.endpoint}", region = "us-east-1", prefix = "pub/" }\n`;
      return { toml, options: { env: s3Env } };
    },
  },
];

describe.each(cases)('static action over the $name driver (issue #17)', (c) => {
  it('serves objects with type, validators, index objects and 404s', async () => {
    const { toml, options } = await c.setup();
    const port = await gatewayPort(toml, options);

    const hello = await httpCall(port, '/hello.txt');
    expect(hello.status).toBe(200);
    expect(hello.body).toBe(BODY);
    expect(hello.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(hello.headers['content-length']).toBe(String(BODY.length));
    expect(hello.headers['accept-ranges']).toBe('bytes');
    expect(hello.headers.etag).toMatch(/^(W\/)?"[^"]+"$/);
    expect(Date.parse(hello.headers['last-modified'] ?? '')).not.toBeNaN();
    expect(hello.headers['cache-control']).toBe('public, max-age=0, must-revalidate');

    // Stored without a type: the extension decides.
    const json = await httpCall(port, '/data.json');
    expect([json.status, json.body]).toEqual([200, '{"a":1}']);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect((await httpCall(port, '/cached.css')).headers['cache-control']).toBe(
      'public, max-age=60',
    );

    expect((await httpCall(port, '/')).body).toBe('<h1>root</h1>');
    expect((await httpCall(port, '/docs/')).body).toBe('<h1>docs</h1>');
    const bare = await httpCall(port, '/docs?x=1');
    expect([bare.status, bare.headers.location]).toEqual([301, '/docs/?x=1']);

    expect((await httpCall(port, '/missing.txt')).status).toBe(404);
    expect((await httpCall(port, '/hello.txt/')).status).toBe(404);
    // Nothing outside the prefix: dot-segments and encoded separators never reach the store.
    expect((await httpCall(port, '/../secret.txt')).status).not.toBe(200);
    expect((await httpCall(port, '/%2e%2e/secret.txt')).status).toBe(403);
    expect((await httpCall(port, '/x%2f..%2f..%2fsecret.txt')).status).toBe(403);
    expect((await httpCall(port, '/.hidden')).status).toBe(404);
    expect((await httpCall(port, `/${'k'.repeat(1100)}`)).status).toBe(404);

    const head = await httpCall(port, '/hello.txt', { method: 'HEAD' });
    expect([head.status, head.body]).toEqual([200, '']);
    expect(head.headers['content-length']).toBe(String(BODY.length));
    expect(head.headers.etag).toBe(hello.headers.etag);

    const post = await httpCall(port, '/hello.txt', { method: 'POST', body: 'x' });
    expect([post.status, post.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
  });

  it('answers conditional requests and single ranges', async () => {
    const { toml, options } = await c.setup();
    const port = await gatewayPort(toml, options);
    const first = await httpCall(port, '/hello.txt');
    const etag = first.headers.etag!;
    const lastModified = first.headers['last-modified']!;

    const notModified = await httpCall(port, '/hello.txt', { headers: { 'if-none-match': etag } });
    expect([notModified.status, notModified.body, notModified.headers.etag]).toEqual([
      304,
      '',
      etag,
    ]);
    const otherTag = await httpCall(port, '/hello.txt', {
      headers: { 'if-none-match': '"something-else"' },
    });
    expect([otherTag.status, otherTag.body]).toEqual([200, BODY]);
    const since = await httpCall(port, '/hello.txt', {
      headers: { 'if-modified-since': lastModified },
    });
    expect(since.status).toBe(304);
    const before = await httpCall(port, '/hello.txt', {
      headers: { 'if-modified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() },
    });
    expect(before.status).toBe(200);
    const ifMatch = await httpCall(port, '/hello.txt', { headers: { 'if-match': '"nope"' } });
    expect(ifMatch.status).toBe(412);

    const part = await httpCall(port, '/hello.txt', { headers: { range: 'bytes=6-9' } });
    expect([part.status, part.body]).toEqual([206, 'from']);
    expect(part.headers['content-range']).toBe(`bytes 6-9/${BODY.length}`);
    expect(part.headers['content-length']).toBe('4');
    const suffix = await httpCall(port, '/hello.txt', { headers: { range: 'bytes=-7' } });
    expect([suffix.status, suffix.body]).toEqual([206, BODY.slice(-7)]);
    const open = await httpCall(port, '/hello.txt', { headers: { range: 'bytes=17-' } });
    expect([open.status, open.body]).toEqual([206, BODY.slice(17)]);

    const unsatisfiable = await httpCall(port, '/hello.txt', { headers: { range: 'bytes=999-' } });
    expect(unsatisfiable.status).toBe(416);
    expect(unsatisfiable.headers['content-range']).toBe(`bytes */${BODY.length}`);
    // Several ranges: the whole object (one store request per range is not worth it).
    const multi = await httpCall(port, '/hello.txt', { headers: { range: 'bytes=0-1,4-5' } });
    expect([multi.status, multi.body]).toEqual([200, BODY]);
    // If-Range with a different validator: the whole object.
    const stale = await httpCall(port, '/hello.txt', {
      headers: { range: 'bytes=0-4', 'if-range': '"old"' },
    });
    expect([stale.status, stale.body]).toEqual([200, BODY]);
  });
});

describe('static action over S3: what reaches the store (issue #17)', () => {
  it('a 304 and a HEAD read no body; a range is asked of the store, not cut here', async () => {
    const toml = `[[route]]\n[route.action]\ntype = "static"\nstorage = { driver = "s3", bucket = "${BUCKET}", endpoint = "${s3.endpoint}", prefix = "pub" }\n`;
    const port = await gatewayPort(toml, { env: s3Env });
    const storage = createS3Storage({ bucket: BUCKET, endpoint: s3.endpoint, credentials });
    await storage.put('pub/big.bin', new Uint8Array(100_000).fill(7));
    await storage.close();
    const etag = (await httpCall(port, '/big.bin', { method: 'HEAD' })).headers.etag!;
    const from = s3.requests.length;
    expect((await httpCall(port, '/big.bin', { headers: { 'if-none-match': etag } })).status).toBe(
      304,
    );
    expect((await httpCall(port, '/big.bin', { method: 'HEAD' })).status).toBe(200);
    const part = await httpCall(port, '/big.bin', { headers: { range: 'bytes=99990-' } });
    expect([part.status, part.body.length]).toEqual([206, 10]);
    const seen = s3.requests.slice(from).map((r) => `${r.method} ${r.headers.range ?? ''}`);
    expect(seen).toEqual(['HEAD ', 'HEAD ', 'HEAD ', 'GET bytes=99990-99999']);
  });
});

describe('static action storage config (issue #17)', () => {
  it('reads S3 keys from the environment only; a wrong secret is a 502, not a leak', async () => {
    const toml = `[[route]]\n[route.action]\ntype = "static"\nstorage = { driver = "s3", bucket = "${BUCKET}", endpoint = "${s3.endpoint}" }\n`;
    const wrong = { ...s3Env, RWS_S3_SECRET_ACCESS_KEY: 'not-the-secret' };
    const port = await gatewayPort(toml, { env: wrong });
    const res = await httpCall(port, '/secret.txt');
    expect(res.status).toBe(502);
    expect(res.body).not.toContain('not-the-secret');
    expect(res.body).not.toContain('SignatureDoesNotMatch');
    await expect(createGateway(toml, { env: {} })).rejects.toThrow(
      /route\[0\]\.action\.storage: S3 storage needs credentials/,
    );
  });

  it('reports bad storage keys with their key paths', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-gw-bucket-'));
    const bad = [
      `[[route]]\n[route.action]\ntype = "static"\nroot = "."\nstorage = { driver = "local", root = "." }\n`,
      `[[route]]\n[route.action]\ntype = "static"\nstorage = { driver = "s4", bucket = "b" }\n`,
      `[[route]]\n[route.action]\ntype = "static"\nstorage = { driver = "s3", bucket = "b", endpoint = "ftp://x", prefix = "../up", secret = "x" }\n`,
      `[[route]]\n[route.action]\ntype = "static"\nstorage = { driver = "s3" }\ndirectory_listing = true\n`,
      `[[route]]\n[route.action]\ntype = "static"\nstorage = { driver = "local", root = "nope" }\n`,
      `[[route]]\n[route.action]\ntype = "static"\nstorage = { driver = "azure-blob", account_name = "a", container = "c", account_key_env = "RWS_TEST_NO_SUCH_KEY" }\n`,
    ];
    const messages: string[] = [];
    for (const toml of bad) {
      const err = await createGateway(toml, { cwd: dir, env: {} }).then(
        () => null,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(Error);
      messages.push(err!.message);
    }
    expect(messages[0]).toMatch(/route\[0\]\.action\.root: root and storage are both set/);
    expect(messages[1]).toMatch(/route\[0\]\.action\.storage\.driver: unknown storage driver "s4"/);
    expect(messages[1]).toMatch(/did you mean "s3"/);
    expect(messages[2]).toMatch(/route\[0\]\.action\.storage\.endpoint: must be an http/);
    expect(messages[2]).toMatch(
      /route\[0\]\.action\.storage\.prefix: must be a relative key prefix/,
    );
    expect(messages[2]).toMatch(/route\[0\]\.action\.storage\.secret: unknown key/);
    expect(messages[3]).toMatch(/route\[0\]\.action\.storage: is missing bucket/);
    expect(messages[3]).toMatch(/route\[0\]\.action\.directory_listing: a bucket is not listed/);
    expect(messages[4]).toMatch(/route\[0\]\.action\.storage\.root: nope is not a directory/);
    expect(messages[5]).toMatch(
      /route\[0\]\.action\.storage\.account_key_env: environment variable RWS_TEST_NO_SUCH_KEY is not set/,
    );
  });
});
