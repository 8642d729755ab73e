/**
 * Issue #9: a core `Body` returned as a response body and never sent (HEAD, a null-body status)
 * is released by the transport; releasing it must cancel it, so a proxied upstream exchange is
 * closed at once instead of staying open until its body timeout.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Headers } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createAgent } from '../src/index.js';
import { httpServer } from './client-helpers.js';
import { exchange, pause, rawSocket, readUntil, start } from './helpers.js';

describe('releasing a proxied response body (issue #9)', () => {
  for (const [name, method, status] of [
    ['HEAD', 'HEAD', 200],
    ['204', 'GET', 204],
  ] as const) {
    it(`closes the upstream exchange at once when the body is not sent (${name})`, async () => {
      let upstreamClosedAt = 0;
      const upstream = await httpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => res.write('tick\n'), 10);
        res.on('close', () => {
          clearInterval(timer);
          upstreamClosedAt = Date.now();
        });
      });
      const agent = createAgent({ bodyTimeoutMs: 30_000 });
      onTestFinished(() => agent.destroy());
      const { port } = await start(async () => {
        const up = await agent.request({ url: `${upstream.origin}/stream` });
        return { status, headers: new Headers(), body: up.body };
      });
      const sentAt = Date.now();
      const r = await exchange(port, `${method} / HTTP/1.1\r\nHost: a\r\n\r\n`, {
        responses: 1,
        headRequests: [method === 'HEAD'],
      });
      expect(r.responses[0]!.status).toBe(status);
      for (let i = 0; i < 100 && upstreamClosedAt === 0; i++) await pause(10);
      expect(upstreamClosedAt).toBeGreaterThan(0);
      expect(upstreamClosedAt - sentAt).toBeLessThan(1000);
      expect(upstream.sockets.size).toBe(0);
    });
  }
});

describe('file body errors raise no unhandled rejection (issue #9)', () => {
  it('a missing file and a directory settle quietly', async () => {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => {
      process.off('unhandledRejection', onUnhandled);
    });
    const dir = mkdtempSync(join(tmpdir(), 'rws-http1-release-'));
    const { port } = await start((req) => ({
      status: 200,
      headers: new Headers(),
      body: { kind: 'file', path: req.path === '/dir' ? dir : join(dir, 'missing') },
    }));
    const missing = await exchange(port, 'GET /missing HTTP/1.1\r\nHost: a\r\n\r\n', {
      responses: 1,
    });
    expect(missing.responses[0]!.status).toBe(404);
    // A directory opens on Linux but fails on the first read: the response is cut off.
    const directory = await exchange(port, 'GET /dir HTTP/1.1\r\nHost: a\r\n\r\n', {});
    expect(directory.closed).toBe(true);
    await pause(50);
    expect(seen).toEqual([]);
  });

  it('a close that fails for a file that arrives after the response is caught', async () => {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    onTestFinished(() => {
      process.off('unhandledRejection', onUnhandled);
    });
    const dir = mkdtempSync(join(tmpdir(), 'rws-http1-release-'));
    // A FIFO holds the server's open() until a writer appears, so the request can time out first.
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    // node:fs (not our code) made to fail the close of the FIFO's handle once the descriptor
    // is really closed, as an EIO on close would. The server imports `open` from
    // node:fs/promises; syncBuiltinESMExports carries the patch to that binding.
    const fsPromises = createRequire(import.meta.url)('node:fs/promises') as {
      open: (...args: unknown[]) => Promise<FileHandle>;
    };
    const realOpen = fsPromises.open;
    let failedCloses = 0;
    fsPromises.open = async (...args: unknown[]) => {
      const handle = await realOpen(...args);
      if (args[0] === fifo) {
        const realClose = handle.close.bind(handle);
        Object.defineProperty(handle, 'close', {
          value: async () => {
            await realClose();
            failedCloses++;
            throw Object.assign(new Error('EIO: i/o error, close'), { code: 'EIO' });
          },
        });
      }
      return handle;
    };
    syncBuiltinESMExports();
    onTestFinished(() => {
      fsPromises.open = realOpen;
      syncBuiltinESMExports();
    });
    // requestTimeoutMs answers 503 while the open is still held: the file then arrives late.
    const { port } = await start(
      () => ({ status: 200, headers: new Headers(), body: { kind: 'file', path: fifo } }),
      { requestTimeoutMs: 100 },
    );
    const socket = await rawSocket(port);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    expect(await readUntil(socket, (raw) => raw.includes('\r\n\r\n'))).toMatch(/^HTTP\/1\.1 503 /);
    // Unblock the server's open(): it finds the response already sent and closes the file.
    let writer = -1;
    for (let i = 0; i < 100 && writer === -1; i++) {
      try {
        writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        await pause(10);
      }
    }
    expect(writer).not.toBe(-1);
    closeSync(writer);
    for (let i = 0; i < 100 && failedCloses === 0; i++) await pause(10);
    expect(failedCloses).toBe(1);
    await pause(50);
    expect(seen).toEqual([]);
  });
});
