import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BodyInit,
  type ConnectionInfo,
  createRequest,
  type Handler,
  Headers,
  HttpError,
  isRwsError,
  type Protocol,
  type Response,
} from '@rws/core';
import {
  type AccessLogEntry,
  type AccessLogFields,
  type AccessLogOptions,
  accessLog,
  defineLogFields,
} from '@rws/middleware/access-log';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { readBody } from './helpers.js';

/** 2026-11-21T23:40:05.000Z */
const T0 = Date.UTC(2026, 10, 21, 23, 40, 5, 0);

const CONN: ConnectionInfo = {
  id: 7,
  remoteAddress: '203.0.113.9',
  remotePort: 51234,
  localAddress: '127.0.0.1',
  localPort: 8080,
  tls: null,
};

/** A clock the test moves by hand. */
function clock(): { now: () => number; advance(ms: number): void } {
  let t = T0;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}

interface Setup {
  lines: string[];
  clk: ReturnType<typeof clock>;
  run(
    handler: Handler,
    init?: {
      method?: string;
      target?: string;
      headers?: Record<string, string>;
      protocol?: Protocol;
    },
  ): Promise<Response>;
}

function setup(options: AccessLogOptions): Setup {
  const lines: string[] = [];
  const clk = clock();
  const mw = accessLog({ now: clk.now, write: (l) => lines.push(l), isTTY: false, ...options });
  return {
    lines,
    clk,
    run: async (handler, init = {}) => {
      const req = createRequest({
        method: init.method ?? 'GET',
        target: init.target ?? '/docs/a.txt?x=1',
        // As a transport hands them over: unvalidated, so bytes a lenient peer sent reach
        // the log (core's Headers refuses control characters set by code).
        headers: Headers.fromTrustedList(Object.entries(init.headers ?? {}).flat()),
        protocol: init.protocol ?? 'http/1.1',
        conn: CONN,
      });
      return mw.handle(req, handler);
    },
  };
}

const respond =
  (clk: ReturnType<typeof clock>, ms: number, status: number, body: BodyInit): Handler =>
  () => {
    clk.advance(ms);
    return { status, headers: new Headers(), body };
  };

const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) "quoted"',
  referer: 'https://example.com/from?q=1',
};

async function* chunks(parts: string[], onEach?: () => void): AsyncGenerator<Uint8Array> {
  for (const p of parts) {
    onEach?.();
    yield Buffer.from(p);
  }
}

describe('accessLog: json', () => {
  it('writes every field, exactly, with the injected clock', async () => {
    const { lines, clk, run } = setup({ format: 'json' });
    await run(respond(clk, 1.2345, 200, 'héllo'), {
      headers: { ...BROWSER, 'x-request-id': 'abc-123' },
    });
    expect(lines).toEqual([
      '{"time":"2026-11-21T23:40:05.000Z","remote_addr":"203.0.113.9","method":"GET",' +
        '"path":"/docs/a.txt?x=1","protocol":"HTTP/1.1","status":200,"bytes":6,' +
        '"duration_ms":1.235,"user_agent":"Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\"",' +
        '"referer":"https://example.com/from?q=1","request_id":"abc-123"}',
    ]);
  });

  it('is the default format; missing headers are null and request_id is left out', async () => {
    const { lines, clk, run } = setup({});
    await run(respond(clk, 3, 404, new Uint8Array(9)), { protocol: 'h2', method: 'POST' });
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '2026-11-21T23:40:05.000Z',
      remote_addr: '203.0.113.9',
      method: 'POST',
      path: '/docs/a.txt?x=1',
      protocol: 'HTTP/2.0',
      status: 404,
      bytes: 9,
      duration_ms: 3,
      user_agent: null,
      referer: null,
    });
  });

  it('takes the request id from the response when the request has none', async () => {
    const { lines, run } = setup({ requestIdHeader: 'X-Trace' });
    await run(() => ({ status: 200, headers: new Headers({ 'x-trace': 't-1' }), body: null }));
    expect(JSON.parse(lines[0]!).request_id).toBe('t-1');
  });

  it('escapes control characters (no forged lines)', async () => {
    const { lines, run } = setup({});
    await run(respond(clock(), 0, 200, ''), { headers: { 'user-agent': 'a\x1b[31m\tb' } });
    expect(lines[0]).toContain('"user_agent":"a\\u001b[31m\\tb"');
    expect(lines[0]!.includes('\n')).toBe(false);
  });
});

