import { request as httpRequest } from 'node:http';
import { compose, createRequest, Headers, type Request, text } from '@rws/core';
import { bodyLimit } from '@rws/middleware/body-limit';
import { TimeoutError, timeout } from '@rws/middleware/timeout';
import { describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

describe('timeout', () => {
  it('answers 504 after the deadline and aborts the handler signal', async () => {
    let reason: unknown;
    let isAborted = false;
    const port = await serveHandler(
      compose(
        [timeout({ ms: 100 })],
        (req) =>
          new Promise((resolve) => {
            req.signal.addEventListener('abort', () => {
              isAborted = true;
              reason = req.signal.reason;
            });
            // Far beyond the bound below, so only the 100 ms deadline can pass it under load.
            setTimeout(() => resolve(text('late')), 15_000).unref();
          }),
      ),
    );
    const started = Date.now();
    const res = await httpCall(port, '/slow');
    expect(res.status).toBe(504);
    expect(res.body).toBe('Gateway Timeout\n');
    expect(Date.now() - started).toBeLessThan(7500);
    expect(isAborted).toBe(true);
    expect(reason).toBeInstanceOf(TimeoutError);
  });

  it('releases the body of an answer that came too late', async () => {
    let isReleased = false;
    async function* body() {
      try {
        yield Buffer.from('late');
        await new Promise(() => {});
      } finally {
        isReleased = true;
      }
    }
    const h = compose([timeout({ ms: 20 })], async () => {
      await new Promise((r) => setTimeout(r, 60));
      const gen = body();
      await gen.next(); // started, holding its resource
      return { status: 200, headers: new Headers(), body: gen };
    });
    expect((await h(createRequest({ method: 'GET', target: '/' }))).status).toBe(504);
    await new Promise((r) => setTimeout(r, 100));
    expect(isReleased).toBe(true);
  });

  it('passes a fast answer (and a thrown error) through untouched', async () => {
    const fast = compose([timeout({ ms: 1000 })], () => text('fast'));
    expect((await fast(createRequest({ method: 'GET', target: '/' }))).status).toBe(200);
    const failing = compose([timeout({ ms: 1000 })], () => {
      throw new Error('boom');
    });
    await expect(failing(createRequest({ method: 'GET', target: '/' }))).rejects.toThrow('boom');
  });

  it('keeps the transport capabilities (upgrade, 1xx, authority) on the request it hands on', async () => {
    const upgrade = {
      kind: 'upgrade' as const,
      protocol: 'websocket',
      accept: () => Promise.reject(new Error('x')),
    };
    const sendInformational = () => true;
    const halfClose = new AbortController().signal;
    let seen = null as Request | null;
    const h = compose([timeout({ ms: 1000 })], (req) => {
      seen = req;
      return text('ok');
    });
    await h(
      createRequest({
        method: 'GET',
        target: '/',
        upgrade,
        sendInformational,
        halfClose,
        authority: 'a.example:81',
        scheme: 'https',
      }),
    );
    expect(seen!.upgrade).toBe(upgrade);
    expect(seen!.sendInformational).toBe(sendInformational);
    expect(seen!.halfClose).toBe(halfClose);
    expect(seen!.authority).toBe('a.example:81');
    expect(seen!.scheme).toBe('https');
  });

  it.each([0, -1, 1.5, '100'])('rejects ms = %j', (ms) => {
    expect(() => timeout({ ms } as never)).toThrow(/ms must be a positive integer/);
  });
});

describe('bodyLimit', () => {
  const echoLength = compose([bodyLimit({ maxBytes: 10 })], async (req) =>
    text(String((await req.body.bytes()).byteLength)),
  );

  it('413 before reading when Content-Length is over the limit', async () => {
    let isReached = false;
    const port = await serveHandler(
      compose([bodyLimit({ maxBytes: 10 })], () => {
        isReached = true;
        return text('no');
      }),
    );
    const res = await httpCall(port, '/', { method: 'POST', body: 'x'.repeat(11) });
    expect(res.status).toBe(413);
    expect(res.body).toBe("request body of 11 bytes exceeds this route's 10-byte limit\n");
    expect(isReached).toBe(false);
  });

  it('413 mid-stream for a chunked body past the limit; within the limit passes', async () => {
    const port = await serveHandler(echoLength);
    const ok = await httpCall(port, '/', { method: 'POST', body: 'x'.repeat(10) });
    expect(ok.body).toBe('10');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/',
          agent: false,
          headers: { 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write('x'.repeat(6));
      setTimeout(() => req.end('y'.repeat(6)), 20);
    });
    expect(status).toBe(413);
  });

  it.each([-1, 1.5, 'x'])('rejects maxBytes = %j', (maxBytes) => {
    expect(() => bodyLimit({ maxBytes } as never)).toThrow(/maxBytes/);
  });
});
