/**
 * Our HTTP/3 client against our HTTP/3 server over UDP loopback: request and response mapping
 * (bodies, trailers, streaming, HEAD), malformed requests reset with H3_MESSAGE_ERROR
 * (RFC 9114 §4.1.2), header sections over the limit (431), the body-size limit (413), and connection errors on the control stream (§6.2.1, §7.2.4).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Headers, isRwsError, type Request, type Response, text } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { HTTP3_ERROR, Http3Error, type QuicError } from '../src/errors.js';
import { encodeFrame, encodeVarints, FRAME, UNI_STREAM } from '../src/http3/frames.js';
import { Http3Client } from '../src/http3/h3-client.js';
import { Http3Server, type Http3ServerOptions } from '../src/http3/h3-server.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { makeCredentials, type ServerCredentials } from './certs.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

async function setup(
  handler: (req: Request) => Response | Promise<Response>,
  extra: Partial<Http3ServerOptions> = {},
) {
  const errors: unknown[] = [];
  const server = await Http3Server.listen({
    tls: { cert: creds.cert, key: creds.key },
    handler,
    onError: (error) => errors.push(error),
    ...extra,
  });
  onTestFinished(() => server.close());
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port: server.address().port,
    serverName: 'localhost',
    ca: [creds.cert],
  });
  onTestFinished(() => client.close());
  return { server, client, errors };
}

describe('HTTP/3 requests and responses', () => {
  it('maps a GET to a core Request (protocol h3, path, query, authority, headers, conn)', async () => {
    let seen: Request | undefined;
    const { client, server } = await setup((req) => {
      seen = req;
      return text(`hello ${req.headers.get('x-name')}`);
    });
    const res = await client.request({ path: '/a/b?x=1', headers: [['x-name', 'h3']] });
    expect(res.status).toBe(200);
    expect(Buffer.from(res.body).toString()).toBe('hello h3');
    expect(res.headers.get('content-length')).toBe('8');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(seen?.protocol).toBe('h3');
    expect(seen?.method).toBe('GET');
    expect(seen?.path).toBe('/a/b');
    expect(seen?.query.get('x')).toBe('1');
    expect(seen?.authority).toBe(`localhost:${server.address().port}`);
    expect(seen?.headers.get('host')).toBe(`localhost:${server.address().port}`);
    expect(seen?.scheme).toBe('https');
    expect(seen?.conn.remoteAddress).toBe('127.0.0.1');
    expect(seen?.conn.tls?.alpn).toBe('h3');
  });

  it('reads a POST body and its trailers, and sends response trailers after a streamed body', async () => {
    const { client } = await setup(async (req) => {
      const body = await req.body.text();
      const checksum = req.body.trailers()?.get('x-checksum') ?? 'none';
      async function* parts() {
        yield Buffer.from(`got ${body.length} `);
        yield Buffer.from(`checksum ${checksum}`);
      }
      return {
        status: 201,
        headers: new Headers({ trailer: 'x-done' }),
        body: parts(),
        trailers: () => new Headers({ 'x-done': 'yes' }),
      };
    });
    const res = await client.request({
      method: 'POST',
      path: '/upload',
      body: 'x'.repeat(100_000),
      trailers: [['x-checksum', 'abc']],
    });
    expect(res.status).toBe(201);
    expect(Buffer.from(res.body).toString()).toBe('got 100000 checksum abc');
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.trailers?.get('x-done')).toBe('yes');
  });

  it('answers HEAD with the length of the GET and no body; 204 has neither', async () => {
    const { client } = await setup((req) =>
      req.path === '/empty'
        ? { status: 204, headers: new Headers(), body: null }
        : text('twelve bytes'),
    );
    const head = await client.request({ method: 'HEAD', path: '/' });
    expect(head.headers.get('content-length')).toBe('12');
    expect(head.body.length).toBe(0);
    const empty = await client.request({ path: '/empty' });
    expect(empty.status).toBe(204);
    expect(empty.headers.has('content-length')).toBe(false);
  });

  it('runs 40 concurrent requests on one connection', async () => {
    const { client } = await setup((req) => text(req.path));
    const paths = Array.from({ length: 40 }, (_, i) => `/r${i}`);
    const results = await Promise.all(paths.map((path) => client.request({ path })));
    expect(results.map((r) => Buffer.from(r.body).toString())).toEqual(paths);
  }, 30_000);

  it('sends a file body whole and as a byte range, as DATA frames read ahead (issue #21)', async () => {
    // Over four 64 KiB reads and not a multiple of them, so the last read is short.
    const content = randomBytes(4 * 65536 + 4321);
    const dir = mkdtempSync(join(tmpdir(), 'rws-h3-file-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'body.bin');
    writeFileSync(path, content);
    const { client } = await setup((req) => ({
      status: 200,
      headers: new Headers(),
      body:
        req.path === '/range'
          ? { kind: 'file', path, start: 65530, end: 2 * 65536 + 9 }
          : { kind: 'file', path },
    }));
    const whole = await client.request({ path: '/' });
    expect(whole.headers.get('content-length')).toBe(String(content.length));
    expect(Buffer.compare(Buffer.from(whole.body), content)).toBe(0);
    const range = await client.request({ path: '/range' });
    expect(Buffer.compare(Buffer.from(range.body), content.subarray(65530, 2 * 65536 + 10))).toBe(
      0,
    );
  });

  it('answers a handler error with 500 and reports it', async () => {
    const { client, errors } = await setup(() => {
      throw new Error('boom');
    });
    const res = await client.request({ path: '/' });
    expect(res.status).toBe(500);
    expect(errors).toHaveLength(1);
  });
});

/** The request's rejection: an Http3Error whose applicationCode is the server's reset code. */
async function resetCode(promise: Promise<unknown>): Promise<number | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Http3Error);
  expect((error as Http3Error).code).toBe('RWS_H3_STREAM_RESET');
  return (error as Http3Error).applicationCode;
}