describe('accessLog: combined', () => {
  it('matches the nginx/Apache combined format exactly (UTC)', async () => {
    const { lines, clk, run } = setup({ format: 'combined', timeZone: 'utc' });
    await run(respond(clk, 2, 200, 'x'.repeat(512)), { headers: BROWSER });
    expect(lines).toEqual([
      '203.0.113.9 - - [21/Nov/2026:23:40:05 +0000] "GET /docs/a.txt?x=1 HTTP/1.1" 200 512 ' +
        '"https://example.com/from?q=1" "Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\""',
    ]);
  });

  it('writes - for zero bytes and for missing Referer / User-Agent', async () => {
    const { lines, clk, run } = setup({ format: 'combined', timeZone: 'utc' });
    await run(respond(clk, 0, 204, null), { method: 'DELETE', target: '/x', protocol: 'http/1.0' });
    expect(lines).toEqual([
      '203.0.113.9 - - [21/Nov/2026:23:40:05 +0000] "DELETE /x HTTP/1.0" 204 - "-" "-"',
    ]);
  });

  it('escapes quotes, backslashes, control and non-ASCII bytes like ap_escape_logitem', async () => {
    const { lines, run } = setup({ format: 'combined', timeZone: 'utc' });
    await run(respond(clock(), 0, 400, 'bad'), {
      target: '/a"b\\c\n',
      headers: { 'user-agent': 'x\ty\x01z\x7f', referer: 'caf\u00e9 \u20ac' },
      protocol: 'h3',
    });
    expect(lines).toEqual([
      '203.0.113.9 - - [21/Nov/2026:23:40:05 +0000] "GET /a\\"b\\\\c\\n HTTP/3.0" 400 3 ' +
        '"caf\\xe9 \\xe2\\x82\\xac" "x\\ty\\x01z\\x7f"',
    ]);
  });

  describe('local time (the default), with the offset in %z', () => {
    const saved = process.env['TZ'];
    afterEach(() => {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    });

    it('positive offset with minutes (Asia/Kolkata, +0530)', async () => {
      process.env['TZ'] = 'Asia/Kolkata';
      const { lines, run } = setup({ format: 'combined' });
      await run(respond(clock(), 0, 200, 'ok'));
      expect(lines[0]).toBe(
        '203.0.113.9 - - [22/Nov/2026:05:10:05 +0530] "GET /docs/a.txt?x=1 HTTP/1.1" 200 2 "-" "-"',
      );
    });

    it('negative offset (America/New_York in November, -0500)', async () => {
      process.env['TZ'] = 'America/New_York';
      const { lines, run } = setup({ format: 'combined' });
      await run(respond(clock(), 0, 200, 'ok'));
      expect(lines[0]).toBe(
        '203.0.113.9 - - [21/Nov/2026:18:40:05 -0500] "GET /docs/a.txt?x=1 HTTP/1.1" 200 2 "-" "-"',
      );
    });
  });
});

describe('accessLog: pretty', () => {
  it('is short and plain without a TTY', async () => {
    const { lines, clk, run } = setup({ format: 'pretty' });
    await run(respond(clk, 1.23, 200, 'x'.repeat(512)), { target: '/path' });
    await run(respond(clk, 2500, 200, 'x'.repeat(1536)), { target: '/big' });
    await run(respond(clk, 0.04, 200, new Uint8Array(3 * 1024 * 1024)), { target: '/huge' });
    expect(lines).toEqual([
      'GET /path 200 1.2 ms 512 B',
      'GET /big 200 2.50 s 1.5 KiB',
      'GET /huge 200 0.0 ms 3.0 MiB',
    ]);
  });

  it('colours the status by class on a TTY', async () => {
    const { lines, run } = setup({ format: 'pretty', isTTY: true });
    for (const status of [101, 200, 301, 404, 503]) await run(respond(clock(), 0, status, null));
    expect(lines).toEqual([
      'GET /docs/a.txt?x=1 101 0.0 ms 0 B',
      'GET /docs/a.txt?x=1 \x1b[32m200\x1b[39m 0.0 ms 0 B',
      'GET /docs/a.txt?x=1 \x1b[36m301\x1b[39m 0.0 ms 0 B',
      'GET /docs/a.txt?x=1 \x1b[33m404\x1b[39m 0.0 ms 0 B',
      'GET /docs/a.txt?x=1 \x1b[31m503\x1b[39m 0.0 ms 0 B',
    ]);
  });

  it('escapes control characters in the target (no terminal injection)', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    await run(respond(clock(), 0, 200, ''), { target: '/\x1b[2J' });
    expect(lines).toEqual(['GET /\\x1b[2J 200 0.0 ms 0 B']);
  });
});

