/**
 * `req.lightSignal` (issue #10, proxy performance): a listen-only view of `req.signal` without
 * an AbortController per request. It must abort exactly when `signal` does.
 */
import type { Request } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { pause, rawSocket, readUntil, start, text } from './helpers.js';

describe('req.lightSignal (issue #10)', () => {
  it('aborts with req.signal when the client resets the connection', async () => {
    let seen: Request | null = null;
    const calls: string[] = [];
    let resolveAborted!: () => void;
    const aborted = new Promise<void>((r) => {
      resolveAborted = r;
    });
    const { port } = await start(async (req) => {
      seen = req;
      const light = req.lightSignal!;
      expect(light.aborted).toBe(false);
      const removed = (): void => {
        calls.push('removed');
      };
      light.addEventListener('abort', () => {
        calls.push(`light ${req.signal.aborted}`);
        resolveAborted();
      });
      light.addEventListener('abort', removed);
      light.removeEventListener('abort', removed);
      await aborted;
      return text('never sent');
    });
    const socket = await rawSocket(port);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    await pause(100);
    socket.resetAndDestroy();
    await aborted;
    const req = seen as unknown as Request;
    expect(calls).toEqual(['light true']);
    expect(req.lightSignal!.aborted).toBe(true);
    expect(req.lightSignal!.reason).toBe(req.signal.reason);
    // A listener added after the abort is not called (as with an AbortSignal).
    req.lightSignal!.addEventListener('abort', () => calls.push('late'));
    await pause(20);
    expect(calls).toEqual(['light true']);
  });

  it('stays quiet for a request that is answered', async () => {
    let isCalled = false;
    let light: Request['lightSignal'];
    const { port } = await start((req) => {
      light = req.lightSignal;
      light!.addEventListener('abort', () => {
        isCalled = true;
      });
      return text('ok');
    });
    const socket = await rawSocket(port);
    socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const raw = await readUntil(socket, (s) => s.endsWith('ok'), 3000);
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    socket.destroy();
    await pause(50);
    expect(isCalled).toBe(false);
    expect(light!.aborted).toBe(false);
  });
});
