import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Body,
  createRequest,
  empty,
  file,
  fromWebRequest,
  fromWebResponse,
  Headers,
  HttpError,
  IN_PROCESS_CONNECTION,
  json,
  stream,
  text,
  toFetchHandler,
  toWebRequest,
  toWebResponse,
} from '../src/index.js';

const encoder = new TextEncoder();

describe('fromWebRequest', () => {
  it('maps method, target, headers and adds host', async () => {
    const webReq = new Request('http://example.test:8080/a/b?x=1', {
      method: 'POST',
      headers: { 'X-Token': 't', 'content-type': 'text/plain' },
      body: 'hello',
    });
    const req = fromWebRequest(webReq);
    expect(req.method).toBe('POST');
    expect(req.target).toBe('/a/b?x=1');
    expect(req.path).toBe('/a/b');
    expect(req.query.get('x')).toBe('1');
    expect(req.headers.get('host')).toBe('example.test:8080');
    expect(req.headers.get('x-token')).toBe('t');
    expect(req.conn).toBe(IN_PROCESS_CONNECTION);
    expect(req.signal).toBe(webReq.signal);
    expect(await req.body.text()).toBe('hello');
  });

  it('streams the body chunk by chunk without buffering it', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++;
          if (pulls > 3) controller.close();
          else controller.enqueue(encoder.encode(`c${pulls}`));
        },
      },
      { highWaterMark: 0 },
    );
    const req = fromWebRequest(
      new Request('http://h/', { method: 'PUT', body, duplex: 'half' } as RequestInit),
    );
    expect(req.body.length).toBeNull();
    expect(pulls).toBe(0);
    const chunks: string[] = [];
    for await (const chunk of req.body) chunks.push(new TextDecoder().decode(chunk));
    expect(chunks.join('')).toBe('c1c2c3');
  });

  it('applies the body limit option and the declared length', async () => {
    const req = fromWebRequest(
      new Request('http://h/', {
        method: 'POST',
        body: 'x'.repeat(100),
        headers: { 'content-length': '100' },
      }),
      { limit: 10 },
    );
    await expect(req.body.bytes()).rejects.toMatchObject({
      code: 'RWS_CORE_BODY_TOO_LARGE',
      status: 413,
    });
  });

  it('uses given conn and signal, and an empty body for GET', async () => {
    const ac = new AbortController();
    const conn = { ...IN_PROCESS_CONNECTION, id: 9 };
    const req = fromWebRequest(new Request('http://h/'), {
      conn,
      signal: ac.signal,
      protocol: 'h2',
    });
    expect(req.conn).toBe(conn);
    expect(req.signal).toBe(ac.signal);
    expect(req.protocol).toBe('h2');
    expect(req.body.hasBody).toBe(false);
    expect(await req.body.text()).toBe('');
  });
});

describe('toWebRequest', () => {
  it('round-trips a request with a streamed body', async () => {
    async function* chunks() {
      yield encoder.encode('part1,');
      yield encoder.encode('part2');
    }
    const req = createRequest({
      method: 'POST',
      target: '/up?z=1',
      headers: { host: 'api.test', 'x-a': '1' },
      body: Body.from(chunks()),
    });
    const webReq = toWebRequest(req);
    expect(webReq.url).toBe('http://api.test/up?z=1');
    expect(webReq.method).toBe('POST');
    expect(webReq.headers.get('x-a')).toBe('1');
    expect(await webReq.text()).toBe('part1,part2');
    const back = fromWebRequest(toWebRequest(createRequest({ method: 'GET', target: '/q' })));
    expect(back.target).toBe('/q');
    expect(back.headers.get('host')).toBe('localhost');
  });

  it('uses the origin option, https for TLS, and absolute targets as is', () => {
    const tlsConn = {
      ...IN_PROCESS_CONNECTION,
      tls: {
        alpn: 'h2',
        sni: 'a.test',
        version: 'TLSv1.3',
        authorized: false,
        peerCertificate: null,
      },
    };
    const r1 = createRequest({
      method: 'GET',
      target: '/x',
      conn: tlsConn,
      headers: { host: 'a.test' },
    });
    expect(toWebRequest(r1).url).toBe('https://a.test/x');
    expect(toWebRequest(r1, { origin: 'http://o.test:1' }).url).toBe('http://o.test:1/x');
    const r2 = createRequest({ method: 'GET', target: 'http://p.test/y?1' });
    expect(toWebRequest(r2).url).toBe('http://p.test/y?1');
  });
});

