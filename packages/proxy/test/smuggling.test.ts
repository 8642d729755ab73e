/**
 * The @rws/http1 request-smuggling table replayed through the proxy to a raw backend that
 * parses strictly and records every request it receives. Every request the proxy accepts must
 * reach the backend exactly once with one unambiguous framing; every request the proxy
 * rejects must never reach it complete. Then the other direction: malformed or ambiguous
 * backend responses become 502 and are never relayed.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { getProxyInfo, reverseProxy } from '../src/index.js';
import { serveProxy } from './helpers.js';

/**
 * The table is read from the http1 test's source rather than copied, so rows added there are
 * replayed here too (the file is a test module, so importing it would also run its tests).
 */
function loadTable(): { rows: [string, string, number][]; limits: Record<string, number> } {
  const path = fileURLToPath(new URL('../../http1/test/smuggling-table.test.ts', import.meta.url));
  const source = readFileSync(path, 'utf8');
  const start = source.indexOf('const ROWS');
  const open = source.indexOf('= [', start) + 2;
  const close = source.indexOf('\n];', open) + 2;
  const limitsStart = source.indexOf('const LIMITS = ');
  const limitsEnd = source.indexOf(';', limitsStart);
  const rows = new Function('H', `return ${source.slice(open, close)}`)('Host: a\r\n');
  const limits = new Function(`return ${source.slice(limitsStart + 15, limitsEnd)}`)();
  return { rows, limits };
}

interface Received {
  head: string;
  body: Buffer;
  /** More than one framing field, a repeated Content-Length, or an unknown coding. */
  isAmbiguous: boolean;
}

/** A raw backend that parses requests strictly (CL or chunked) and answers 200 `ok`. */
async function recordingBackend(): Promise<{
  origin: string;
  received: Received[];
  partial: () => number;
}> {
  const received: Received[] = [];
  let partial = 0;
  const server = net.createServer((socket) => {
    let buf: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const parsed = parseOne(buf);
        if (parsed === null) break;
        received.push(parsed.request);
        buf = buf.subarray(parsed.used);
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
    socket.on('close', () => {
      if (buf.length > 0) partial++;
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, received, partial: () => partial };
}

function parseOne(buf: Buffer): { request: Received; used: number } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const head = buf.subarray(0, end).toString('latin1');
  const lines = head.split('\r\n');
  let lengths = 0;
  let length = 0;
  let codings = 0;
  let isAmbiguous = false;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (colon <= 0 || /[\s]/.test(line.slice(0, colon)) || /[\r\n\0]/.test(value))
      isAmbiguous = true;
    if (name === 'content-length') {
      lengths++;
      length = /^\d+$/.test(value) ? Number(value) : Number.NaN;
      if (Number.isNaN(length)) isAmbiguous = true;
    }
    if (name === 'transfer-encoding') {
      codings++;
      if (value !== 'chunked') isAmbiguous = true;
    }
  }
  if (lengths > 1 || codings > 1 || (lengths > 0 && codings > 0)) isAmbiguous = true;
  let pos = end + 4;
  let body: Buffer = Buffer.alloc(0);
  if (codings === 1) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd === -1) return null;
      const sizeText = buf.subarray(pos, lineEnd).toString('latin1');
      if (!/^[0-9a-f]+$/i.test(sizeText)) isAmbiguous = true;
      const size = Number.parseInt(sizeText, 16);
      if (size === 0) {
        const trailerEnd = buf.indexOf('\r\n\r\n', lineEnd);
        if (trailerEnd === -1 && buf.indexOf('\r\n', lineEnd + 2) !== lineEnd + 2) return null;
        pos = trailerEnd === -1 ? lineEnd + 4 : trailerEnd + 4;
        if (buf.indexOf('\r\n', lineEnd + 2) === lineEnd + 2) pos = lineEnd + 4;
        break;
      }
      if (buf.length < lineEnd + 2 + size + 2) return null;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      if (buf.subarray(lineEnd + 2 + size, lineEnd + 4 + size).toString('latin1') !== '\r\n')
        isAmbiguous = true;
      pos = lineEnd + 4 + size;
    }
    body = Buffer.concat(parts);
  } else if (lengths === 1) {
    if (buf.length < pos + length) return null;
    body = buf.subarray(pos, pos + length);
    pos += length;
  }
  return { request: { head, body: Buffer.from(body), isAmbiguous }, used: pos };
}