describe('message validation (RFC 9114 §4.1.2, §4.2, §4.3) and limits', () => {
  const malformed: [string, { path?: string; headers: [string, string][] }][] = [
    ['an upper-case field name', { headers: [['X-Upper', '1']] }],
    ['a connection-specific field', { headers: [['connection', 'keep-alive']] }],
    ['transfer-encoding', { headers: [['transfer-encoding', 'chunked']] }],
    ['te other than trailers', { headers: [['te', 'gzip']] }],
    [
      'a pseudo-header after a regular field',
      {
        headers: [
          ['x-a', '1'],
          [':protocol', 'x'],
        ],
      },
    ],
    ['an unknown pseudo-header', { headers: [[':foo', 'x']] }],
    ['a duplicate :path', { headers: [[':path', '/again']] }],
    ['a duplicate :method', { headers: [[':method', 'POST']] }],
    ['an empty :path', { path: '', headers: [] }],
  ];
  for (const [what, init] of malformed) {
    it(`resets a request with ${what} with H3_MESSAGE_ERROR and never runs the handler`, async () => {
      let calls = 0;
      const { client } = await setup(() => {
        calls++;
        return text('ok');
      });
      const code = await resetCode(
        client.request({ path: init.path ?? '/', headers: init.headers }),
      );
      expect(code).toBe(HTTP3_ERROR.H3_MESSAGE_ERROR);
      expect(calls).toBe(0);
      // A stream error, not a connection error: the next request on the connection works.
      const next = await client.request({ path: '/' });
      expect(next.status).toBe(200);
      expect(calls).toBe(1);
    });
  }

  it('resets a body longer or shorter than content-length with H3_MESSAGE_ERROR', async () => {
    const seen: unknown[] = [];
    const { client } = await setup(async (req) => {
      try {
        return text(await req.body.text());
      } catch (error) {
        seen.push(error);
        // Even a handler that answers anyway does not reach the client: the stream is reset.
        return text('answered anyway');
      }
    });
    const longer = client.request({
      method: 'POST',
      path: '/',
      headers: [['content-length', '3']],
      body: 'four',
    });
    expect(await resetCode(longer)).toBe(HTTP3_ERROR.H3_MESSAGE_ERROR);
    const shorter = client.request({
      method: 'POST',
      path: '/',
      headers: [['content-length', '5']],
      body: 'four',
    });
    expect(await resetCode(shorter)).toBe(HTTP3_ERROR.H3_MESSAGE_ERROR);
    expect(seen.map((e) => (e as Error).message)).toEqual([
      expect.stringMatching(/more DATA than content-length/),
      expect.stringMatching(/shorter than content-length/),
    ]);
    const ok = await client.request({ method: 'POST', path: '/', body: 'fine' });
    expect(Buffer.from(ok.body).toString()).toBe('fine');
  });

  it('resets a request with forbidden trailers (a pseudo-header) with H3_MESSAGE_ERROR', async () => {
    const { client } = await setup(async (req) => text(await req.body.text()));
    const res = client.request({
      method: 'POST',
      path: '/',
      body: 'x',
      trailers: [[':path', '/late']],
    });
    expect(await resetCode(res)).toBe(HTTP3_ERROR.H3_MESSAGE_ERROR);
  });

  it('answers a header section over SETTINGS_MAX_FIELD_SECTION_SIZE with 431 (§4.2.2)', async () => {
    let calls = 0;
    const { client } = await setup(
      () => {
        calls++;
        return text('ok');
      },
      { maxFieldSectionSize: 1000 },
    );
    // 1200 Huffman-coded 'b's take 900 bytes in the frame (under the frame limit) but count
    // 1237 bytes decoded, which is what the limit is about.
    const res = await client.request({ path: '/', headers: [['x-big', 'b'.repeat(1200)]] });
    expect(res.status).toBe(431);
    expect(Buffer.from(res.body).toString()).toMatch(/exceeds the limit of 1000 bytes/);
    expect(calls).toBe(0);
    expect((await client.request({ path: '/' })).status).toBe(200);
  });

  it('a body over maxBodyBytes is answered with 413', async () => {
    const { client } = await setup(async (req) => text(String((await req.body.bytes()).length)), {
      maxBodyBytes: 1000,
    });
    const res = await client.request({ method: 'POST', path: '/', body: 'y'.repeat(5000) });
    expect(res.status).toBe(413);
  });
});

