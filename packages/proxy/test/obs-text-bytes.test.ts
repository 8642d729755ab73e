/**
 * Header values are byte strings (RFC 9110 §5.5 obs-text, WHATWG ByteString): a value with
 * octets 0x80–0xFF crosses `reverseProxy()` unchanged in both directions. Before, the parser
 * read E9 as 'é' (Latin-1) and the writers sent it as UTF-8, C3 A9.
 */
import * as net from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { reverseProxy } from '../src/index.js';
import { serveProxy } from './helpers.js';

/** Every octet from 0x80 to 0xFF, between two ASCII letters. */
const OBS = Buffer.concat([
  Buffer.from('a'),
  Buffer.from(Array.from({ length: 128 }, (_, i) => 0x80 + i)),
  Buffer.from('z'),
]);

/** A raw backend: records the bytes of the first request head, answers with `x-obs: OBS`. */
async function rawBackend(): Promise<{ origin: string; heads: Buffer[] }> {
  const heads: Buffer[] = [];
  const server = net.createServer((socket) => {
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      heads.push(buf.subarray(0, end + 4));
      buf = buf.subarray(end + 4);
      socket.write(
        Buffer.concat([
          Buffer.from('HTTP/1.1 200 OK\r\nx-obs: '),
          OBS,
          Buffer.from('\r\ncontent-length: 2\r\n\r\nok'),
        ]),
      );
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as net.AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, heads };
}

/** Sends `request` on a raw socket and resolves with every byte until the body `ok`. */
function rawExchange(origin: string, request: Buffer): Promise<Buffer> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(request));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end !== -1 && buf.length >= end + 4 + 2) {
        socket.destroy();
        resolve(buf);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(buf));
  });
}

/** The raw value bytes of field `name` in a head (the first occurrence), or null. */
function fieldBytes(head: Buffer, name: string): Buffer | null {
  const key = Buffer.from(`\r\n${name}: `, 'latin1');
  const at = head.indexOf(key);
  if (at === -1) return null;
  const start = at + key.length;
  return head.subarray(start, head.indexOf('\r\n', start));
}

describe('obs-text header bytes through reverseProxy() (byte-string rule)', () => {
  it('relays 0x80–0xFF in a request value to the backend and in a response value to the client', async () => {
    const upstream = await rawBackend();
    const proxy = await serveProxy(reverseProxy({ upstream: upstream.origin }));
    const request = Buffer.concat([
      Buffer.from('GET /obs HTTP/1.1\r\nhost: a\r\nx-obs: '),
      OBS,
      Buffer.from('\r\nconnection: close\r\n\r\n'),
    ]);
    const response = await rawExchange(proxy, request);

    expect(upstream.heads).toHaveLength(1);
    expect(fieldBytes(upstream.heads[0]!, 'x-obs')).toEqual(OBS);
    expect(response.subarray(0, 12).toString('latin1')).toBe('HTTP/1.1 200');
    expect(fieldBytes(response, 'x-obs')).toEqual(OBS);
    // The body is untouched, and nothing turned into UTF-8 (C3 xx pairs) on the way.
    expect(response.subarray(-2).toString('latin1')).toBe('ok');
  });
});