/** Writes raw bytes to the proxy; resolves with the first status line's code. */
function send(port: number, bytes: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let raw = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response; got ${JSON.stringify(raw)}`));
    }, 5000);
    const finish = (): void => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
      if (m === null) return;
      // Wait for the final response (skip 100 Continue).
      if (m[1] === '100') {
        const next = raw.indexOf('\r\n\r\n');
        const rest = raw.slice(next + 4);
        const m2 = /^HTTP\/1\.1 (\d{3})/.exec(rest);
        if (m2 === null) return;
        clearTimeout(timer);
        socket.destroy();
        resolve(Number(m2[1]));
        return;
      }
      clearTimeout(timer);
      socket.destroy();
      resolve(Number(m[1]));
    };
    socket.on('data', (c) => {
      raw += c.toString('latin1');
      finish();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      if (!/^HTTP/.test(raw)) reject(new Error('closed without a response'));
    });
    socket.write(bytes);
  });
}

const { rows, limits } = loadTable();

describe('the http1 smuggling table through the proxy', () => {
  let backend: Awaited<ReturnType<typeof recordingBackend>>;

  beforeAll(async () => {
    backend = await recordingBackend();
  });

  it('the table was found and parsed', () => {
    expect(rows.length).toBeGreaterThanOrEqual(45);
  });

  it.each(rows.map(([name, input, status]) => [`${name} → ${status}`, input, status] as const))(
    '%s',
    async (_name, input, status) => {
      // A proxy per row (closed when the row ends); the backend and its records are shared.
      const origin = await serveProxy(
        reverseProxy({ upstream: backend.origin, retry: { attempts: 1 } }),
        limits,
      );
      const port = Number(new URL(origin).port);
      const before = backend.received.length;
      const got = await send(port, Buffer.from(input, 'latin1'));
      expect(got).toBe(status);
      const arrived = backend.received.slice(before);
      if (status < 300) {
        expect(arrived.length).toBe(1);
        expect(arrived[0]!.isAmbiguous, arrived[0]!.head).toBe(false);
      } else {
        // A rejection never reaches the backend as a complete request.
        await new Promise((r) => setTimeout(r, 20));
        expect(backend.received.length).toBe(before);
      }
    },
  );
});

/** A backend that writes `raw` as its whole response to every request, then closes. */
async function rawBackend(raw: string): Promise<string> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      socket.end(Buffer.from(raw, 'latin1'));
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

const BAD_RESPONSES: [string, string][] = [
  [
    'Content-Length and Transfer-Encoding',
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  ],
  [
    'differing Content-Length',
    'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
  ],
  ['obs-fold', 'HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n'],
  ['bare CR in a value', 'HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 0\r\n\r\n'],
  ['space before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'],
  ['bad status line', 'HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n'],
  ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
  [
    'unknown transfer coding',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
  ],
];

describe('malformed or ambiguous backend responses become 502, never relayed', () => {
  it.each(BAD_RESPONSES)('%s', async (_name, raw) => {
    const origin = await rawBackend(raw);
    let error: string | null | undefined;
    const proxy = reverseProxy({ upstream: origin, retry: { attempts: 1 } });
    const p = await serveProxy({
      async handle(req, next) {
        const res = await proxy.handle(req, next);
        error = getProxyInfo(req)?.error;
        return res;
      },
      close: () => proxy.close(),
    });
    const res = await fetch(`${p}/`);
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(text).toBe('502 Bad Gateway: the backend sent an invalid response\n');
    expect(res.headers.get('x-a')).toBe(null);
    expect(error).toBe('RWS_PROXY_INVALID_RESPONSE');
  });
});

it('a framing error inside a relayed body cuts the client connection and records the cause', async () => {
  const origin = await rawBackend(
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\nSMUGGLED',
  );
  let info: ReturnType<typeof getProxyInfo>;
  const proxy = reverseProxy({ upstream: origin });
  const p = await serveProxy({
    async handle(req, next) {
      const res = await proxy.handle(req, next);
      info = getProxyInfo(req);
      return res;
    },
    close: () => proxy.close(),
  });
  const res = await fetch(`${p}/`);
  expect(res.status).toBe(200);
  // The head was valid and is already relayed; the broken body ends the exchange instead of
  // passing on bytes past the bad chunk.
  const reader = res.body!.getReader();
  let text = '';
  await expect(
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })(),
  ).rejects.toThrow();
  expect(text).not.toContain('SMUGGLED');
  expect(info!.error).toBe('RWS_PROXY_INVALID_RESPONSE');
});
