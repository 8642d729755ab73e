import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import {
  compose,
  createRequest,
  file,
  type Handler,
  Headers,
  isRwsError,
  json,
  type Response,
  sse,
  stream,
  text,
} from '@rws/core';
import { compress } from '@rws/middleware/compress';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createFixture, readBody } from './helpers.js';
import { serveHandler } from './serve-helpers.js';

const BIG = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ i, name: 'x' })) });

const z = zlib as typeof zlib & { zstdDecompressSync?: (b: Uint8Array) => Buffer };
function decode(coding: string | null, data: Buffer): string {
  if (coding === 'gzip') return zlib.gunzipSync(data).toString();
  if (coding === 'br') return zlib.brotliDecompressSync(data).toString();
  if (coding === 'zstd') return z.zstdDecompressSync!(data).toString();
  return data.toString();
}

async function get(
  handler: Handler,
  acceptEncoding: string | null,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (acceptEncoding !== null) headers.set('accept-encoding', acceptEncoding);
  return handler(createRequest({ method: init.method ?? 'GET', target: '/', headers }));
}

const big = compose([compress()], () => json(JSON.parse(BIG)));

describe('compress: negotiation', () => {
  it.each([
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['zstd', 'zstd'],
    ['gzip;q=0.5, br;q=0.9', 'br'],
    ['gzip, br', 'br'],
    ['gzip;q=1, br;q=0.2, zstd;q=0.1', 'gzip'],
    ['*', 'br'],
    ['br;q=0, *', 'zstd'],
    ['br;q=0, zstd;q=0, *;q=0.3', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZIP;Q=0.7', 'gzip'],
  ])('Accept-Encoding %j → %s, and the body decodes', async (accept, expected) => {
    const res = await get(big, accept);
    expect(res.headers.get('content-encoding')).toBe(expected);
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    const bytes = await readBody(res);
    expect(res.headers.get('content-length')).toBe(String(bytes.byteLength));
    expect(bytes.byteLength).toBeLessThan(Buffer.byteLength(BIG));
    expect(decode(expected, bytes)).toBe(BIG);
  });

  it.each([null, '', 'identity', 'gzip;q=0, br;q=0, zstd;q=0', '*;q=0', 'compress, deflate'])(
    'Accept-Encoding %j → identity, still Vary',
    async (accept) => {
      const res = await get(big, accept);
      expect(res.headers.get('content-encoding')).toBeNull();
      expect(res.headers.get('vary')).toBe('Accept-Encoding');
      expect((await readBody(res)).toString()).toBe(BIG);
    },
  );

  it('only the configured encodings are offered', async () => {
    const gzipOnly = compose([compress({ encodings: ['gzip'] })], () => text('a'.repeat(5000)));
    expect((await get(gzipOnly, 'br, gzip;q=0.1')).headers.get('content-encoding')).toBe('gzip');
    expect((await get(gzipOnly, 'br')).headers.get('content-encoding')).toBeNull();
  });
});

describe('compress: what it leaves alone', () => {
  it('a body below the threshold stays as it is (Vary still set) unless identity is refused', async () => {
    const small = compose([compress({ threshold: 100 })], () => text('short'));
    const plain = await get(small, 'gzip');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toBe('Accept-Encoding');
    expect(plain.body).toBe('short');
    const forced = await get(small, 'gzip, identity;q=0');
    expect(forced.headers.get('content-encoding')).toBe('gzip');
    expect(decode('gzip', await readBody(forced))).toBe('short');
    const forcedByStar = await get(small, 'gzip, *;q=0');
    expect(forcedByStar.headers.get('content-encoding')).toBe('gzip');
  });

  it('types the filter rejects: no coding and no Vary', async () => {
    const png = compose([compress()], () => ({
      status: 200,
      headers: new Headers({ 'content-type': 'image/png' }),
      body: new Uint8Array(5000),
    }));
    const res = await get(png, 'gzip');
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(res.headers.get('vary')).toBeNull();
    const custom = compose([compress({ filter: (t) => t === 'image/png' })], () => ({
      status: 200,
      headers: new Headers({ 'content-type': 'image/png' }),
      body: new Uint8Array(5000),
    }));
    expect((await get(custom, 'gzip')).headers.get('content-encoding')).toBe('gzip');
  });

  it.each<[string, () => Response, Record<string, string>?, string?]>([
    [
      'Cache-Control: no-transform',
      () => text(BIG, { headers: { 'cache-control': 'public, no-transform' } }),
    ],
    ['206', () => text(BIG, { status: 206, headers: { 'content-range': 'bytes 0-9/100' } })],
    ['Content-Range', () => text(BIG, { headers: { 'content-range': 'bytes 0-9/100' } })],
    ['already encoded', () => text(BIG, { headers: { 'content-encoding': 'gzip' } })],
    [
      '204',
      () => ({ status: 204, headers: new Headers({ 'content-type': 'text/plain' }), body: null }),
    ],
    [
      '304',
      () => ({ status: 304, headers: new Headers({ 'content-type': 'text/plain' }), body: null }),
    ],
    ['HEAD', () => text(BIG), {}, 'HEAD'],
  ])('%s is passed through untouched', async (_name, make, headers, method) => {
    const handler = compose([compress()], make);
    const res = await get(handler, 'gzip, br', {
      ...(method ? { method } : {}),
      ...(headers ? { headers } : {}),
    });
    expect(res.headers.get('content-encoding')).not.toBe('br');
    expect(res.headers.get('content-encoding') ?? 'none').toMatch(/^(none|gzip)$/);
    if (res.body !== null && res.headers.get('content-encoding') === null) {
      expect((await readBody(res)).toString()).toBe(BIG);
    }
    expect(res.headers.get('vary')).toBeNull();
  });

  it('an already-encoded body keeps its bytes', async () => {
    const gz = zlib.gzipSync(BIG);
    const handler = compose([compress()], () => ({
      status: 200,
      headers: new Headers({ 'content-type': 'application/json', 'content-encoding': 'gzip' }),
      body: gz,
    }));
    const res = await get(handler, 'br');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.body).toBe(gz);
  });
});

