/**
 * Issue #11: server connections on plain TCP read into one buffer shared by every socket
 * (src/internal/lent-reads.ts), which the next read of any socket overwrites; and a text
 * response identical to the last one is written from cached bytes (ResponseMemo). These
 * tests keep bytes of one connection waiting (a partial head, body bytes, pipelined requests)
 * while another connection's reads overwrite the buffer, and check that every response is
 * still exact.
 */
import type { Socket } from 'node:net';
import { Headers } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { pause, rawSocket, readUntil, start, text } from './helpers.js';

const OVERWRITE = `GET /${'o'.repeat(200)} HTTP/1.1\r\nHost: b\r\nX-Fill: ${'z'.repeat(300)}\r\n\r\n`;

/** Sends one request on a fresh connection and waits for its response: a read into the buffer. */
async function overwrite(port: number): Promise<void> {
  const other = await rawSocket(port);
  other.write(OVERWRITE);
  await readUntil(other, (raw) => raw.includes('\r\n\r\n') && raw.endsWith('!'));
  other.destroy();
}

/** Everything after the head of each response in `raw`, in order. */
function bodies(raw: string): string[] {
  return raw
    .split('HTTP/1.1 ')
    .slice(1)
    .map((r) => r.slice(r.indexOf('\r\n\r\n') + 4));
}

function responseCount(raw: string): number {
  return raw.split('HTTP/1.1 ').length - 1;
}

describe('shared read buffer (issue #11)', () => {
  const echo = async (req: {
    method: string;
    path: string;
    headers: Headers;
    body: { text(): Promise<string> };
  }) => {
    if (req.path === '/slow') await pause(30);
    const body = req.method === 'POST' ? await req.body.text() : '';
    return text(`${req.path}|${req.headers.get('x-fill') ?? ''}|${body}!`);
  };

  it('keeps a partial head intact while other connections read', async () => {
    const { port } = await start(echo);
    const socket: Socket = await rawSocket(port);
    socket.write('GET /first HTTP/1.1\r\nHost: a\r\nX-Fill: ');
    await pause(20);
    await overwrite(port);
    socket.write('aaaa\r\n\r\n');
    const raw = await readUntil(socket, (r) => r.endsWith('!'));
    expect(bodies(raw)).toEqual(['/first|aaaa|!']);
  });

  it('keeps body bytes that arrived with the head while other connections read', async () => {
    const { port } = await start(echo);
    const socket = await rawSocket(port);
    socket.write('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello ');
    await pause(20);
    await overwrite(port);
    await overwrite(port);
    socket.write('world');
    const raw = await readUntil(socket, (r) => r.endsWith('!'));
    expect(bodies(raw)).toEqual(['/upload||hello world!']);
  });

  it('keeps pipelined requests intact while an earlier one is answered late', async () => {
    const { port } = await start(echo);
    const socket = await rawSocket(port);
    socket.write(
      'GET /slow HTTP/1.1\r\nHost: a\r\n\r\n' +
        'GET /second HTTP/1.1\r\nHost: a\r\nX-Fill: 2\r\n\r\n' +
        'POST /third HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc',
    );
    await overwrite(port);
    await overwrite(port);
    const raw = await readUntil(socket, (r) => responseCount(r) === 3 && r.endsWith('!'));
    expect(bodies(raw)).toEqual(['/slow||!', '/second|2|!', '/third||abc!']);
  });
});

describe('repeated text responses (issue #11)', () => {
  const BODY = 'Hello, World!';

  it('writes the same bytes as a fresh response, and notices a change in any part', async () => {
    const { port } = await start((req) => {
      const q = new URLSearchParams(req.target.slice(req.target.indexOf('?') + 1));
      const headers = new Headers({ 'content-type': q.get('type') ?? 'text/plain' });
      if (q.has('close')) headers.set('connection', 'close');
      const body = q.has('other') ? 'Hello, Other!' : BODY;
      return { status: Number(q.get('status') ?? 200), headers, body };
    });
    const socket = await rawSocket(port);
    const ask = async (query: string, version = '1.1'): Promise<string> => {
      socket.write(`GET /?${query} HTTP/${version}\r\nHost: a\r\n\r\n`);
      const raw = await readUntil(socket, (r) => r.includes('\r\n\r\n') && r.endsWith('!'));
      // The date is the only part that may differ between two identical responses.
      return raw.replace(/\r\ndate: [^\r]*/, '\r\ndate: D');
    };
    const plain =
      'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\ndate: D\r\n\r\nHello, World!';
    expect(await ask('a')).toBe(plain);
    expect(await ask('a')).toBe(plain);
    expect(await ask('a')).toBe(plain);
    expect(await ask('type=text/html')).toBe(plain.replace('text/plain', 'text/html'));
    expect(await ask('type=text/html')).toBe(plain.replace('text/plain', 'text/html'));
    expect(await ask('status=201')).toBe(plain.replace('200 OK', '201 Created'));
    expect(await ask('other')).toBe(plain.replace('World', 'Other'));
    expect(await ask('a')).toBe(plain);
    // HTTP/1.0 keep-alive: the transport's Connection field differs from the 1.1 response.
    socket.write('GET /?a HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n');
    const ten = await readUntil(socket, (r) => r.endsWith('!'));
    expect(ten.replace(/\r\ndate: [^\r]*/, '\r\ndate: D')).toBe(
      plain.replace('date: D', 'connection: keep-alive\r\ndate: D'),
    );
    expect(await ask('a')).toBe(plain);
    // The handler's `connection: close` closes after this response.
    expect(await ask('close')).toBe(plain.replace('date: D', 'connection: close\r\ndate: D'));
    await new Promise((resolve) => socket.once('close', resolve));
  });
});
