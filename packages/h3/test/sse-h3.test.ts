/**
 * Server-sent events over HTTP/3 (issue #14): core's `sse()` from a handler served by our
 * HTTP/3 server, read by our HTTP/3 client over UDP loopback. Each event is on the wire the
 * moment it is produced (the first arrives while the handler is still waiting to produce the
 * second), `Last-Event-ID` reaches the handler, and the stream ends (`req.signal` aborts, the
 * event source is closed) when the client goes away.
 */
import { type Request, type Response, sse } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Http3Client } from '../src/http3/h3-client.js';
import { Http3Server } from '../src/http3/h3-server.js';
import { makeCredentials, type ServerCredentials } from './certs.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

async function serve(handler: (req: Request) => Response | Promise<Response>) {
  const server = await Http3Server.listen({
    tls: { cert: creds.cert, key: creds.key },
    handler,
    onError: () => {},
  });
  onTestFinished(() => server.close());
  const client = await Http3Client.connect({
    host: '127.0.0.1',
    port: server.address().port,
    serverName: 'localhost',
    ca: [creds.cert],
  });
  return { server, client };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('SSE over HTTP/3', () => {
  it('delivers the first event before the handler produced the next; Last-Event-ID reaches the handler', async () => {
    const firstArrived = deferred();
    const log: string[] = [];
    const { client } = await serve((req) => {
      log.push(`last-event-id ${req.headers.get('last-event-id')}`);
      return sse(
        (async function* () {
          yield { id: '42', event: 'tick', data: 'first' };
          // The handler cannot go on until the client has the first event: a response that
          // buffered would never get there (the test would time out).
          await firstArrived.promise;
          log.push('handler saw the first event delivered');
          yield { id: '43', event: 'tick', data: 'second' };
          log.push('handler finished');
        })(),
        { keepAliveMs: 0 },
      );
    });
    onTestFinished(() => client.close());
    let received = '';
    const res = await client.request({
      path: '/events',
      headers: [
        ['accept', 'text/event-stream'],
        ['last-event-id', '41'],
      ],
      onData: (chunk) => {
        const hadFirst = received.includes('data: first\n\n');
        received += Buffer.from(chunk).toString();
        if (!hadFirst && received.includes('data: first\n\n')) {
          log.push('client got the first event');
          firstArrived.resolve();
        }
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = Buffer.from(res.body).toString();
    expect(body).toContain('event: tick\nid: 42\ndata: first\n\n');
    expect(body).toContain('event: tick\nid: 43\ndata: second\n\n');
    expect(log).toEqual([
      'last-event-id 41',
      'client got the first event',
      'handler saw the first event delivered',
      'handler finished',
    ]);
  }, 60_000);

  it('ends the stream when the client goes away: req.signal aborts and the source is closed', async () => {
    // The client's CONNECTION_CLOSE tells the server (the 30 s idle timeout would be too late
    // for this test's timeout).
    const gone = deferred();
    const sourceClosed = deferred();
    let reqAborted = false;
    const { client } = await serve((req) => {
      req.signal.addEventListener('abort', () => {
        reqAborted = true;
        gone.resolve();
      });
      return sse(
        (async function* () {
          try {
            for (let i = 0; ; i++) {
              yield { id: String(i), data: `tick ${i}` };
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          } finally {
            sourceClosed.resolve();
          }
        })(),
        { keepAliveMs: 0 },
      );
    });
    const firstEvent = deferred();
    let received = '';
    const pending = client.request({
      path: '/forever',
      onData: (chunk) => {
        received += Buffer.from(chunk).toString();
        if (received.includes('data: tick 0\n\n')) firstEvent.resolve();
      },
    });
    pending.catch(() => {});
    await firstEvent.promise;
    // The client leaves: its connection closes with the stream still open.
    await client.close();
    await gone.promise;
    await sourceClosed.promise;
    expect(reqAborted).toBe(true);
  }, 60_000);
});
