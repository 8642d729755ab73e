import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { QuicConnection } from '../src/quic/quic-connection.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import type { QuicStream } from '../src/quic/quic-stream.js';
import { ReceiveWindow } from '../src/quic/receive-window.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { collect, connectEcho, sha256 } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

const KiB = 1024;

describe('receive window auto-tuning (RFC 9000 §4.2, issue #20)', () => {
  it('doubles when half the window is consumed within two RTTs, and not when slower', () => {
    const w = new ReceiveWindow(64 * KiB, 1024 * KiB, 0);
    // Half consumed after 10 ms with a 20 ms RTT: the window limited the sender.
    expect(w.onConsumed(32 * KiB + 1, 10, 20)).toBe(32 * KiB + 1 + 128 * KiB);
    expect(w.size).toBe(128 * KiB);
    // The next half (64 KiB) took 100 ms, five RTTs: the reader is the bottleneck.
    const limit = w.onConsumed(96 * KiB + 2, 110, 20);
    expect(w.size).toBe(128 * KiB);
    expect(limit).toBe(96 * KiB + 2 + 128 * KiB);
    // Less than half used: no update.
    expect(w.onConsumed(100 * KiB, 111, 20)).toBeUndefined();
  });

  it('never grows past its maximum; ensureAtLeast raises it within that bound', () => {
    const w = new ReceiveWindow(64 * KiB, 100 * KiB, 0);
    w.onConsumed(40 * KiB, 1, 20);
    expect(w.size).toBe(100 * KiB);
    w.ensureAtLeast(1000 * KiB);
    expect(w.size).toBe(100 * KiB);
  });

  it.each([
    ['tunes windows up', undefined],
    ['keeps them fixed when the maximum equals the initial window', 64 * KiB],
  ])(
    '%s over a 20 ms RTT path',
    async (_name, maxStreamDataWindow) => {
      const transport = {
        maxStreamData: 64 * KiB,
        maxData: 128 * KiB,
        ...(maxStreamDataWindow === undefined
          ? {}
          : { maxStreamDataWindow, maxDataWindow: 128 * KiB }),
      };
      const serverStreams: QuicStream[] = [];
      const accepted: QuicConnection[] = [];
      const server = await QuicEndpoint.bind({
        tls: { cert: creds.cert, key: creds.key },
        alpn: ['echo'],
        transport,
        onConnection: (connection) => {
          accepted.push(connection);
          connection.onStream = (stream) => {
            serverStreams.push(stream);
            void (async () => {
              for await (const chunk of stream) await stream.write(chunk);
              stream.end();
            })().catch(() => {});
          };
        },
      });
      const relay = await startLossyRelay(
        server.address().port,
        { drop: 0, duplicate: 0, reorder: 0, delayMs: 10 },
        1,
      );
      onTestFinished(async () => {
        await relay.close();
        await server.close();
      });
      const connection = await connectEcho(creds, relay.port, { transport });
      const payload = randomBytes(2 * 1024 * KiB);
      const stream = connection.openStream();
      const reply = collect(stream);
      for (let i = 0; i < payload.length; i += 64 * KiB)
        await stream.write(payload.subarray(i, i + 64 * KiB));
      stream.end();
      expect(sha256(await reply)).toBe(sha256(payload));
      const serverWindow = serverStreams[0]!.receiveWindow;
      const serverConnectionWindow = accepted[0]!.stats.receiveWindow;
      if (maxStreamDataWindow === undefined) {
        expect(serverWindow).toBeGreaterThan(64 * KiB);
        expect(stream.receiveWindow).toBeGreaterThan(64 * KiB);
        // The connection window stays ahead of its largest stream window.
        expect(serverConnectionWindow).toBeGreaterThanOrEqual(1.5 * serverWindow);
      } else {
        expect(serverWindow).toBe(64 * KiB);
        expect(serverConnectionWindow).toBe(128 * KiB);
      }
    },
    60_000,
  );
});