describe('accessLog: streamed bodies are logged when they end', () => {
  it('async iterable: counts bytes, logs after the last chunk, duration to the end', async () => {
    const { lines, clk, run } = setup({ format: 'pretty' });
    const res = await run(() => ({
      status: 200,
      headers: new Headers(),
      body: chunks(['abc', 'de', 'f'], () => clk.advance(10)),
    }));
    expect(lines).toEqual([]);
    expect((await readBody(res)).toString()).toBe('abcdef');
    expect(lines).toEqual(['GET /docs/a.txt?x=1 200 30.0 ms 6 B']);
  });

  it('ReadableStream stays a ReadableStream and is counted', async () => {
    const { lines, run } = setup({ format: 'combined', timeZone: 'utc' });
    const res = await run(() => ({
      status: 200,
      headers: new Headers(),
      body: new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new Uint8Array(100));
          c.enqueue(new Uint8Array(23));
          c.close();
        },
      }),
    }));
    expect(res.body).toBeInstanceOf(ReadableStream);
    expect(lines).toEqual([]);
    expect((await readBody(res)).length).toBe(123);
    expect(lines).toEqual([
      '203.0.113.9 - - [21/Nov/2026:23:40:05 +0000] "GET /docs/a.txt?x=1 HTTP/1.1" 200 123 "-" "-"',
    ]);
  });

  it('a consumer that stops early logs the bytes sent so far, once', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    let isClosed = false;
    async function* source(): AsyncGenerator<Uint8Array> {
      try {
        yield Buffer.from('12345');
        yield Buffer.from('67890');
      } finally {
        isClosed = true;
      }
    }
    const res = await run(() => ({ status: 200, headers: new Headers(), body: source() }));
    const it = (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    await it.next();
    await it.return?.();
    await it.return?.();
    expect(isClosed).toBe(true);
    expect(lines).toEqual(['GET /docs/a.txt?x=1 200 0.0 ms 5 B']);
  });

  it('return() before the first next() still logs (a transport releasing an unsent body)', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    const res = await run(() => ({ status: 200, headers: new Headers(), body: chunks(['x']) }));
    await (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]().return?.();
    expect(lines).toEqual(['GET /docs/a.txt?x=1 200 0.0 ms 0 B']);
  });

  it('a cancelled ReadableStream logs and cancels its source', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    let reason: unknown;
    const res = await run(() => ({
      status: 200,
      headers: new Headers(),
      body: new ReadableStream<Uint8Array>({
        pull(c) {
          c.enqueue(new Uint8Array(4));
        },
        cancel(r) {
          reason = r;
        },
      }),
    }));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel('gone');
    expect(reason).toBe('gone');
    expect(lines).toEqual(['GET /docs/a.txt?x=1 200 0.0 ms 4 B']);
  });

  it('a stream that fails logs what was sent and passes the error on', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('ab');
      throw new Error('disk gone');
    }
    const res = await run(() => ({ status: 200, headers: new Headers(), body: failing() }));
    await expect(readBody(res)).rejects.toThrow('disk gone');
    expect(lines).toEqual(['GET /docs/a.txt?x=1 200 0.0 ms 2 B']);
  });

  it('a failing ReadableStream logs too', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    const res = await run(() => ({
      status: 200,
      headers: new Headers(),
      body: new ReadableStream<Uint8Array>({
        pull(c) {
          c.error(new Error('broken'));
        },
      }),
    }));
    await expect(readBody(res)).rejects.toThrow('broken');
    expect(lines).toEqual(['GET /docs/a.txt?x=1 200 0.0 ms 0 B']);
  });

  it('keeps destroy() of Node streams working', async () => {
    const { Readable } = await import('node:stream');
    const { lines, run } = setup({ format: 'pretty' });
    const stream = Readable.from([Buffer.from('a')]);
    const res = await run(() => ({ status: 200, headers: new Headers(), body: stream }));
    (res.body as unknown as { destroy(): void }).destroy();
    expect(stream.destroyed).toBe(true);
    expect(lines).toEqual(['GET /docs/a.txt?x=1 200 0.0 ms 0 B']);
  });
});

