/**
 * Our HTTP/3 client against our HTTP/3 server over UDP loopback: what happens around a request
 * rather than inside it. Cancellation both ways (RESET_STREAM / STOP_SENDING, RFC 9114
 * §4.1.1), graceful shutdown with GOAWAY (§5.2), 1xx responses (§4.1), and the QPACK dynamic
 * table in use on a real connection (RFC 9204).
 */
import { Headers, isRwsError, type Request, type Response, text } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { HTTP3_ERROR } from '../src/errors.js';
import { Http3Client } from '../src/http3/h3-client.js';
import { Http3Server } from '../src/http3/h3-server.js';
import { makeCredentials, type ServerCredentials } from './certs.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

async function setup(handler: (req: Request) => Response | Promise<Response>) {
  const errors: unknown[] = [];
  const server = await Http3Server.listen({
    tls: { cert: creds.cert, key: creds.key },
    handler,
    onError: (error) => errors.push(error),
  });
  onTestFinished(() => server.close({ graceMs: 0 }));
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port: server.address().port,
    serverName: 'localhost',
    ca: [creds.cert],
  });
  onTestFinished(() => client.close());
  return { server, client, errors };
}

/** A promise with its resolver, for handlers that wait on the test. */
function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe('request cancellation', { timeout: 60_000 }, () => {
  it('a client abort mid-response aborts req.signal and stops the body; the connection lives on', async () => {
    const started = gate<Request>();
    const stopped = gate<unknown>();
    const { client } = await setup((req) => {
      if (req.path === '/ok') return text('still here');
      started.open(req);
      async function* endless() {
        try {
          for (;;) {
            yield Buffer.alloc(16 * 1024, 0x61);
            await new Promise((r) => setTimeout(r, 5));
          }
        } finally {
          stopped.open(req.signal.reason);
        }
      }
      return { status: 200, headers: new Headers(), body: endless() };
    });
    const controller = new AbortController();
    const pending = client.request({ path: '/stream', signal: controller.signal });
    const req = await started.promise;
    expect(req.signal.aborted).toBe(false);
    controller.abort(new Error('user went away'));
    await expect(pending).rejects.toThrow('user went away');
    // RESET_STREAM with H3_REQUEST_CANCELLED reached the server: the signal and the producer.
    await until(() => req.signal.aborted);
    expect(String(req.signal.reason)).toContain(`code ${HTTP3_ERROR.H3_REQUEST_CANCELLED}`);
    await stopped.promise;
    const res = await client.request({ path: '/ok' });
    expect(Buffer.from(res.body).toString()).toBe('still here');
  });

  it('a client abort before any response aborts the handler waiting on req.signal', async () => {
    const aborted = gate<unknown>();
    const { client } = await setup(
      (req) =>
        new Promise<Response>((resolve) => {
          req.signal.addEventListener('abort', () => {
            aborted.open(req.signal.reason);
            resolve(text('too late'));
          });
        }),
    );
    const controller = new AbortController();
    const pending = client.request({ path: '/wait', signal: controller.signal });
    // Give the request time to reach the handler, then cancel.
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await expect(pending).rejects.toHaveProperty('name', 'AbortError');
    expect(isRwsError(await aborted.promise, 'RWS_H3_STREAM_RESET')).toBe(true);
  });

  it('a response sent before the upload was read stops the upload (H3_NO_ERROR) without failing it', async () => {
    const { client } = await setup((req) =>
      req.path === '/early' ? text('no thanks', { status: 403 }) : text('next'),
    );
    const upload = Buffer.alloc(2 * 1024 * 1024, 0x62);
    const res = await client.request({ method: 'POST', path: '/early', body: upload });
    expect(res.status).toBe(403);
    expect(Buffer.from(res.body).toString()).toBe('no thanks');
    // Each abandoned upload's bytes are credited back to the 4 MiB connection window: six
    // more 2 MiB uploads (three windows' worth) still go through.
    for (let i = 0; i < 6; i++) {
      const next = await client.request({ method: 'POST', path: '/next', body: upload });
      expect(Buffer.from(next.body).toString()).toBe('next');
    }
  });

  it('a body that fails after HEADERS resets the stream with H3_INTERNAL_ERROR', async () => {
    const { client, errors } = await setup(() => {
      async function* broken() {
        yield Buffer.from('partial');
        throw new Error('disk on fire');
      }
      return { status: 200, headers: new Headers(), body: broken() };
    });
    const error = await client.request({ path: '/broken' }).catch((e: unknown) => e);
    expect(isRwsError(error, 'RWS_H3_STREAM_RESET')).toBe(true);
    expect(String(error)).toContain(`code ${HTTP3_ERROR.H3_INTERNAL_ERROR}`);
    expect(errors.map(String)).toEqual(['Error: disk on fire']);
  });
});

