import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, file, Headers } from '@rws/core';
import { accessLog } from '@rws/middleware/access-log';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { serveHandler } from './serve-helpers.js';

// Issue #11: over HTTP/1.1 the line is written when the response's last byte has been handed
// to the kernel (nginx's $request_time), with the body bytes actually written, whatever the
// body kind; a client that goes away logs what it got.

const BIG = 48 * 1024 * 1024;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rws-log-sent-'));
  // Sparse: 48 MiB of zeros without writing them. More than loopback socket buffers hold, so
  // the server cannot finish while the client does not read.
  writeFileSync(join(dir, 'big.bin'), '');
  truncateSync(join(dir, 'big.bin'), BIG);
  writeFileSync(join(dir, 'small.txt'), 'hello');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function setup(): Promise<{ port: number; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const log = accessLog({ write: (l) => lines.push(JSON.parse(l)) });
  const port = await serveHandler(
    compose([log], (req) => {
      if (req.path === '/big') return file(join(dir, 'big.bin'));
      if (req.path === '/bytes') {
        return { status: 200, headers: new Headers(), body: Buffer.alloc(BIG, 1) };
      }
      if (req.path === '/fail') throw new Error('boom');
      return file(join(dir, 'small.txt'));
    }),
  );
  return { port, lines };
}

/** Sends `GET path`, waits `pauseMs` before reading, then reads `limit` bytes (or all). */
function slowGet(
  port: number,
  path: string,
  pauseMs: number,
  limit = Number.POSITIVE_INFINITY,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = 0;
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
    socket.pause();
    setTimeout(() => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= limit) {
          socket.destroy();
          resolve(received);
        }
      });
      socket.on('end', () => resolve(received));
      socket.resume();
    }, pauseMs);
  });
}

describe('accessLog over HTTP/1.1: logged when the last byte is sent (issue #11)', () => {
  it('a file body: duration covers the transfer, bytes are the file size', async () => {
    const { port, lines } = await setup();
    const received = await slowGet(port, '/big', 400);
    expect(received).toBeGreaterThan(BIG);
    await vi.waitFor(() => expect(lines).toHaveLength(1), { timeout: 10_000 });
    expect(lines[0]).toMatchObject({ path: '/big', status: 200, bytes: BIG });
    // The client read nothing for 400 ms and the server had more than fits in the buffers.
    expect(lines[0]!['duration_ms']).toBeGreaterThanOrEqual(300);
  });

  it('an in-memory body larger than the socket buffers: same', async () => {
    const { port, lines } = await setup();
    await slowGet(port, '/bytes', 400);
    await vi.waitFor(() => expect(lines).toHaveLength(1), { timeout: 10_000 });
    expect(lines[0]).toMatchObject({ path: '/bytes', status: 200, bytes: BIG });
    expect(lines[0]!['duration_ms']).toBeGreaterThanOrEqual(300);
  });

  it('a client that goes away mid-download: the line has the bytes written so far', async () => {
    const { port, lines } = await setup();
    await slowGet(port, '/big', 0, 1024 * 1024);
    await vi.waitFor(() => expect(lines).toHaveLength(1), { timeout: 10_000 });
    expect(lines[0]).toMatchObject({ path: '/big', status: 200 });
    const bytes = lines[0]!['bytes'] as number;
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(BIG);
  });

  it('a small body and a handler error: one line each, with their bytes', async () => {
    const { port, lines } = await setup();
    expect(await slowGet(port, '/small', 0)).toBeGreaterThan(5);
    await slowGet(port, '/fail', 0);
    await vi.waitFor(() => expect(lines).toHaveLength(2), { timeout: 10_000 });
    expect(lines[0]).toMatchObject({ path: '/small', status: 200, bytes: 5 });
    expect(lines[1]).toMatchObject({ path: '/fail', status: 500 });
  });
});
