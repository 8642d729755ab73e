/**
 * Header names and values are byte strings, one char per octet (RFC 9110 §5.5 obs-text,
 * WHATWG ByteString, node:http): every head writer sends a char 0x80–0xFF as that one octet,
 * not as its UTF-8 pair, so a value the parser read (Latin-1) goes out as the bytes it came
 * in as. Bodies given as strings stay UTF-8.
 */
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { Headers, HttpError, isRwsError, type Response } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createPool } from '../src/index.js';
import { exchange, start } from './helpers.js';

/** Every char 0x80–0xFF between two ASCII letters: as a Latin-1 string, each char its octet. */
const OBS = `a${Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('')}z`;
const OBS_BYTES = Buffer.from(OBS, 'latin1');
const get = (path: string, method = 'GET'): string =>
  `${method} ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;

async function* chunks(): AsyncGenerator<Uint8Array> {
  yield Buffer.from('stream');
}

describe('obs-text bytes in response heads (byte-string rule)', () => {
  it('every response writer sends 0x80–0xFF as single octets; string bodies stay UTF-8', async () => {
    const body = 'h\u00e9llo \u20ac';
    const { port } = await start((req): Response => {
      const headers = new Headers({ 'x-obs': OBS });
      switch (req.path) {
        case '/text':
          return { status: 200, headers, body: 'hello' };
        case '/utf8':
          return { status: 200, headers, body };
        case '/bytes':
          return { status: 200, headers, body: Buffer.from('bytes') };
        case '/big':
          return { status: 200, headers, body: Buffer.alloc(20_000, 0x61) };
        case '/stream':
          return { status: 200, headers, body: chunks(), trailers: new Headers({ 'x-t': OBS }) };
        case '/early':
          req.sendInformational?.(103, { 'x-obs': OBS });
          return { status: 204, headers, body: null };
        default:
          throw new HttpError(418, 'teapot', { headers: { 'x-obs': OBS } });
      }
    });
    // Twice each where the writer remembers the last response (ResponseMemo, FieldBlocks).
    const paths = ['/text', '/text', '/utf8', '/utf8', '/bytes', '/bytes', '/big', '/stream'];
    paths.push('/early', '/error');
    const result = await exchange(port, paths.map((p) => get(p)).join(''), {
      responses: paths.length,
    });
    const finals = result.responses.filter((r) => r.status >= 200);
    expect(finals.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 204, 418]);
    for (const r of result.responses) expect(r.headers['x-obs'], r.head).toBe(OBS);
    expect(result.responses.filter((r) => r.status === 103)).toHaveLength(1);
    // The raw bytes carry each value once per response as the exact octets, never C3/C2 pairs.
    const raw = Buffer.from(result.raw, 'latin1');
    let count = 0;
    for (let at = raw.indexOf(OBS_BYTES); at !== -1; at = raw.indexOf(OBS_BYTES, at + 1)) count++;
    expect(count).toBe(result.responses.length + 1); // + the trailer x-t
    const utf8 = Buffer.from(body, 'utf8').toString('latin1');
    expect(finals[2]!.body).toBe(utf8);
    expect(finals[3]!.body).toBe(utf8);
    expect(finals[2]!.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(finals[7]!.body).toBe('stream');
    expect(result.raw).toContain(`\r\nx-t: ${OBS}\r\n`);
  });

  it('HEAD gets the same head bytes', async () => {
    const { port } = await start(
      (): Response => ({ status: 200, headers: new Headers({ 'x-obs': OBS }), body: 'x' }),
    );
    const result = await exchange(port, get('/', 'HEAD'), { responses: 1, headRequests: [true] });
    expect(result.responses[0]!.headers['x-obs']).toBe(OBS);
  });
});

describe('obs-text bytes in client request heads', () => {
  it('the client sends a value as its octets and reads a response value back as them', async () => {
    const heads: Buffer[] = [];
    const server = createNetServer((socket) => {
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        heads.push(buf.subarray(0, end));
        socket.end(
          Buffer.concat([
            Buffer.from('HTTP/1.1 200 OK\r\nx-back: '),
            OBS_BYTES,
            Buffer.from('\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'),
          ]),
        );
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const client = createPool(`http://127.0.0.1:${port}`);
    onTestFinished(() => client.close());
    const res = await client.request({ path: '/', headers: { 'x-obs': OBS } });
    await res.body.bytes();
    expect(res.headers.get('x-back')).toBe(OBS);
    expect(heads).toHaveLength(1);
    expect(heads[0]!.includes(Buffer.concat([Buffer.from('\r\nx-obs: '), OBS_BYTES]))).toBe(true);
  });

  it('a value with a char above 0xFF is refused before anything is sent', async () => {
    let connections = 0;
    const server = createNetServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const client = createPool(`http://127.0.0.1:${port}`);
    onTestFinished(() => client.close());
    const err = await client.request({ path: '/', headers: { 'x-price': '5 \u20ac' } }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isRwsError(err, 'RWS_CORE_INVALID_HEADER')).toBe(true);
    expect((err as Error).message).toContain('x-price');
    expect(connections).toBe(0);
  });
});
