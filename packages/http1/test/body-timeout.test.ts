/**
 * bodyTimeoutMs (issue #8): a request that declares a body and stops sending it must not hold
 * its connection until requestTimeoutMs — neither while the handler reads it nor after the
 * response while the rest is discarded.
 */
import { describe, expect, it } from 'vitest';
import { exchange, pause, rawSocket, readUntil, start, text } from './helpers.js';

// requestTimeoutMs stays long so only the body timeout can end these exchanges in time.
const LIMITS = { bodyTimeoutMs: 150, requestTimeoutMs: 60_000 };

describe('bodyTimeoutMs (issue #8)', () => {
  it('answers 408 and closes when a Content-Length body stalls while the handler reads', async () => {
    let reason: unknown;
    const { port } = await start(async (req) => {
      try {
        await req.body.text();
      } catch (err) {
        reason = err;
      }
      return text('read');
    }, LIMITS);
    const t0 = Date.now();
    const r = await exchange(port, 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc', {
      timeoutMs: 3000,
    });
    expect(r.responses[0]!.status).toBe(408);
    expect(r.closed).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect((reason as { code?: string }).code).toBe('RWS_HTTP1_REQUEST_TIMEOUT');
  });

  it('answers 408 when a chunked body stalls', async () => {
    const { port } = await start(async (req) => text(await req.body.text()), LIMITS);
    const r = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n',
      { timeoutMs: 3000 },
    );
    expect(r.responses[0]!.status).toBe(408);
    expect(r.closed).toBe(true);
  });

  it('closes when the rest of an unread body never comes after the response', async () => {
    const { port } = await start(() => text('early'), LIMITS);
    const r = await exchange(
      port,
      'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\nabc',
      { timeoutMs: 3000 },
    );
    expect(r.responses.map((x) => x.status)).toEqual([200]);
    expect(r.responses[0]!.body).toBe('early');
    expect(r.closed).toBe(true);
  });

  it('is the time between two reads, not for the whole body', async () => {
    const { port } = await start(async (req) => text(await req.body.text()), LIMITS);
    const socket = await rawSocket(port);
    const reply = readUntil(socket, (raw) => raw.endsWith('hello'), 5000);
    socket.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n');
    // Five bytes 80 ms apart: 400 ms in all, each gap under the 150 ms limit.
    for (const c of 'hello') {
      await pause(80);
      socket.write(c);
    }
    const raw = await reply;
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('does not run while the client waits for 100 Continue', async () => {
    const { port } = await start(async (req) => {
      await pause(300);
      return text(await req.body.text());
    }, LIMITS);
    const socket = await rawSocket(port);
    socket.write('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n');
    await readUntil(socket, (raw) => raw.includes('100 Continue'), 3000);
    socket.write('ok');
    const raw = await readUntil(socket, (r) => r.endsWith('\r\n\r\nok'), 3000);
    expect(raw).toContain('HTTP/1.1 200 ');
  });
});