describe('compress: validators and lengths', () => {
  it('weakens a strong ETag by default, drops it on request, keeps a weak one', async () => {
    const tagged = (etag: string) => () => text(BIG, { headers: { etag } });
    expect((await get(compose([compress()], tagged('"abc"')), 'gzip')).headers.get('etag')).toBe(
      'W/"abc"',
    );
    expect((await get(compose([compress()], tagged('W/"abc"')), 'gzip')).headers.get('etag')).toBe(
      'W/"abc"',
    );
    expect(
      (await get(compose([compress({ etag: 'drop' })], tagged('"abc"')), 'gzip')).headers.get(
        'etag',
      ),
    ).toBeNull();
    // Uncompressed, the strong tag is still right.
    expect((await get(compose([compress()], tagged('"abc"')), null)).headers.get('etag')).toBe(
      '"abc"',
    );
  });

  it('drops Accept-Ranges and Content-Length of a stream, appends to an existing Vary', async () => {
    const handler = compose([compress()], () =>
      stream(
        (async function* () {
          yield Buffer.from(BIG);
        })(),
        {
          headers: {
            'content-type': 'text/plain',
            'accept-ranges': 'bytes',
            'content-length': String(BIG.length),
            vary: 'Origin',
          },
        },
      ),
    );
    const res = await get(handler, 'br');
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('accept-ranges')).toBeNull();
    expect(res.headers.get('vary')).toBe('Origin, Accept-Encoding');
    expect(decode('br', await readBody(res))).toBe(BIG);
  });

  it('compresses a file body and a file range body, streamed from disk', async () => {
    const fixture = createFixture();
    onTestFinished(fixture.cleanup);
    const path = join(fixture.root, 'data.json');
    writeFileSync(path, BIG);
    const whole = await get(
      compose([compress()], () => file(path)),
      'gzip',
    );
    expect(whole.headers.get('content-encoding')).toBe('gzip');
    expect(decode('gzip', await readBody(whole))).toBe(BIG);
    const tiny = await get(
      compose([compress()], () => file(path, { start: 0, end: 9 })),
      'gzip',
    );
    expect(tiny.headers.get('content-encoding')).toBeNull();
  });

  it.each([
    [{ encodings: [] }, /encodings must be a non-empty array/],
    [{ encodings: ['deflate'] }, /unknown encoding "deflate"/],
    [{ threshold: -1 }, /threshold must be a non-negative integer/],
    [{ filter: 'text/*' }, /filter must be a function/],
    [{ etag: 'keep' }, /etag must be "weaken" or "drop"/],
  ])('rejects %j', (options, message) => {
    let caught: unknown;
    try {
      compress(options as never);
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_MIDDLEWARE_COMPRESS_INVALID_OPTIONS')).toBe(true);
    expect((caught as Error).message).toMatch(message);
  });
});

describe('compress over a real @rws/http1 socket', () => {
  function decoder(coding: string): zlib.Gunzip | zlib.BrotliDecompress {
    if (coding === 'gzip') return zlib.createGunzip();
    if (coding === 'br') return zlib.createBrotliDecompress();
    return (zlib as unknown as { createZstdDecompress(): zlib.Gunzip }).createZstdDecompress();
  }

  it.each(['gzip', 'br', 'zstd'])(
    'SSE with %s: the first event arrives, decoded, before the stream ends',
    async (coding) => {
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let isEnded = false;
      const port = await serveHandler(
        compose([compress()], () =>
          sse(
            (async function* () {
              yield { event: 'tick', data: 'one' };
              // The second event waits until the client has decoded the first: without a
              // flush per chunk the first would sit in the compressor and this would hang.
              await released;
              yield { event: 'tick', data: 'two' };
              isEnded = true;
            })(),
            { keepAliveMs: 0 },
          ),
        ),
      );
      const result = await new Promise<{
        encoding: string | undefined;
        early: string;
        all: string;
      }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('first event never arrived')), 3000);
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/',
            agent: false,
            headers: { 'accept-encoding': coding },
          },
          (res) => {
            const unzip = decoder(coding);
            res.pipe(unzip);
            let all = '';
            let early = '';
            unzip.on('data', (chunk: Buffer) => {
              all += chunk.toString();
              if (early === '' && all.includes('data: one')) {
                early = all;
                expect(isEnded).toBe(false);
                release();
              }
            });
            unzip.on('end', () => {
              clearTimeout(timer);
              resolve({ encoding: res.headers['content-encoding'], early, all });
            });
            unzip.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(result.encoding).toBe(coding);
      expect(result.early).toBe('event: tick\ndata: one\n\n');
      expect(result.all).toBe('event: tick\ndata: one\n\nevent: tick\ndata: two\n\n');
    },
  );

  it('a large body goes out chunked and compressed, and decodes to the same bytes', async () => {
    const port = await serveHandler(compose([compress()], () => json(JSON.parse(BIG))));
    const { headers, body } = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/',
            agent: false,
            headers: { 'accept-encoding': 'gzip' },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(headers['content-encoding']).toBe('gzip');
    expect(headers['vary']).toBe('Accept-Encoding');
    expect(Number(headers['content-length'])).toBe(body.byteLength);
    expect(zlib.gunzipSync(body).toString()).toBe(BIG);
  });
});