describe('accessLog: file bodies, HEAD and empty statuses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rws-access-log-'));
  const path = join(dir, 'f.bin');
  writeFileSync(path, Buffer.alloc(1000));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the range length of a file body', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    await run(() => ({
      status: 206,
      headers: new Headers(),
      body: { kind: 'file', path, start: 100, end: 199 },
    }));
    expect(lines).toEqual(['GET /docs/a.txt?x=1 206 0.0 ms 100 B']);
  });

  it('stats the file when the range runs to its end', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    await run(() => ({
      status: 200,
      headers: new Headers(),
      body: { kind: 'file', path, start: 900 },
    }));
    await vi.waitFor(() => expect(lines).toEqual(['GET /docs/a.txt?x=1 200 0.0 ms 100 B']));
  });

  it('HEAD logs 0 bytes and leaves a streamed body untouched', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    const body = chunks(['abc']);
    const res = await run(() => ({ status: 200, headers: new Headers(), body }), {
      method: 'HEAD',
    });
    expect(res.body).toBe(body);
    expect(lines).toEqual(['HEAD /docs/a.txt?x=1 200 0.0 ms 0 B']);
  });

  it('304 logs 0 bytes', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    await run(respond(clock(), 0, 304, 'ignored'));
    expect(lines).toEqual(['GET /docs/a.txt?x=1 304 0.0 ms 0 B']);
  });
});

