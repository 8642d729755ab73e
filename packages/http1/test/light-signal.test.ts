/**
 * The light signal (issue #10, proxy performance): a listen-only view of `req.signal` without
 * an AbortController per request, internal (`Symbol.for('rws.lightSignal')`, read by the
 * reverse proxy). It must abort exactly when `signal` does.
 */
import type { AbortSignalLike, Request } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { LIGHT_SIGNAL } from '../src/internal/h1-request.js';
import { pause, rawSocket, readUntil, start, text } from './helpers.js';

/** The request's light signal, as the reverse proxy reads it. */
const lightOf = (req: Request): AbortSignalLike | undefined =>
  (req as { [LIGHT_SIGNAL]?: AbortSignalLike })[LIGHT_SIGNAL];

/** A promise and its resolve function. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Sends a request, then resets the connection while it is being handled. */
async function resetAfterRequest(port: number): Promise<void> {
  const socket = await rawSocket(port);
  socket.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  await pause(100);
  socket.resetAndDestroy();
}

describe('the light signal (issue #10)', () => {
  it('is keyed by the registered symbol the reverse proxy reads, off the public type', () => {
    expect(LIGHT_SIGNAL).toBe(Symbol.for('rws.lightSignal'));
  });

  it('aborts with req.signal when the client resets the connection', async () => {
    let seen: Request | null = null;
    const calls: string[] = [];
    const { promise: aborted, resolve: resolveAborted } = deferred();
    const { port } = await start(async (req) => {
      seen = req;
      const light = lightOf(req)!;
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
    await resetAfterRequest(port);
    await aborted;
    const req = seen as unknown as Request;
    expect(calls).toEqual(['light true']);
    expect(lightOf(req)!.aborted).toBe(true);
    expect(lightOf(req)!.reason).toBe(req.signal.reason);
    // A listener added after the abort is not called (as with an AbortSignal).
    lightOf(req)!.addEventListener('abort', () => calls.push('late'));
    await pause(20);
    expect(calls).toEqual(['light true']);
  });

  it('forgets a lone removed listener and calls one added twice once', async () => {
    const calls: string[] = [];
    const { promise: aborted, resolve: resolveAborted } = deferred();
    const { port } = await start(async (req) => {
      const light = lightOf(req)!;
      const first = (): void => {
        calls.push('first');
      };
      const second = (): void => {
        calls.push('second');
        resolveAborted();
      };
      // One listener, removed (the proxy's usual exchange), then another one added twice.
      light.addEventListener('abort', first);
      light.removeEventListener('abort', first);
      light.addEventListener('abort', second);
      light.addEventListener('abort', second);
      // Removing a listener that was never added leaves the registered one in place.
      light.removeEventListener('abort', first);
      await aborted;
      return text('never sent');
    });
    await resetAfterRequest(port);
    await aborted;
    await pause(20);
    expect(calls).toEqual(['second']);
  });

  it('stays quiet for a request that is answered', async () => {
    let isCalled = false;
    let light: AbortSignalLike | undefined;
    const { port } = await start((req) => {
      light = lightOf(req);
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