describe('toWebResponse / fromWebResponse', () => {
  it('converts string, bytes and json bodies with status and headers', async () => {
    const res = toWebResponse(json({ ok: true }, { status: 201, headers: { 'x-a': '1' } }));
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Created');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-a')).toBe('1');
    expect(await res.json()).toEqual({ ok: true });
    const bytes = toWebResponse({
      status: 200,
      headers: new Headers(),
      body: new Uint8Array([1, 2]),
    });
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(new Uint8Array([1, 2]));
  });

  it('keeps multiple set-cookie headers apart both ways', () => {
    const headers = new Headers();
    headers.append('set-cookie', 'a=1; Path=/');
    headers.append('set-cookie', 'b=2, c');
    const web = toWebResponse({ status: 200, headers, body: null });
    expect(web.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2, c']);
    expect(fromWebResponse(web).headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2, c']);
  });

  it('streams an async-iterable body and cancels it when the reader stops', async () => {
    let isFinalized = false;
    async function* gen() {
      try {
        for (let i = 0; ; i++) yield encoder.encode(`${i};`);
      } finally {
        isFinalized = true;
      }
    }
    const web = toWebResponse(stream(gen()));
    const reader = web.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('0;');
    await reader.cancel();
    expect(isFinalized).toBe(true);
  });

  it('drops the body of null-body statuses', async () => {
    const web = toWebResponse({ status: 304, headers: new Headers(), body: 'x' });
    expect(web.body).toBeNull();
    expect(toWebResponse(empty()).status).toBe(204);
  });

  it('fromWebResponse keeps the body a stream', async () => {
    const res = fromWebResponse(new Response('abc', { status: 404, headers: { 'X-Y': 'z' } }));
    expect(res.status).toBe(404);
    expect(res.headers.get('x-y')).toBe('z');
    expect(res.body).toBeInstanceOf(ReadableStream);
    expect(await new Response(res.body as ReadableStream).text()).toBe('abc');
    expect(fromWebResponse(new Response(null, { status: 204 })).body).toBeNull();
  });

  describe('file bodies', () => {
    let dir: string;
    let path: string;
    const content = 'x'.repeat(70_000) + 'END';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'rws-core-'));
      path = join(dir, 'data.txt');
      await writeFile(path, content);
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('streams a whole file from disk', async () => {
      const web = toWebResponse(file(path));
      expect(web.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await web.text()).toBe(content);
    });

    it('streams a byte range (end inclusive)', async () => {
      expect(await toWebResponse(file(path, { start: 70_000, end: 70_001 })).text()).toBe('EN');
      expect(await toWebResponse(file(path, { start: 69_999 })).text()).toBe('xEND');
      expect(await toWebResponse(file(path, { start: 0, end: 0 })).text()).toBe('x');
    });

    it('errors the stream for a missing file', async () => {
      const web = toWebResponse(file(join(dir, 'missing.txt')));
      await expect(web.text()).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('closes the file when the reader cancels (issue #9: asserts the fd is closed)', async () => {
      const web = toWebResponse(file(path));
      const reader = web.body!.getReader();
      expect(await openDescriptorsOf(path)).toBe(0);
      expect((await reader.read()).done).toBe(false);
      // The file is open while the stream is being read…
      expect(await openDescriptorsOf(path)).toBe(1);
      await reader.cancel();
      // …and closed by the time cancel() resolves.
      expect(await openDescriptorsOf(path)).toBe(0);
    });
  });
});

/** How many of this process's file descriptors point at `path` (Linux /proc). */
async function openDescriptorsOf(path: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target === path) count++;
  }
  return count;
}

describe('cookie fields in web conversion (issue #9)', () => {
  it('toWebRequest joins split cookie fields with "; " (RFC 9113 §8.2.3)', () => {
    const req = createRequest({
      method: 'GET',
      target: '/',
      headers: Headers.fromTrustedList(['host', 'h', 'cookie', 'a=1', 'x-y', 'z', 'cookie', 'b=2']),
    });
    const web = toWebRequest(req);
    expect(web.headers.get('cookie')).toBe('a=1; b=2');
    expect(web.headers.get('x-y')).toBe('z');
  });
});

describe('toFetchHandler', () => {
  it('serves a Handler as a fetch function', async () => {
    const fetchLike = toFetchHandler(async (req) =>
      json({ path: req.path, body: await req.body.text() }),
    );
    const res = await fetchLike(new Request('http://h/echo', { method: 'POST', body: 'b' }));
    expect(await res.json()).toEqual({ path: '/echo', body: 'b' });
  });

  it('maps thrown errors to responses', async () => {
    const failing = toFetchHandler(() => {
      throw new HttpError(418, 'short and stout');
    });
    const res = await failing(new Request('http://h/'));
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('short and stout');
    const crashing = toFetchHandler(async () => {
      throw new Error('internal detail');
    });
    const res2 = await crashing(new Request('http://h/'));
    expect(res2.status).toBe(500);
    expect(await res2.text()).toBe('Internal Server Error');
    expect((await toFetchHandler(() => text('sync'))(new Request('http://h/'))).status).toBe(200);
  });
});

describe('connection-specific fields and statuses', () => {
  it('drops hop-by-hop fields both ways', () => {
    const headers = new Headers({
      'transfer-encoding': 'chunked',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'x-kept': '1',
    });
    const web = toWebResponse({ status: 200, headers, body: 'x' });
    for (const name of ['transfer-encoding', 'connection', 'keep-alive']) {
      expect(web.headers.has(name), name).toBe(false);
    }
    expect(web.headers.get('x-kept')).toBe('1');
    const req = toWebRequest(createRequest({ method: 'GET', target: '/', headers }));
    expect(req.headers.has('transfer-encoding')).toBe(false);
    expect(req.headers.get('x-kept')).toBe('1');
  });

  it('refuses statuses a Web Response cannot carry', () => {
    for (const status of [101, 103, 600]) {
      expect(() => toWebResponse({ status, headers: new Headers(), body: null })).toThrow(
        expect.objectContaining({ code: 'RWS_CORE_INVALID_STATUS' }),
      );
    }
  });

  it('cancelling a stream parked on an await does not hang', async () => {
    async function* parked() {
      yield encoder.encode('a');
      await new Promise(() => {});
    }
    const reader = toWebResponse(stream(parked())).body!.getReader();
    await reader.read();
    const pending = reader.read();
    await reader.cancel();
    await expect(pending).resolves.toMatchObject({ done: true });
  });
});
