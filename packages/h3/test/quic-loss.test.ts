import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import type { QuicStream } from '../src/quic/quic-stream.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { echo, echoPair } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

async function collect(stream: QuicStream): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('QUIC through a lossy relay (drops, duplicates, reordering, also during the handshake)', () => {
  it.each([1, 2])(
    'echoes 256 KiB intact with 10 percent loss (seed %d)',
    async (seed) => {
      const server = await QuicEndpoint.bind({
        tls: { cert: creds.cert, key: creds.key },
        alpn: ['echo'],
        onConnection: (connection) => {
          connection.onStream = (stream) => {
            void (async () => {
              for await (const chunk of stream) await stream.write(chunk);
              stream.end();
            })().catch(() => {});
          };
        },
      });
      const relay = await startLossyRelay(
        server.address().port,
        { drop: 0.1, duplicate: 0.05, reorder: 0.05 },
        seed,
      );
      const client = await QuicEndpoint.bind();
      onTestFinished(async () => {
        await client.close();
        await relay.close();
        await server.close();
      });
      const connection = await client.connect({
        host: '127.0.0.1',
        port: relay.port,
        serverName: 'localhost',
        alpn: ['echo'],
        ca: [creds.ca],
      });
      const payload = randomBytes(256 * 1024);
      const stream = connection.openStream();
      const reply = collect(stream);
      for (let i = 0; i < payload.length; i += 16_384)
        await stream.write(payload.subarray(i, i + 16_384));
      stream.end();
      const echoed = await reply;
      expect(echoed.length).toBe(payload.length);
      expect(sha(echoed)).toBe(sha(payload));
      expect(relay.dropped()).toBeGreaterThan(0);
      expect(connection.stats.packetsLost).toBeGreaterThan(0);
    },
    60_000,
  );

  it.each([3, 4])(
    'follows a Retry and updates keys again and again during a 256 KiB echo with 10 percent loss (seed %d)',
    async (seed) => {
      const { port } = await echoPair(creds, { requireAddressValidation: true });
      const relay = await startLossyRelay(
        port,
        { drop: 0.1, duplicate: 0.05, reorder: 0.05 },
        seed,
      );
      const client = await QuicEndpoint.bind();
      onTestFinished(async () => {
        await client.close();
        await relay.close();
      });
      const connection = await client.connect({
        host: '127.0.0.1',
        port: relay.port,
        serverName: 'localhost',
        alpn: ['echo'],
        ca: [creds.ca],
      });
      expect(connection.isRetried).toBe(true);
      const payload = randomBytes(256 * 1024);
      const reply = echo(connection, payload);
      // Start an update whenever one is allowed (the last one answered and acknowledged).
      const timer = setInterval(() => connection.updateKeys(), 20);
      onTestFinished(() => clearInterval(timer));
      expect(sha(await reply)).toBe(sha(payload));
      expect(connection.stats.keyUpdates).toBeGreaterThan(1);
    },
    60_000,
  );
});