describe('graceful shutdown with GOAWAY', { timeout: 60_000 }, () => {
  it('finishes requests in flight, refuses later ones with H3_REQUEST_REJECTED, then closes', async () => {
    const release = gate();
    const started = gate<Request>();
    let calls = 0;
    const { client, server } = await setup(async (req) => {
      calls++;
      started.open(req);
      await release.promise;
      return text(`finished, drain=${req.drain.aborted}`);
    });
    const inFlight = client.request({ path: '/slow' });
    const req = await started.promise;
    let isClosed = false;
    const closing = server.close({ graceMs: 60_000 }).then(() => {
      isClosed = true;
    });
    // Sent before the client could see the GOAWAY: the server refuses it unprocessed.
    const refused = await client.request({ path: '/late' }).catch((e: unknown) => e);
    expect(isRwsError(refused, 'RWS_H3_REQUEST_REJECTED')).toBe(true);
    // Once the GOAWAY arrived the client refuses new requests itself.
    await until(() => client.goawayId !== undefined);
    const local = await client.request({ path: '/later' }).catch((e: unknown) => e);
    expect(isRwsError(local, 'RWS_H3_REQUEST_REJECTED')).toBe(true);
    expect(req.drain.aborted).toBe(true);
    expect(server.activeRequests).toBe(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(isClosed).toBe(false);
    release.open();
    const res = await inFlight;
    expect(Buffer.from(res.body).toString()).toBe('finished, drain=true');
    await closing;
    expect(calls).toBe(1);
  });
});

describe('interim responses', { timeout: 60_000 }, () => {
  it('sends 103 Early Hints before the final response, and refuses 1xx once it started', async () => {
    let seen: Request | undefined;
    const { client } = await setup((req) => {
      seen = req;
      expect(req.sendInformational?.(103, { link: '</style.css>; rel=preload' })).toBe(true);
      expect(() => req.sendInformational?.(101)).toThrow(/other than 101/);
      return text('page');
    });
    const interim: [number, string | null][] = [];
    const res = await client.request({
      path: '/',
      onInformational: (status, headers) => interim.push([status, headers.get('link')]),
    });
    expect(interim).toEqual([[103, '</style.css>; rel=preload']]);
    expect(res.status).toBe(200);
    expect(Buffer.from(res.body).toString()).toBe('page');
    expect(seen?.sendInformational?.(103, { link: '</late.css>' })).toBe(false);
  });
});

describe('QPACK dynamic table on a connection', { timeout: 60_000 }, () => {
  it('both encoders insert repeated fields and both decoders read them back', async () => {
    const { client } = await setup((req) =>
      text(`token ${req.headers.get('x-token')}`, {
        headers: { 'x-served-by': 'rws-h3-test', 'cache-control': 'private, max-age=5' },
      }),
    );
    for (let i = 0; i < 5; i++) {
      const res = await client.request({
        path: `/item/${i}`,
        headers: [
          ['x-token', 'abcdef0123456789'],
          ['user-agent', 'rws-test/1.0'],
        ],
      });
      expect(Buffer.from(res.body).toString()).toBe('token abcdef0123456789');
      expect(res.headers.get('x-served-by')).toBe('rws-h3-test');
      expect(res.headers.get('cache-control')).toBe('private, max-age=5');
    }
    const stats = client.qpackStats;
    expect(stats.inserted).toBeGreaterThanOrEqual(3);
    expect(stats.received).toBeGreaterThanOrEqual(2);
  });
});
