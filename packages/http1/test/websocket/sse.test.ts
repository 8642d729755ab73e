/**
 * SSE end to end over real @rws/http1 sockets (issue #14): core's `sse()` puts each event on
 * the wire the moment it is produced, the handler sees `Last-Event-ID`, and the stream's
 * source is stopped when the client goes away (`req.signal`). Peer: node:http.
 */
import { get, type IncomingMessage } from 'node:http';
import { type Request, sse } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { startHandler } from './ws-helpers.js';

function open(port: number, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/events', headers }, resolve);
    req.on('error', reject);
    onTestFinished(() => {
      req.destroy();
    });
  });
}

function readUntil(res: IncomingMessage, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let all = '';
    const onData = (d: Buffer): void => {
      all += d.toString();
      if (all.includes(text)) {
        res.removeListener('data', onData);
        resolve(all);
      }
    };
    res.on('data', onData);
    res.on('error', reject);
    setTimeout(() => reject(new Error(`timed out waiting for ${text}; got ${all}`)), 3000).unref();
  });
}

describe('SSE over HTTP/1.1 (issue #14)', () => {
  it('the first event reaches the client before the handler has produced the second', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let isFinished = false;
    const { port } = await startHandler(() =>
      sse(
        (async function* () {
          yield { event: 'first', data: 'now' };
          await gate; // held open until the client has seen the first event
          yield { event: 'second', data: 'later' };
          isFinished = true;
        })(),
        { keepAliveMs: 0 },
      ),
    );
    const res = await open(port);
    const ended = new Promise((resolve) => res.on('end', resolve));
    expect(res.headers['content-type']).toBe('text/event-stream');
    const first = await readUntil(res, 'data: now\n\n');
    expect(first).toContain('event: first\ndata: now\n\n');
    expect(isFinished).toBe(false);
    release();
    expect(await readUntil(res, 'data: later\n\n')).toContain('event: second');
    await ended;
    expect(isFinished).toBe(true);
  });

  it('the handler sees Last-Event-ID and resumes after it', async () => {
    const { port } = await startHandler((req: Request) => {
      const last = Number(req.headers.get('last-event-id') ?? '0');
      return sse(
        (async function* () {
          for (let id = last + 1; id <= last + 2; id++)
            yield { id: String(id), data: `event ${id}` };
        })(),
        { keepAliveMs: 0 },
      );
    });
    const res = await open(port, { 'last-event-id': '41' });
    const body = await readUntil(res, 'data: event 43\n\n');
    expect(body).toBe('id: 42\ndata: event 42\n\nid: 43\ndata: event 43\n\n');
  });

  // A client that resets the connection is gone at once. One that closes politely (FIN) is
  // indistinguishable from a half-close (RFC 9112 §9.6) until the next write fails, which the
  // keep-alive comment provides.
  for (const how of ['reset', 'fin'] as const) {
    it(`stops the source when the client goes away (req.signal, ${how})`, async () => {
      let isCleanedUp = false;
      let isSignalAborted = false;
      const { port } = await startHandler((req: Request) =>
        sse(
          (async function* () {
            try {
              yield { data: 'hello' };
              await new Promise((resolve) =>
                req.signal.addEventListener('abort', resolve, { once: true }),
              );
              isSignalAborted = req.signal.aborted;
              yield { data: 'never delivered' };
            } finally {
              isCleanedUp = true;
            }
          })(),
          { keepAliveMs: 100 },
        ),
      );
      const res = await open(port);
      await readUntil(res, 'data: hello\n\n');
      expect(isCleanedUp).toBe(false);
      if (how === 'reset') res.socket.resetAndDestroy();
      else res.destroy();
      await expect.poll(() => isSignalAborted, { timeout: 10_000 }).toBe(true);
      await expect.poll(() => isCleanedUp, { timeout: 10_000 }).toBe(true);
    });
  }
});