describe('accessLog: errors', () => {
  it('an error thrown by an async next() is logged as 500 and rethrown', async () => {
    const { lines, clk, run } = setup({ format: 'pretty' });
    const boom = new Error('boom');
    await expect(
      run(async () => {
        clk.advance(5);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(lines).toEqual(['GET /docs/a.txt?x=1 500 5.0 ms 0 B']);
  });

  it('a synchronous throw is logged and rethrown synchronously', () => {
    const lines: string[] = [];
    const mw = accessLog({
      format: 'pretty',
      write: (l) => lines.push(l),
      now: () => T0,
      isTTY: false,
    });
    const req = createRequest({ method: 'GET', target: '/s', conn: CONN });
    const boom = new Error('sync');
    expect(() =>
      mw.handle(req, () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(lines).toEqual(['GET /s 500 0.0 ms 0 B']);
  });

  it('an HttpError is logged with its own status (what the App answers)', async () => {
    const { lines, run } = setup({ format: 'pretty' });
    await expect(
      run(() => {
        throw new HttpError(404, 'nope');
      }),
    ).rejects.toBeInstanceOf(HttpError);
    expect(lines).toEqual(['GET /docs/a.txt?x=1 404 0.0 ms 0 B']);
  });

  it('a failing writer does not break the response', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const mw = accessLog({
        write: () => {
          throw new Error('sink full');
        },
      });
      const req = createRequest({ method: 'GET', target: '/' });
      const res = await mw.handle(req, () => ({ status: 200, headers: new Headers(), body: 'ok' }));
      expect(res.status).toBe(200);
      expect(warn).toHaveBeenCalledOnce();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('accessLog: options', () => {
  it('writes one process.stdout.write per line by default, with the newline', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const mw = accessLog({ format: 'pretty', now: () => T0, isTTY: false });
      const req = createRequest({ method: 'GET', target: '/p' });
      await mw.handle(req, () => ({ status: 200, headers: new Headers(), body: 'hi' }));
      expect(write.mock.calls).toEqual([['GET /p 200 0.0 ms 2 B\n']]);
    } finally {
      write.mockRestore();
    }
  });

  it('skip() suppresses lines', async () => {
    const { lines, run } = setup({
      format: 'pretty',
      skip: (req, status) => req.path === '/healthz' && status === 200,
    });
    await run(respond(clock(), 0, 200, ''), { target: '/healthz' });
    await run(respond(clock(), 0, 503, ''), { target: '/healthz' });
    expect(lines).toEqual(['GET /healthz 503 0.0 ms 0 B']);
  });

  it('a custom format function gets the entry', async () => {
    const { lines, clk, run } = setup({
      format: (e) => `${e.method} ${e.status} ${e.bytes} ${e.durationMs}`,
    });
    await run(respond(clk, 7, 201, 'abc'), { method: 'PUT' });
    expect(lines).toEqual(['PUT 201 3 7']);
  });

  it('a synchronous handler keeps a synchronous answer', () => {
    const mw = accessLog({ write: () => {} });
    const res = mw.handle(createRequest({ method: 'GET', target: '/' }), () => ({
      status: 200,
      headers: new Headers(),
      body: '',
    }));
    expect(res).not.toBeInstanceOf(Promise);
  });

  const bad: [string, unknown, RegExp][] = [
    ['format', { format: 'apache' }, /format must be 'json', 'combined', 'pretty' or a function/],
    ['write', { write: 'stdout' }, /write must be a function/],
    ['now', { now: 1 }, /now must be a function/],
    ['isTTY', { isTTY: 'yes' }, /isTTY must be a boolean/],
    ['timeZone', { timeZone: 'Europe/Paris' }, /timeZone must be 'local' or 'utc'/],
    ['requestIdHeader', { requestIdHeader: 'x id' }, /requestIdHeader must be a header name/],
    ['skip', { skip: true }, /skip must be a function/],
  ];
  for (const [name, options, message] of bad) {
    it(`rejects a bad ${name}`, () => {
      let caught: unknown;
      try {
        accessLog(options as AccessLogOptions);
      } catch (err) {
        caught = err;
      }
      expect(isRwsError(caught, 'RWS_MIDDLEWARE_ACCESS_LOG_INVALID_OPTIONS')).toBe(true);
      expect((caught as Error).message).toMatch(message);
    });
  }
});

describe('accessLog: fields', () => {
  const fields: AccessLogOptions['fields'] = (req, res) => ({
    upstream: 'api',
    proxy_error: res === null ? 'RWS_PROXY_CONNECT_FAILED' : null,
    attempts: 2,
    note: req.headers.get('x-note'),
    status: 999,
  });

  it('json: extra keys after the standard ones; a standard key is never replaced', async () => {
    const { lines, clk, run } = setup({ fields });
    await run(respond(clk, 1, 200, 'ok'), { headers: { 'x-note': 'a"b' } });
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      status: 200,
      upstream: 'api',
      proxy_error: null,
      attempts: 2,
      note: 'a"b',
    });
    expect(Object.keys(record).slice(-4)).toEqual(['upstream', 'proxy_error', 'attempts', 'note']);
  });

  it('combined: appended as key="value", null as "-", escaped', async () => {
    const { lines, clk, run } = setup({ format: 'combined', timeZone: 'utc', fields });
    await run(respond(clk, 1, 502, ''), { headers: { 'x-note': 'x"\ny' } });
    expect(lines[0]).toMatch(
      / 502 - "-" "-" upstream="api" proxy_error="-" attempts="2" note="x\\"\\ny" status="999"$/,
    );
  });

  it('pretty: appended, nulls left out; a handler throw passes res = null', async () => {
    const { lines, run } = setup({ format: 'pretty', fields });
    await expect(
      run(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(lines[0]).toMatch(
      /^GET \/docs\/a\.txt\?x=1 500 \S+ ms 0 B upstream="api" proxy_error="RWS_PROXY_CONNECT_FAILED" attempts="2" status="999"$/,
    );
  });

  it('is read when a streamed body ends, and a throwing fields function only loses the fields', async () => {
    let stage = 'headers';
    const { lines, run } = setup({ fields: () => ({ stage }) });
    const res = await run(() => ({
      status: 200,
      headers: new Headers(),
      body: chunks(['a', 'b'], () => {
        stage = 'body';
      }),
    }));
    await readBody(res);
    expect(JSON.parse(lines[0]!).stage).toBe('body');

    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    const broken = setup({
      fields: () => {
        throw new Error('nope');
      },
    });
    await broken.run(respond(broken.clk, 0, 200, 'x'));
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(JSON.parse(broken.lines[0]!).status).toBe(200);
    expect(warnings.some((w) => w.includes('the fields function threw: Error: nope'))).toBe(true);
    expect(() => accessLog({ fields: 'x' as never })).toThrow('fields must be a function');
  });
});

describe('accessLog: defineLogFields', () => {
  const keys = ['upstream', 'proxy_error', 'attempts', 'note', 'status', 'request_id'];
  const values = (req: Parameters<AccessLogFields>[0], res: Parameters<AccessLogFields>[1]) =>
    req.headers.get('x-skip') === null
      ? [
          'api',
          res === null ? 'RWS_PROXY_CONNECT_FAILED' : null,
          2,
          req.headers.get('x-note'),
          999,
          'from-field',
        ]
      : null;
  const asRecord: AccessLogFields = (req, res) => {
    const row = values(req, res);
    return row === null ? null : Object.fromEntries(keys.map((k, i) => [k, row[i] ?? null]));
  };

  /** The same requests through both forms of `fields`, in `format`. */
  async function bothForms(format: AccessLogOptions['format']): Promise<[string[], string[]]> {
    const out: [string[], string[]] = [[], []];
    for (const [i, fields] of [asRecord, defineLogFields(keys, values)].entries()) {
      const { lines, clk, run } = setup({ format, timeZone: 'utc', fields });
      await run(respond(clk, 1, 200, 'ok'), { headers: { 'x-note': 'a"b\\c' } });
      await run(respond(clk, 2, 502, ''), { headers: { 'x-request-id': 'id-1' } });
      await run(respond(clk, 0, 200, 'x'), { headers: { 'x-skip': '1' } });
      await expect(
        run(() => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      out[i] = lines;
    }
    return out;
  }

  it.each(['json', 'combined', 'pretty'] as const)(
    '%s: the same lines as a function returning the record',
    async (format) => {
      const [record, declared] = await bothForms(format);
      expect(declared).toHaveLength(4);
      expect(declared).toEqual(record);
    },
  );

  it('json: values by position after the standard keys; none when the values are null', async () => {
    const [, declared] = await bothForms('json');
    const first = JSON.parse(declared[0]!) as Record<string, unknown>;
    expect(Object.keys(first).slice(-5)).toEqual([
      'upstream',
      'proxy_error',
      'attempts',
      'note',
      'request_id',
    ]);
    expect(first).toMatchObject({ status: 200, note: 'a"b\\c', request_id: 'from-field' });
    expect(JSON.parse(declared[1]!)).toMatchObject({ status: 502, request_id: 'id-1' });
    expect(JSON.parse(declared[2]!)).not.toHaveProperty('upstream');
    expect(JSON.parse(declared[3]!)).toMatchObject({ proxy_error: 'RWS_PROXY_CONNECT_FAILED' });
  });

  it('a custom format gets the record; a throwing values function only loses the fields', async () => {
    const entries: AccessLogEntry[] = [];
    const custom = setup({
      format: (e) => {
        entries.push(e);
        return 'x';
      },
      fields: defineLogFields(['a', 'b'], () => ['one', 2]),
    });
    await custom.run(respond(custom.clk, 0, 200, 'x'));
    expect(entries[0]!.fields).toEqual({ a: 'one', b: 2 });

    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', onWarning);
    const broken = setup({
      fields: defineLogFields(['a'], () => {
        throw new Error('nope');
      }),
    });
    await broken.run(respond(broken.clk, 0, 200, 'x'));
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    expect(JSON.parse(broken.lines[0]!)).not.toHaveProperty('a');
    expect(warnings.some((w) => w.includes('the fields function threw: Error: nope'))).toBe(true);
  });

  it('rejects keys an object would reorder or merge', () => {
    for (const bad of [['a', 'a'], ['a', '1'], [1 as never], 'a' as never]) {
      let caught: unknown;
      try {
        defineLogFields(bad, () => null);
      } catch (err) {
        caught = err;
      }
      expect(isRwsError(caught, 'RWS_MIDDLEWARE_ACCESS_LOG_INVALID_OPTIONS')).toBe(true);
    }
    expect(() => defineLogFields(['a'], 'x' as never)).toThrow('values must be a function');
    expect(() => defineLogFields(['b', 'a', '-1', '01'], () => null)).not.toThrow();
  });
});