describe('connection errors on the control stream', () => {
  /** A raw QUIC client that opens a control stream with the given bytes after the type. */
  async function closeCodeFor(control: Uint8Array): Promise<number> {
    const server = await Http3Server.listen({
      tls: { cert: creds.cert, key: creds.key },
      handler: () => text('ok'),
      onError: () => {},
    });
    onTestFinished(() => server.close());
    const endpoint = await QuicEndpoint.bind();
    onTestFinished(() => endpoint.close());
    const quic = await endpoint.connect({
      host: '127.0.0.1',
      port: server.address().port,
      serverName: 'localhost',
      alpn: ['h3'],
      ca: [creds.cert],
    });
    quic.onStream = (stream) => {
      void (async () => {
        for await (const _ of stream);
      })().catch(() => {});
    };
    const stream = quic.openUniStream();
    await stream.write(Buffer.concat([Uint8Array.of(UNI_STREAM.CONTROL), control]));
    const error = (await quic.closed) as QuicError | undefined;
    expect(isRwsError(error, 'RWS_H3_PEER_CLOSED')).toBe(true);
    return error!.transportCode;
  }

  const settings = encodeFrame(FRAME.SETTINGS, encodeVarints([0x21, 7])); // a GREASE setting

  it('a control stream that does not start with SETTINGS is H3_MISSING_SETTINGS', async () => {
    expect(await closeCodeFor(encodeFrame(FRAME.GOAWAY, encodeVarints([0])))).toBe(
      HTTP3_ERROR.H3_MISSING_SETTINGS,
    );
  }, 20_000);

  it('a second SETTINGS or DATA on the control stream is H3_FRAME_UNEXPECTED', async () => {
    expect(await closeCodeFor(Buffer.concat([settings, settings]))).toBe(
      HTTP3_ERROR.H3_FRAME_UNEXPECTED,
    );
    expect(
      await closeCodeFor(Buffer.concat([settings, encodeFrame(FRAME.DATA, Uint8Array.of(1))])),
    ).toBe(HTTP3_ERROR.H3_FRAME_UNEXPECTED);
  }, 20_000);

  it('an HTTP/2 setting is H3_SETTINGS_ERROR; a reserved HTTP/2 frame type is H3_FRAME_UNEXPECTED', async () => {
    expect(await closeCodeFor(encodeFrame(FRAME.SETTINGS, encodeVarints([0x02, 1])))).toBe(
      HTTP3_ERROR.H3_SETTINGS_ERROR,
    );
    expect(
      await closeCodeFor(Buffer.concat([settings, encodeFrame(0x06, new Uint8Array(8))])),
    ).toBe(HTTP3_ERROR.H3_FRAME_UNEXPECTED);
  }, 20_000);

  it('the client receives the server SETTINGS (QPACK table capacity, blocked streams)', async () => {
    const { client } = await setup(() => text('fine'));
    const res = await client.request({ path: '/' });
    expect(Buffer.from(res.body).toString()).toBe('fine');
    expect(client.settings?.get(0x01)).toBe(4096);
    expect(client.settings?.get(0x07)).toBe(16);
  });
});

