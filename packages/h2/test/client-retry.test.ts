/**
 * Http2Client retries what the server did not process (issue #12, RFC 9113 §8.7): streams
 * above the last-stream-id of a GOAWAY and streams reset with REFUSED_STREAM are sent again,
 * on a new connection when the old one is going away. The server is node:http2 (nghttp2),
 * told to send GOAWAY or REFUSED_STREAM at the right moment.
 */
import { constants, createServer, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { isRwsError } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Http2Client, type Http2ClientOptions } from '../src/index.js';

interface Seen {
  session: number;
  streamId: number;
  path: string;
}

/** A node:http2 h2c server numbering its sessions; `onStream` answers (or not). */
async function nodeServer(
  onStream: (stream: ServerHttp2Stream, seen: Seen, all: Seen[]) => void,
): Promise<{ base: string; seen: Seen[] }> {
  const server = createServer();
  const numbers = new WeakMap<Http2Session, number>();
  const seen: Seen[] = [];
  const sessions = new Set<Http2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    numbers.set(session, sessions.size);
  });
  server.on('stream', (stream, headers) => {
    // Streams this test resets (or nghttp2 refuses after GOAWAY) emit 'error'.
    stream.on('error', () => {});
    const s: Seen = {
      session: numbers.get(stream.session as Http2Session) ?? 0,
      streamId: stream.id ?? 0,
      path: String(headers[':path']),
    };
    seen.push(s);
    onStream(stream, s, seen);
  });
  server.on('sessionError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function client(options?: Http2ClientOptions): Http2Client {
  const c = new Http2Client(options);
  onTestFinished(() => c.close());
  return c;
}

function answer(stream: ServerHttp2Stream, body: string): void {
  stream.respond({ ':status': 200 });
  stream.end(body);
}

/** Session 1 says GOAWAY naming its first stream and answers only that one. */
function goawayAfterFirst(stream: ServerHttp2Stream, seen: Seen): void {
  if (seen.session !== 1) {
    answer(stream, `s${seen.session} ${seen.path}`);
    return;
  }
  if (seen.streamId === 1) {
    stream.session?.goaway(constants.NGHTTP2_NO_ERROR, 1);
    answer(stream, `s1 ${seen.path}`);
  }
  // Later streams of session 1 are above the GOAWAY's last stream id: never answered here.
}

describe('Http2Client retries refused requests (RFC 9113 §8.7)', () => {
  it('sends streams above the last-stream-id of a GOAWAY again on a new connection', async () => {
    const { base } = await nodeServer(goawayAfterFirst);
    const c = client();
    // Issued together, so all three go out on the first connection before its GOAWAY.
    const bodies = await Promise.all(
      ['/a', '/b', '/c'].map(async (path) => {
        const res = await c.request(`${base}${path}`, { method: 'POST', body: 'x' });
        expect(res.status).toBe(200);
        return res.body.text();
      }),
    );
    expect(bodies).toEqual(['s1 /a', 's2 /b', 's2 /c']);
  });

  it('with maxRefusedRetries 0 the refused requests fail, naming the GOAWAY', async () => {
    const { base } = await nodeServer(goawayAfterFirst);
    const c = client({ maxRefusedRetries: 0 });
    const results = await Promise.allSettled(
      ['/a', '/b', '/c'].map(async (path) => (await c.request(`${base}${path}`)).body.text()),
    );
    expect(results[0]).toEqual({ status: 'fulfilled', value: 's1 /a' });
    for (const r of results.slice(1)) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as Error;
      expect(isRwsError(reason, 'RWS_H2_STREAM_RESET')).toBe(true);
      expect(reason.message).toMatch(/was not processed \(GOAWAY, last stream 1\)/);
    }
  });

  it('retries a REFUSED_STREAM with its body, and at most maxRefusedRetries times', async () => {
    let refusals = 1;
    const { base, seen } = await nodeServer((stream, s) => {
      if (s.path === '/always' || refusals-- > 0) {
        stream.close(constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => answer(stream, `got ${Buffer.concat(chunks).toString()}`));
    });
    const c = client();
    const res = await c.request(`${base}/once`, { method: 'PUT', body: 'payload' });
    expect(await res.body.text()).toBe('got payload');
    expect(seen.filter((s) => s.path === '/once')).toHaveLength(2);

    const err = await c.request(`${base}/always`).catch((e: unknown) => e as Error);
    expect(isRwsError(err, 'RWS_H2_STREAM_RESET')).toBe(true);
    expect((err as Error).message).toMatch(/refused \(REFUSED_STREAM\)/);
    // The first attempt and two retries (the default).
    expect(seen.filter((s) => s.path === '/always')).toHaveLength(3);
  });

  it('does not retry a streamed body or a reset that is not a refusal', async () => {
    const { base, seen } = await nodeServer((stream, s) => {
      stream.close(
        s.path === '/refuse' ? constants.NGHTTP2_REFUSED_STREAM : constants.NGHTTP2_INTERNAL_ERROR,
      );
    });
    const c = client();
    async function* streamed(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('part');
    }
    const refusedStream = await c
      .request(`${base}/refuse`, { method: 'POST', body: streamed() })
      .catch((e: unknown) => e as Error);
    expect(isRwsError(refusedStream, 'RWS_H2_STREAM_RESET')).toBe(true);
    const internal = await c.request(`${base}/internal`).catch((e: unknown) => e as Error);
    expect((internal as Error).message).toMatch(/reset \(error code 2\)/);
    expect(seen.map((s) => s.path)).toEqual(['/refuse', '/internal']);
  });
});
