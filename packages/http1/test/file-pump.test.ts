/**
 * File bodies larger than one read (issue #11, large files): double-buffered reads into
 * reused 1 MiB buffers. Real files, real sockets; byte-exact content over chunk boundaries.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, truncateSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { Headers } from '@rws/core';
import { createTestCertificates } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FILE_CHUNK_BYTES, idleFileBuffers } from '../src/internal/file-pump.js';
import { pause, rawSocket, start } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rws-http1-file-pump-'));
// Not a multiple of the chunk size, so the last read is short.
const SIZE = 5 * FILE_CHUNK_BYTES + 12_345;
const content = randomBytes(SIZE);
const path = join(dir, 'big.bin');
writeFileSync(path, content);

/** Reads one response off `socket`: status line, head and `length` body bytes. */
function readResponse(socket: Socket): Promise<{ head: string; body: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let headEnd = -1;
    let length = -1;
    const finish = (closed: boolean): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
      const all = Buffer.concat(chunks);
      resolve({
        head: headEnd === -1 ? all.toString('latin1') : all.toString('latin1', 0, headEnd),
        body: headEnd === -1 ? Buffer.alloc(0) : all.subarray(headEnd + 4),
        closed,
      });
    };
    const onData = (d: Buffer): void => {
      chunks.push(d);
      total += d.length;
      if (headEnd === -1) {
        const all = Buffer.concat(chunks);
        headEnd = all.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const m = /content-length: (\d+)/.exec(all.toString('latin1', 0, headEnd));
        length = m === null ? 0 : Number(m[1]);
      }
      if (total >= headEnd + 4 + length) finish(false);
    };
    const onClose = (): void => finish(true);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** Open descriptors of this process that point at `file`. */
function openDescriptors(file: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === file) n++;
    } catch {
      // Closed between the listing and the readlink.
    }
  }
  return n;
}

describe('file bodies larger than one read', () => {
  it('sends the file and byte ranges across chunk boundaries byte for byte, keep-alive after each', async () => {
    const ranges: [number, number][] = [
      [0, SIZE - 1],
      [FILE_CHUNK_BYTES - 3, 3 * FILE_CHUNK_BYTES + 2],
      [SIZE - 10, SIZE - 1],
    ];
    const { port } = await start((req) => {
      const i = Number(req.path.slice(1));
      const [s, e] = ranges[i]!;
      return {
        status: i === 0 ? 200 : 206,
        headers: new Headers(),
        body: { kind: 'file', path, start: s, end: e },
      };
    });
    const socket = await rawSocket(port);
    for (let i = 0; i < ranges.length; i++) {
      const [s, e] = ranges[i]!;
      const response = readResponse(socket);
      socket.write(`GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      const { head, body, closed } = await response;
      expect(closed).toBe(false);
      expect(head).toContain(`content-length: ${e - s + 1}`);
      expect(body.length).toBe(e - s + 1);
      expect(body.equals(content.subarray(s, e + 1))).toBe(true);
    }
  });

  it('sends the same bytes over TLS, where a reused buffer is encrypted from before its next read', async () => {
    const certs = createTestCertificates({ selfSigned: true, prefix: 'rws-http1-file-pump-' });
    onTestFinished(() => certs.cleanup());
    const { port } = await start(
      () => ({ status: 200, headers: new Headers(), body: { kind: 'file', path } }),
      { tls: { key: certs.server.key, cert: certs.server.cert } },
    );
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = tlsConnect(
        { port, host: '127.0.0.1', servername: 'localhost', ca: certs.server.cert },
        () => resolve(s),
      );
      s.once('error', reject);
      onTestFinished(() => {
        s.destroy();
      });
    });
    // Twice on one connection: the second download reads into buffers the first one used.
    for (let i = 0; i < 2; i++) {
      const response = readResponse(socket);
      socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      const { body, closed } = await response;
      expect(closed).toBe(false);
      expect(body.equals(content)).toBe(true);
    }
  });

  it('reuses its read buffers: later downloads allocate none, the pool stays bounded', async () => {
    const { port } = await start(() => ({
      status: 200,
      headers: new Headers(),
      body: { kind: 'file', path },
    }));
    const socket = await rawSocket(port);
    const get = async (): Promise<void> => {
      const response = readResponse(socket);
      socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      const { body } = await response;
      expect(body.equals(content)).toBe(true);
    };
    await get();
    // The first download left its two chunk buffers in the pool.
    expect(idleFileBuffers()).toBeGreaterThanOrEqual(2);
    const real = Buffer.allocUnsafeSlow;
    let allocated = 0;
    Buffer.allocUnsafeSlow = (size: number) => {
      if (size >= FILE_CHUNK_BYTES) allocated++;
      return real(size);
    };
    onTestFinished(() => {
      Buffer.allocUnsafeSlow = real;
    });
    await get();
    await get();
    // Six reads of 1 MiB per download; before the pool each one was a new buffer.
    expect(allocated).toBe(0);
    expect(idleFileBuffers()).toBeLessThanOrEqual(8);
  });

  it('closes the connection and reports when the file shrinks while it is sent', async () => {
    const shrinking = join(dir, 'shrinking.bin');
    const size = 32 * FILE_CHUNK_BYTES;
    writeFileSync(shrinking, Buffer.alloc(size, 1));
    const errors: unknown[] = [];
    const { port } = await start(
      () => ({ status: 200, headers: new Headers(), body: { kind: 'file', path: shrinking } }),
      { onError: (err) => errors.push(err) },
    );
    const socket = await rawSocket(port);
    socket.pause();
    const response = readResponse(socket);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    // The client does not read yet: the server is at most a few chunks in when the file
    // loses its tail.
    await pause(200);
    truncateSync(shrinking, 0);
    socket.resume();
    const { head, body, closed } = await response;
    expect(head).toContain(`content-length: ${size}`);
    expect(closed).toBe(true);
    expect(body.length).toBeLessThan(size);
    for (let i = 0; i < 200 && errors.length === 0; i++) await pause(10);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'RWS_HTTP1_INVALID_RESPONSE' });
    expect(String((errors[0] as Error).message)).toContain('file ended');
  });

  it('closes the file when the client goes away in the middle of the body', async () => {
    const file = join(dir, 'abandoned.bin');
    writeFileSync(file, Buffer.alloc(32 * FILE_CHUNK_BYTES, 2));
    const { port } = await start(() => ({
      status: 200,
      headers: new Headers(),
      body: { kind: 'file', path: file },
    }));
    const socket = await rawSocket(port);
    let received = 0;
    socket.on('data', (d: Buffer) => {
      received += d.length;
    });
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    for (let i = 0; i < 500 && received < 2 * FILE_CHUNK_BYTES; i++) await pause(10);
    expect(received).toBeGreaterThanOrEqual(2 * FILE_CHUNK_BYTES);
    expect(openDescriptors(file)).toBe(1);
    socket.destroy();
    for (let i = 0; i < 500 && openDescriptors(file) > 0; i++) await pause(10);
    expect(openDescriptors(file)).toBe(0);
  });
});