describe("the peer's SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2)", () => {
  /** A server, and a client whose SETTINGS allow field sections of `limit` bytes. */
  async function limited(handler: (req: Request) => Response, limit: number) {
    const errors: unknown[] = [];
    const server = await Http3Server.listen({
      tls: { cert: creds.cert, key: creds.key },
      handler,
      onError: (error) => errors.push(error),
    });
    onTestFinished(() => server.close());
    const client = await Http3Client.connect({
      host: '127.0.0.1',
      port: server.address().port,
      serverName: 'localhost',
      ca: [creds.cert],
      maxFieldSectionSize: limit,
    });
    onTestFinished(() => client.close());
    // The client's SETTINGS go out with its first packets; a response to a first request
    // means the server has read them (its control stream is read as soon as it arrives).
    const warm = await client.request({ path: '/warm' });
    expect(warm.status).toBe(204);
    return { client, errors };
  }
  const big = 'v'.repeat(400);

  it('a response header section over the limit becomes a bare 500, reported to onError', async () => {
    const { client, errors } = await limited(
      (req) =>
        req.path === '/warm'
          ? { status: 204, headers: new Headers(), body: null }
          : { status: 200, headers: new Headers({ 'x-big': big }), body: 'hidden' },
      300,
    );
    const res = await client.request({ path: '/big' });
    expect(res.status).toBe(500);
    expect(res.headers.has('x-big')).toBe(false);
    expect(Buffer.from(res.body).toString()).toBe('');
    expect(errors).toHaveLength(1);
    expect((errors[0] as { code?: string }).code).toBe('RWS_H3_FIELD_SECTION_TOO_LARGE');
    expect((errors[0] as Error).message).toMatch(/SETTINGS_MAX_FIELD_SECTION_SIZE of 300/);
    // Responses within the limit still go out whole.
    const small = await client.request({ path: '/warm' });
    expect(small.status).toBe(204);
  });

  it('resets with H3_INTERNAL_ERROR when even a bare 500 or the trailers do not fit', async () => {
    const { client, errors } = await limited((req) => {
      if (req.path === '/warm') return { status: 204, headers: new Headers(), body: null };
      if (req.path === '/trailers') {
        return {
          status: 200,
          headers: new Headers(),
          // A streamed body has no content-length: `:status: 200` alone (42 bytes) fits.
          body: (async function* () {
            yield Buffer.from('ok');
          })(),
          trailers: new Headers({ 'x-trailer': big }),
        };
      }
      return { status: 200, headers: new Headers({ 'x-big': big }), body: 'hidden' };
    }, 80);
    // `:status: 500` and `content-length: 0` count 89 bytes: over 80.
    expect(await resetCode(client.request({ path: '/big' }))).toBe(HTTP3_ERROR.H3_INTERNAL_ERROR);
    expect(await resetCode(client.request({ path: '/trailers' }))).toBe(
      HTTP3_ERROR.H3_INTERNAL_ERROR,
    );
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual([
      'RWS_H3_FIELD_SECTION_TOO_LARGE',
      'RWS_H3_FIELD_SECTION_TOO_LARGE',
      'RWS_H3_FIELD_SECTION_TOO_LARGE',
    ]);
  });

  it("our client does not send a request over the server's limit", async () => {
    const { client } = await setup(() => text('ok'), { maxFieldSectionSize: 500 });
    expect((await client.request({ path: '/' })).status).toBe(200);
    expect(client.settings?.get(0x6)).toBe(500);
    const error = await client.request({ path: '/', headers: [['x-big', 'w'.repeat(600)]] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe('RWS_H3_FIELD_SECTION_TOO_LARGE');
    expect((await client.request({ path: '/' })).status).toBe(200);
  });
});

describe('obs-text header bytes (byte-string rule, RFC 9110 §5.5)', () => {
  it('keeps every char 0x80–0xFF of a value through our client and server, both ways', async () => {
    const obs = `a${Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('')}z`;
    let seen: string | null = null;
    const { client } = await setup((req) => {
      seen = req.headers.get('x-obs');
      return { status: 200, headers: new Headers({ 'x-obs': obs }), body: 'ok' };
    });
    const res = await client.request({ path: '/', headers: [['x-obs', obs]] });
    expect(res.status).toBe(200);
    expect(seen).toBe(obs);
    expect(res.headers.get('x-obs')).toBe(obs);
  });

  it('refuses chars above 0xFF in client-given fields before a stream opens (QPACK writes octets)', async () => {
    const paths: string[] = [];
    const { client } = await setup((req) => {
      paths.push(req.path);
      return text(req.headers.get('x-kept') ?? '');
    });
    const kept: [string, string][] = [['x-kept', 'in the table']];
    const first = await client.request({ path: '/a', headers: kept });
    expect(Buffer.from(first.body).toString()).toBe('in the table');
    // Each would lose its high bits as one octet: U+0141 is "A", U+012F is "/".
    const refused = [
      { path: '/\u0141' },
      { path: '/', authority: 'localhost\u012F' },
      { path: '/', method: 'G\u0145T' },
      { path: '/', headers: [['x-name', 'caf\u0119']] as [string, string][] },
      { path: '/', body: 'x', trailers: [['x-sum', '\u0131']] as [string, string][] },
    ];
    for (const init of refused) {
      const error = await client.request(init).catch((e: unknown) => e);
      expect(isRwsError(error, 'RWS_CORE_INVALID_HEADER')).toBe(true);
    }
    const streamed = await client.stream({ path: '/\u0141' }).catch((e: unknown) => e);
    expect(isRwsError(streamed, 'RWS_CORE_INVALID_HEADER')).toBe(true);
    // The connection and both QPACK tables are still in step.
    const last = await client.request({ path: '/b', headers: kept });
    expect(Buffer.from(last.body).toString()).toBe('in the table');
    expect(paths).toEqual(['/a', '/b']);
  });
});
